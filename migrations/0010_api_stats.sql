-- mpshook: additive
-- GET /v1/stats (Store/StatsStore.swift): what it needs beyond the listings' indexes (0008).
-- Additive only: an index and a function, which a replica of the previous version never uses.

-- Callback latency and processed media are counted over the steps that finished in the
-- window. Only finished steps are in it, and a step's finished_at is written once per end (the
-- same statement that changes its state, already a non-HOT update), so it costs the hot path
-- little; submitted_at and state ride along so the latency is read from the index alone.
CREATE INDEX steps_finished ON steps (finished_at) INCLUDE (submitted_at, state) WHERE finished_at IS NOT NULL;

-- The media duration MPS probed per input (`Metadatas[i].Duration`, seconds) of a stored
-- notification body, top level or inside a `{"Response": …}` wrapper: one element per input,
-- NULL where it is missing or not a plain decimal number (at most 9 integer digits); NULL for a
-- body that is not a BatchTask report with Metadatas. Read with the `json` type (a syntax check
-- and a walk, not jsonb's full decomposition of bodies carrying every subtitle segment), and
-- never failing: a body PostgreSQL cannot read (nesting deeper than its stack allows) gives NULL,
-- so one odd notification cannot make every stats request fail. PARALLEL UNSAFE: the exception
-- block is a subtransaction, which PostgreSQL refuses during a parallel query (a parallel plan of
-- the media statement failed every time with 25000 until it was marked so).
CREATE FUNCTION media_durations(body text) RETURNS float8[] LANGUAGE plpgsql IMMUTABLE PARALLEL UNSAFE AS $$
DECLARE
    document json;
    metadatas json;
BEGIN
    document := body::json;
    metadatas := coalesce(document -> 'BatchTaskEvent', document -> 'Response' -> 'BatchTaskEvent') -> 'Metadatas';
    IF metadatas IS NULL OR json_typeof(metadatas) <> 'array' THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(
        SELECT CASE WHEN json_typeof(m -> 'Duration') = 'number' AND (m ->> 'Duration') ~ '^[0-9]{1,9}(\.[0-9]{1,17})?$'
                    THEN (m ->> 'Duration')::float8 END
        FROM json_array_elements(metadatas) WITH ORDINALITY AS e(m, i)
        ORDER BY i
    );
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;
