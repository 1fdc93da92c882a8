-- mpshook: additive
-- GET /v1/deliveries: the "job finished" webhook outbox listed newest first by (created_at, id)
-- with a keyset cursor, like the other lists (0008). One row per job end, so at a million jobs
-- an unfiltered page without an index would sort them all.
-- Additive only (indexes): a replica of the previous version works beside it.

-- The unfiltered list.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at, id);
-- state (one branch per state), the failed ones a person looks for first. Replaces
-- (state, created_at), which `mpshook deliveries list --state` used the same way.
CREATE INDEX webhook_deliveries_state_created_id ON webhook_deliveries (state, created_at, id);
DROP INDEX webhook_deliveries_state;
-- jobId goes through webhook_deliveries_job_end (job_id, job_finished_at): a job has a few.
