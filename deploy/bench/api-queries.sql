-- The REST API lists' data set (deploy/bench/api-queries.sh): psql variables `jobs` (steps are two
-- per job) and `notifications`. Everything spread over the 30 days before the load, ending 5 minutes before it,
-- ids and times in insertion order as the service writes them. Bodies are kept small (about
-- 200 bytes): the lists never read them, and the disk is limited.
--
-- Shapes (per job number i):
--   jobs: 4 workflows × 2 versions (80 %) and bare requests (20 %); half have a client reference;
--     the newest 300 running, else 1/23 failed, 1/37 partially failed, 1/499 cancelled, succeeded
--     (primes: failures in every workflow).
--   steps: `transcribe` then `translate` 5 minutes later; the second fails when the job did (an
--     error code of three), one in 997 is lost, one in 1009 submit_unknown; running jobs: submitted + pending.
--   outputs: 1–3 per step, SUCCESS / FAIL / WAITING as the step ended, subtitle files in en plus
--     one of fr, de, ja, es; a successful one has a media duration of 30 s to an hour.
--   notifications: `notifications / jobs` per job, alternately for its two steps, received from
--     the step's creation on; 1/50 orphans (no step), 1/2000 failed, 1/100000 unsupported, the
--     newest 500 pending; 1/20 from polls.
--   attempts: one BatchProcessMedia per step; 1/10 a DescribeBatchTaskDetail; 1/50 a rate-limited
--     retry (retryable), 1/700 an InternalError (ambiguous).
\set ON_ERROR_STOP on
SET synchronous_commit = off;
-- Triggers off for the load (the change feed's, the stats counts', the foreign keys'): the
-- stats are recounted from the rows at the end, in one pass instead of ten million row triggers.
SET session_replication_role = replica;
-- Every time is relative to one instant: the end of the data ("now" when the load began).
SELECT now() AS base \gset

INSERT INTO workflows (name, version, content_hash, canonical, source)
SELECT 'wf-' || w, v, md5(w || '-' || v), '{"steps":[]}', 'steps: []'
FROM generate_series(1, 4) w, generate_series(1, 2) v
ORDER BY w, v;

CREATE TEMPORARY TABLE bench_jobs AS
SELECT i,
    md5('job' || i)::uuid AS id,
    (:'base'::timestamptz - interval '30 days') + (i::float8 / :jobs) * (interval '30 days' - interval '10 minutes') AS created_at,
    CASE WHEN i > :jobs - 300 THEN 'running'
         WHEN i % 23 = 0 THEN 'failed'
         WHEN i % 37 = 0 THEN 'partially_failed'
         WHEN i % 499 = 0 THEN 'cancelled'
         ELSE 'succeeded' END AS state
FROM generate_series(1, :jobs) i;

INSERT INTO jobs (id, client_reference, state, created_at, updated_at, finished_at, workflow_id, input_urls)
SELECT id,
    CASE WHEN i % 2 = 0 THEN 'ref-' || i END,
    state, created_at, created_at + interval '10 minutes',
    CASE WHEN state <> 'running' THEN created_at + interval '10 minutes' END,
    CASE WHEN i % 5 = 0 THEN NULL
         ELSE (SELECT id FROM workflows WHERE name = 'wf-' || (i % 5) AND version = 1 + (i / 7) % 2) END,
    ARRAY['https://media.example.com/' || i || '.mp4']
FROM bench_jobs ORDER BY i;

CREATE TEMPORARY TABLE bench_steps AS
SELECT j.i, k,
    md5('step' || j.i || '-' || k)::uuid AS id, j.id AS job_id,
    md5('corr' || j.i || '-' || k)::uuid AS correlation_id,
    j.created_at + (k - 1) * interval '5 minutes' AS created_at,
    CASE WHEN j.state = 'running' THEN (CASE k WHEN 1 THEN 'submitted' ELSE 'pending' END)
         WHEN k = 2 AND j.state IN ('failed', 'partially_failed') THEN j.state
         WHEN k = 2 AND j.i % 997 = 0 THEN 'lost'
         WHEN k = 2 AND j.i % 1009 = 0 THEN 'submit_unknown'
         ELSE 'succeeded' END AS state,
    1 + (j.i + k) % 3 AS outputs
FROM bench_jobs j, generate_series(1, 2) k;

INSERT INTO steps (id, job_id, name, correlation_id, session_context, request, state, task_id, submit_attempts,
    error_code, error_message, created_at, updated_at, submitted_at, finished_at, next_attempt_at)
SELECT id, job_id, CASE k WHEN 1 THEN 'transcribe' ELSE 'translate' END, correlation_id,
    'mh1:' || replace(correlation_id::text, '-', ''), '{"InputInfo":[]}', state,
    CASE WHEN state <> 'pending' THEN '2600011111-BatchTask-' || i || '-' || k END,
    CASE WHEN state = 'pending' THEN 0 ELSE 1 END,
    CASE WHEN state = 'failed' THEN (ARRAY['FailedOperation.Asr', 'InvalidParameter.Url', 'ResourceNotFound.File'])[1 + i % 3] END,
    CASE WHEN state = 'failed' THEN 'the task failed' END,
    created_at,
    CASE WHEN state IN ('pending', 'submitted') THEN created_at ELSE created_at + interval '3 minutes' END,
    CASE WHEN state <> 'pending' THEN created_at + interval '1 second' END,
    CASE WHEN state IN ('succeeded', 'failed', 'partially_failed') THEN created_at + interval '3 minutes' END,
    created_at
FROM bench_steps ORDER BY created_at, id;

INSERT INTO outputs (step_id, input_index, job_input_index, input_url, status, progress, subtitle_path, results, error_code, created_at,
    updated_at, media_seconds)
SELECT s.id, x, x, 'https://media.example.com/' || s.i || '-' || x || '.mp4',
    status, CASE WHEN status IN ('SUCCESS', 'FAIL') THEN 100 ELSE 0 END,
    CASE WHEN status = 'SUCCESS' THEN '/out/' || s.i || '/' || x || '.vtt' END,
    CASE WHEN status = 'SUCCESS' THEN jsonb_build_array(
        jsonb_build_object('kind', 'recognition', 'language', 'en', 'path', '/out/' || s.i || '/' || x || '.en.vtt'),
        jsonb_build_object('kind', 'translation', 'language', (ARRAY['fr', 'de', 'ja', 'es'])[1 + (s.i + x) % 4],
            'sourceLanguage', 'en', 'path', '/out/' || s.i || '/' || x || '.vtt')) END,
    CASE WHEN status = 'FAIL' THEN 'FailedOperation.Asr' END,
    s.created_at, s.created_at + interval '3 minutes',
    CASE WHEN status = 'SUCCESS' THEN 30 + (s.i * 37 + x * 11) % 3570 END
FROM bench_steps s, generate_series(0, s.outputs - 1) x,
    LATERAL (SELECT CASE
        WHEN s.state = 'succeeded' THEN 'SUCCESS'
        WHEN s.state = 'failed' THEN 'FAIL'
        WHEN s.state = 'partially_failed' THEN (CASE WHEN x = 0 THEN 'SUCCESS' ELSE 'FAIL' END)
        WHEN s.state = 'submitted' THEN 'PROCESSING'
        ELSE 'WAITING' END AS status) o
ORDER BY s.created_at, s.id, x;

INSERT INTO attempts (step_id, action, request_id, error_code, error_class, http_status, latency_ms, started_at)
SELECT id, action, md5('request' || i || '-' || k || action), code, class, 200, 80 + (i * 7 + k) % 400, at
FROM (
    SELECT id, i, k, 'BatchProcessMedia' AS action, NULL AS code, NULL AS class, created_at AS at
    FROM bench_steps WHERE state <> 'pending'
    UNION ALL
    SELECT id, i, k, 'BatchProcessMedia', 'RequestLimitExceeded', 'retryable', created_at - interval '1 second'
    FROM bench_steps WHERE (i + k) % 50 = 0
    UNION ALL
    SELECT id, i, k, 'BatchProcessMedia', 'InternalError', 'ambiguous', created_at - interval '2 seconds'
    FROM bench_steps WHERE (i + k) % 700 = 0
    UNION ALL
    SELECT id, i, k, 'DescribeBatchTaskDetail', NULL, NULL, created_at + interval '2 minutes'
    FROM bench_steps WHERE (i + k) % 10 = 0 AND state <> 'pending'
) a
ORDER BY at;

-- Notifications, a million per transaction (bounded WAL and memory); `r` is the notification's
-- place among its job's, alternating between the job's two steps.
SET bench.base = :'base';
SET bench.jobs = :jobs;
SET bench.notifications = :notifications;
DO $$
DECLARE
    total bigint := current_setting('bench.notifications')::bigint;
    jobs bigint := current_setting('bench.jobs')::bigint;
    per_job bigint := (total + jobs - 1) / jobs;
    base timestamptz := current_setting('bench.base')::timestamptz;
    chunk bigint := 1000000;
    start bigint := 1;
BEGIN
    WHILE start <= total LOOP
        INSERT INTO notifications (content_hash, correlation_id, session_context, event_type, body, headers, source_address,
            source, received_at, outcome, applied_at, apply_error, apply_attempts)
        SELECT sha256(int8send(n)), c.correlation_id, 'mh1:' || replace(c.correlation_id::text, '-', ''), 'WorkflowTask',
            format('{"EventType":"WorkflowTask","WorkflowTaskEvent":{"TaskId":"2600011111-BatchTask-%s-%s","Status":"FINISH",'
                   '"SessionContext":"mh1:%s","Message":"","ErrCode":0}}', i, k, replace(c.correlation_id::text, '-', '')),
            '{"content-type":"application/json","user-agent":"MPS-Notify/1.0"}', '203.0.113.7',
            CASE WHEN n % 20 = 1 THEN 'poll' ELSE 'callback' END,
            received, outcome,
            CASE WHEN outcome = 'applied' THEN received + interval '50 milliseconds' END,
            CASE WHEN outcome = 'failed' THEN 'the step is locked by another applier' END,
            CASE WHEN outcome = 'pending' THEN 0 ELSE 1 END
        FROM generate_series(start, least(start + chunk - 1, total)) n,
            LATERAL (SELECT (n - 1) / per_job + 1 AS i, (n - 1) % per_job AS r) p,
            LATERAL (SELECT r % 2 + 1 AS k) q,
            LATERAL (SELECT
                CASE WHEN n > total - 500 THEN 'pending'
                     WHEN n % 50 = 0 THEN 'orphan'
                     WHEN n % 2000 = 7 THEN 'failed'
                     WHEN n % 100000 = 3 THEN 'unsupported'
                     ELSE 'applied' END AS outcome,
                base - interval '30 days' + (interval '30 days' - interval '10 minutes') * (i::float8 / jobs)
                    + (k - 1) * interval '5 minutes' + r * interval '10 seconds' AS received) o,
            LATERAL (SELECT CASE WHEN o.outcome = 'orphan' THEN md5('orphan' || n)::uuid
                                 ELSE md5('corr' || i || '-' || k)::uuid END AS correlation_id) c;
        COMMIT;
        RAISE NOTICE 'notifications: % of %', least(start + chunk - 1, total), total;
        start := start + chunk;
    END LOOP;
END
$$;

-- The stats counts (migration 0012) of everything loaded.
SET session_replication_role = origin;
TRUNCATE stats_deltas, stats_rollup;
SELECT stats_recount();
