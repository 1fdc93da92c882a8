-- mpshook: additive
-- GET /v1/stats from counts kept as rows change, not from counting rows (Store/StatsStore.swift).
-- Counting a day of 10M notifications took 180 ms; reading its roll-up takes about a millisecond.
--
-- What is counted. Each row of jobs, steps, notifications, attempts and outputs stands for a
-- few "facts" (stats_*_facts below): a (minute, kind, key) it counts once in, or adds seconds
-- to. A fact depends only on the row's own columns (and, for outputs, on links that never
-- change), so a statement's effect on the counts is exactly
--     the facts of the rows it wrote − the facts of the rows it replaced,
-- which statement-level triggers compute from the transition tables, grouped, and append to
-- stats_deltas: one INSERT per statement, no row ever updated in place by two writers, so no
-- writer waits on another. A background step (StatsRollupStore.compact, run by every replica,
-- one at a time under an advisory lock) moves deltas into stats_rollup, summed per minute, hour
-- and day. A reader adds both tables up in one snapshot, so what it sees is exact at that
-- snapshot whether or not the deltas were moved yet.
--
-- Kinds and keys:
--   job           state         jobs by the minute they were created
--   step          state         steps by the minute they were created
--   step_error    error code    steps with an error code, by the minute they were created
--   latency       bin           terminal steps that were submitted, by the minute they finished;
--                               bin = floor(8·log2(seconds from submitted to finished)), clamped
--                               to -80…200 (8 bins per doubling: percentiles are read back
--                               within one bin's width, a factor 2^(1/8) ≈ 1.09)
--   notification  outcome       notifications by the minute received, outcome other than pending
--                               (the door inserts every row pending and pays nothing here;
--                               pending rows, a backlog, are counted live from their index)
--   call_error    action␟code   MPS calls with an error code, by the minute they started
--   media         workflow␟kind␟language, with seconds: successful outputs by the minute their
--                 result was recorded (updated_at), once per subtitle file they produced, with
--                 the input's duration as MPS reported it (media_seconds, written by the applier)
-- (␟ is U+001F, the unit separator; an absent workflow or language is the empty string.)
--
-- Additive: new tables, a column, functions and triggers. A replica of the previous version
-- writes rows as before and its triggers fire for it; it never reads these tables. Creating the
-- triggers locks each table against writes until this migration commits (the backfill below
-- takes seconds per million rows).

ALTER TABLE outputs ADD COLUMN media_seconds float8 CHECK (media_seconds >= 0);

CREATE TABLE stats_deltas (
    minute timestamptz NOT NULL,
    kind text NOT NULL,
    key text NOT NULL,
    count bigint NOT NULL,
    seconds float8 NOT NULL DEFAULT 0
);
CREATE INDEX stats_deltas_kind_minute ON stats_deltas (kind, minute);
-- A queue: rows come and go every few seconds. Vacuumed and analysed after every thousand
-- (autovacuum's defaults are relative to the live rows, which are few), so a reader's scan
-- neither wades through dead rows nor is planned for the million rows a backfill once held.
ALTER TABLE stats_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);

CREATE TABLE stats_rollup (
    kind text NOT NULL,
    width text NOT NULL CHECK (width IN ('minute', 'hour', 'day')),
    start timestamptz NOT NULL,
    key text NOT NULL,
    count bigint NOT NULL,
    seconds float8 NOT NULL,
    -- The counts ride in the index: a read is an index-only scan of the window's few hundred
    -- entries, not a heap page per row (rows of one window are written minutes apart).
    PRIMARY KEY (kind, width, start, key) INCLUDE (count, seconds)
);
-- Rows summed back to nothing (every job of a minute has left `running`): removed after each move.
CREATE INDEX stats_rollup_empty ON stats_rollup (kind) WHERE count = 0;

CREATE FUNCTION stats_latency_bin(seconds float8) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN seconds IS NULL OR seconds <= 0 THEN -80
                ELSE greatest(-80, least(200, floor(ln(seconds) / ln(2::float8) * 8)))::integer END
$$;

-- The facts of one row of each table (inlined by the planner: plain SQL, one SELECT).
CREATE FUNCTION stats_job_facts(created_at timestamptz, state text)
RETURNS TABLE (minute timestamptz, kind text, key text, seconds float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT date_bin('1 minute', created_at, timestamptz '2000-01-01 00:00:00+00'), 'job', state, 0::float8
$$;

CREATE FUNCTION stats_step_facts(created_at timestamptz, state text, error_code text, submitted_at timestamptz, finished_at timestamptz)
RETURNS TABLE (minute timestamptz, kind text, key text, seconds float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT date_bin('1 minute', created_at, timestamptz '2000-01-01 00:00:00+00'), 'step', state, 0::float8
    UNION ALL
    SELECT date_bin('1 minute', created_at, timestamptz '2000-01-01 00:00:00+00'), 'step_error', error_code, 0 WHERE error_code IS NOT NULL
    UNION ALL
    SELECT date_bin('1 minute', finished_at, timestamptz '2000-01-01 00:00:00+00'), 'latency', stats_latency_bin(extract(epoch FROM finished_at - submitted_at)::float8)::text, 0
    WHERE finished_at IS NOT NULL AND submitted_at IS NOT NULL AND state IN ('succeeded', 'partially_failed', 'failed')
$$;

CREATE FUNCTION stats_notification_facts(received_at timestamptz, outcome text)
RETURNS TABLE (minute timestamptz, kind text, key text, seconds float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT date_bin('1 minute', received_at, timestamptz '2000-01-01 00:00:00+00'), 'notification', outcome, 0::float8 WHERE outcome <> 'pending'
$$;

CREATE FUNCTION stats_attempt_facts(started_at timestamptz, action text, error_code text)
RETURNS TABLE (minute timestamptz, kind text, key text, seconds float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT date_bin('1 minute', started_at, timestamptz '2000-01-01 00:00:00+00'), 'call_error', action || chr(31) || error_code, 0::float8 WHERE error_code IS NOT NULL
$$;

-- workflow: the name of the output's job's workflow (NULL for a bare request), looked up by the caller.
CREATE FUNCTION stats_output_facts(updated_at timestamptz, status text, results jsonb, media_seconds float8, workflow text)
RETURNS TABLE (minute timestamptz, kind text, key text, seconds float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT date_bin('1 minute', updated_at, timestamptz '2000-01-01 00:00:00+00'), 'media',
           coalesce(workflow, '') || chr(31) || (f ->> 'kind') || chr(31) || coalesce(f ->> 'language', ''), media_seconds
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(results) = 'array' THEN results ELSE '[]'::jsonb END) AS f
    WHERE status = 'SUCCESS' AND media_seconds IS NOT NULL AND jsonb_typeof(f) = 'object' AND jsonb_typeof(f -> 'kind') = 'string'
$$;

-- One trigger function per table, for INSERT, UPDATE and DELETE. An UPDATE counts only the rows
-- whose counted columns changed (steps are updated far more often than their state changes).
CREATE FUNCTION stats_jobs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, count(*) FROM new_rows r, stats_job_facts(r.created_at, r.state) f GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, -count(*) FROM old_rows r, stats_job_facts(r.created_at, r.state) f GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, sum(c.sign) FROM (
            SELECT v.* FROM old_rows o JOIN new_rows n ON n.id = o.id,
                LATERAL (VALUES (-1, o.created_at, o.state), (1, n.created_at, n.state)) AS v(sign, created_at, state)
            WHERE (o.created_at, o.state) IS DISTINCT FROM (n.created_at, n.state)
        ) c, stats_job_facts(c.created_at, c.state) f
        GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION stats_steps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, count(*)
        FROM new_rows r, stats_step_facts(r.created_at, r.state, r.error_code, r.submitted_at, r.finished_at) f GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, -count(*)
        FROM old_rows r, stats_step_facts(r.created_at, r.state, r.error_code, r.submitted_at, r.finished_at) f GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, sum(c.sign) FROM (
            SELECT v.* FROM old_rows o JOIN new_rows n ON n.id = o.id,
                LATERAL (VALUES (-1, o.created_at, o.state, o.error_code, o.submitted_at, o.finished_at),
                                (1, n.created_at, n.state, n.error_code, n.submitted_at, n.finished_at))
                    AS v(sign, created_at, state, error_code, submitted_at, finished_at)
            WHERE (o.created_at, o.state, o.error_code, o.submitted_at, o.finished_at)
                IS DISTINCT FROM (n.created_at, n.state, n.error_code, n.submitted_at, n.finished_at)
        ) c, stats_step_facts(c.created_at, c.state, c.error_code, c.submitted_at, c.finished_at) f
        GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION stats_notifications_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, count(*) FROM new_rows r, stats_notification_facts(r.received_at, r.outcome) f GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, -count(*) FROM old_rows r, stats_notification_facts(r.received_at, r.outcome) f GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, sum(c.sign) FROM (
            SELECT v.* FROM old_rows o JOIN new_rows n ON n.id = o.id,
                LATERAL (VALUES (-1, o.received_at, o.outcome), (1, n.received_at, n.outcome)) AS v(sign, received_at, outcome)
            WHERE (o.received_at, o.outcome) IS DISTINCT FROM (n.received_at, n.outcome)
        ) c, stats_notification_facts(c.received_at, c.outcome) f
        GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION stats_attempts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, count(*) FROM new_rows r, stats_attempt_facts(r.started_at, r.action, r.error_code) f GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, -count(*) FROM old_rows r, stats_attempt_facts(r.started_at, r.action, r.error_code) f GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO stats_deltas (minute, kind, key, count)
        SELECT f.minute, f.kind, f.key, sum(c.sign) FROM (
            SELECT v.* FROM old_rows o JOIN new_rows n ON n.id = o.id,
                LATERAL (VALUES (-1, o.started_at, o.action, o.error_code), (1, n.started_at, n.action, n.error_code))
                    AS v(sign, started_at, action, error_code)
            WHERE (o.started_at, o.action, o.error_code) IS DISTINCT FROM (n.started_at, n.action, n.error_code)
        ) c, stats_attempt_facts(c.started_at, c.action, c.error_code) f
        GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0;
    END IF;
    RETURN NULL;
END $$;

-- Outputs count only when successful with a duration: the join to their workflow is made for
-- those rows alone.
CREATE FUNCTION stats_outputs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_deltas (minute, kind, key, count, seconds)
        SELECT f.minute, f.kind, f.key, count(*), sum(f.seconds)
        FROM new_rows r JOIN steps s ON s.id = r.step_id JOIN jobs j ON j.id = s.job_id LEFT JOIN workflows w ON w.id = j.workflow_id,
            stats_output_facts(r.updated_at, r.status, r.results, r.media_seconds, w.name) f
        WHERE r.status = 'SUCCESS' AND r.media_seconds IS NOT NULL
        GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stats_deltas (minute, kind, key, count, seconds)
        SELECT f.minute, f.kind, f.key, -count(*), -sum(f.seconds)
        FROM old_rows r JOIN steps s ON s.id = r.step_id JOIN jobs j ON j.id = s.job_id LEFT JOIN workflows w ON w.id = j.workflow_id,
            stats_output_facts(r.updated_at, r.status, r.results, r.media_seconds, w.name) f
        WHERE r.status = 'SUCCESS' AND r.media_seconds IS NOT NULL
        GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO stats_deltas (minute, kind, key, count, seconds)
        SELECT f.minute, f.kind, f.key, sum(c.sign), sum(c.sign * f.seconds) FROM (
            SELECT v.* FROM old_rows o JOIN new_rows n ON n.step_id = o.step_id AND n.input_index = o.input_index,
                LATERAL (VALUES (-1, o.step_id, o.updated_at, o.status, o.results, o.media_seconds),
                                (1, n.step_id, n.updated_at, n.status, n.results, n.media_seconds))
                    AS v(sign, step_id, updated_at, status, results, media_seconds)
            WHERE (o.status = 'SUCCESS' AND o.media_seconds IS NOT NULL OR n.status = 'SUCCESS' AND n.media_seconds IS NOT NULL)
                AND (o.updated_at, o.status, o.results, o.media_seconds) IS DISTINCT FROM (n.updated_at, n.status, n.results, n.media_seconds)
        ) c JOIN steps s ON s.id = c.step_id JOIN jobs j ON j.id = s.job_id LEFT JOIN workflows w ON w.id = j.workflow_id,
            stats_output_facts(c.updated_at, c.status, c.results, c.media_seconds, w.name) f
        GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0 OR sum(c.sign * f.seconds) <> 0;
    END IF;
    RETURN NULL;
END $$;

-- The media duration of existing outputs, from the latest applied report of their step (what
-- GET /v1/stats read until now), before the outputs trigger exists: the backfill below counts it.
UPDATE outputs o SET media_seconds = d.durations[o.input_index + 1]
FROM steps s, LATERAL (
    SELECT media_durations(n.body) AS durations FROM notifications n
    WHERE n.correlation_id = s.correlation_id AND n.outcome = 'applied'
    ORDER BY n.received_at DESC LIMIT 1
) d
WHERE s.id = o.step_id AND o.status = 'SUCCESS' AND d.durations[o.input_index + 1] IS NOT NULL;

-- The door's INSERT of pending rows fires nothing: a row trigger's WHEN is checked in place,
-- and only rows inserted with another outcome (tests, imports) are counted by it.
CREATE FUNCTION stats_notification_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_deltas (minute, kind, key, count)
    SELECT f.minute, f.kind, f.key, 1 FROM stats_notification_facts(NEW.received_at, NEW.outcome) f;
    RETURN NULL;
END $$;

CREATE TRIGGER stats_jobs_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_jobs_changed();
CREATE TRIGGER stats_jobs_updated AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_jobs_changed();
CREATE TRIGGER stats_jobs_deleted AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_jobs_changed();
CREATE TRIGGER stats_steps_inserted AFTER INSERT ON steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_steps_changed();
CREATE TRIGGER stats_steps_updated AFTER UPDATE ON steps
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_steps_changed();
CREATE TRIGGER stats_steps_deleted AFTER DELETE ON steps
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_steps_changed();
CREATE TRIGGER stats_notifications_inserted AFTER INSERT ON notifications
    FOR EACH ROW WHEN (NEW.outcome <> 'pending') EXECUTE FUNCTION stats_notification_inserted();
CREATE TRIGGER stats_notifications_updated AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_notifications_changed();
CREATE TRIGGER stats_notifications_deleted AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_notifications_changed();
CREATE TRIGGER stats_attempts_inserted AFTER INSERT ON attempts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_attempts_changed();
CREATE TRIGGER stats_attempts_updated AFTER UPDATE ON attempts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_attempts_changed();
CREATE TRIGGER stats_attempts_deleted AFTER DELETE ON attempts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_attempts_changed();
CREATE TRIGGER stats_outputs_inserted AFTER INSERT ON outputs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_outputs_changed();
CREATE TRIGGER stats_outputs_updated AFTER UPDATE ON outputs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_outputs_changed();
CREATE TRIGGER stats_outputs_deleted AFTER DELETE ON outputs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_outputs_changed();

-- The facts of every row, appended to stats_deltas: what the triggers would have written had
-- they always existed. Run below for the rows written before them; a bulk load made with
-- triggers off (session_replication_role = replica, as deploy/bench/api-queries.sql does) runs
-- it after emptying stats_deltas and stats_rollup.
CREATE FUNCTION stats_recount() RETURNS void LANGUAGE sql AS $$
    INSERT INTO stats_deltas (minute, kind, key, count)
    SELECT f.minute, f.kind, f.key, count(*) FROM jobs r, stats_job_facts(r.created_at, r.state) f GROUP BY 1, 2, 3;
    INSERT INTO stats_deltas (minute, kind, key, count)
    SELECT f.minute, f.kind, f.key, count(*)
    FROM steps r, stats_step_facts(r.created_at, r.state, r.error_code, r.submitted_at, r.finished_at) f GROUP BY 1, 2, 3;
    INSERT INTO stats_deltas (minute, kind, key, count)
    SELECT f.minute, f.kind, f.key, count(*) FROM notifications r, stats_notification_facts(r.received_at, r.outcome) f GROUP BY 1, 2, 3;
    INSERT INTO stats_deltas (minute, kind, key, count)
    SELECT f.minute, f.kind, f.key, count(*) FROM attempts r, stats_attempt_facts(r.started_at, r.action, r.error_code) f GROUP BY 1, 2, 3;
    INSERT INTO stats_deltas (minute, kind, key, count, seconds)
    SELECT f.minute, f.kind, f.key, count(*), sum(f.seconds)
    FROM outputs r JOIN steps s ON s.id = r.step_id JOIN jobs j ON j.id = s.job_id LEFT JOIN workflows w ON w.id = j.workflow_id,
        stats_output_facts(r.updated_at, r.status, r.results, r.media_seconds, w.name) f
    WHERE r.status = 'SUCCESS' AND r.media_seconds IS NOT NULL
    GROUP BY 1, 2, 3;
$$;

-- Every row written before the triggers existed (the tables are locked against writes now).
SELECT stats_recount();

-- No longer read by this version: media_durations (0010) and steps_finished (0010) stay until a
-- later migration, because a replica of the previous version still reads them during an upgrade.
