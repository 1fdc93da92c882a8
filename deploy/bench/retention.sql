-- Retention's data set (deploy/bench/retention.sh): psql variables `old` (notifications per
-- generation) and `jobs` (finished jobs they belong to). Two generations of `old` applied
-- notifications of finished jobs, 45 and 40 days old (older than retention's 30 days), so two
-- passes can be timed (alone, then under the door's load). Bodies about 1.5 KB of MPS-like JSON
-- that lz4 compresses about as much as a real one (hex digests do not repeat).
\set ON_ERROR_STOP on
SET synchronous_commit = off;
-- Triggers off for the load (stats counts, change feed): recounted at the end.
SET session_replication_role = replica;
SELECT now() AS base \gset

INSERT INTO jobs (id, state, created_at, updated_at, finished_at)
SELECT md5('retention-job' || i)::uuid, 'succeeded', :'base'::timestamptz - interval '46 days',
    :'base'::timestamptz - interval '39 days', :'base'::timestamptz - interval '39 days'
FROM generate_series(1, :jobs) i;

INSERT INTO steps (id, job_id, correlation_id, session_context, request, state, task_id, created_at, updated_at, submitted_at, finished_at)
SELECT md5('retention-step' || i)::uuid, md5('retention-job' || i)::uuid, md5('retention-corr' || i)::uuid,
    'mh1:' || md5('retention-corr' || i), '{"InputInfo":[]}', 'succeeded', 'retention-task-' || i,
    :'base'::timestamptz - interval '46 days', :'base'::timestamptz - interval '39 days',
    :'base'::timestamptz - interval '46 days', :'base'::timestamptz - interval '39 days'
FROM generate_series(1, :jobs) i;

INSERT INTO notifications (content_hash, correlation_id, session_context, event_type, body, headers, source_address,
    received_at, outcome, applied_at, apply_attempts)
SELECT sha256(int8send(n)), md5('retention-corr' || (n % :jobs + 1))::uuid, 'mh1:' || md5('retention-corr' || (n % :jobs + 1)), 'BatchTask',
    format('{"EventType":"BatchTask","BatchTaskEvent":{"TaskId":"2600011111-BatchTask-%s","Status":"FINISH",'
           '"SmartSubtitlesTaskResult":{"Outputs":[{"Status":"SUCCESS","Progress":100,"AsrFullTextTask":{"Path":"/out/%s.vtt",'
           '"SubtitlePath":"https://b.cos.ap-guangzhou.myqcloud.com/out/%s.vtt?sign=%s","Segments":"%s"}}]},'
           '"Metadatas":[{"Duration":%s}]},"SessionContext":"mh1:%s","Timestamp":1700000000,"Sign":"%s"}',
           n, n, n, md5('s' || n), (SELECT string_agg(md5(n || '-' || k), ' ') FROM generate_series(1, 36) k),
           30 + n % 3000, md5('retention-corr' || (n % :jobs + 1)), md5('sign' || n)),
    '{"content-type":"application/json","user-agent":"MPS-Notify/1.0"}', '203.0.113.7',
    :'base'::timestamptz - CASE WHEN n <= :old THEN interval '45 days' ELSE interval '40 days' END + (n % :old) * interval '1 millisecond',
    'applied', :'base'::timestamptz - interval '39 days', 1
FROM generate_series(1, 2 * :old) n;

SET session_replication_role = origin;
TRUNCATE stats_deltas, stats_rollup;
SELECT stats_recount();
VACUUM ANALYZE;
