-- mpshook: additive
-- Retention (Store/RetentionStore.swift): the raw body and headers of an old notification whose
-- job has ended are dropped, the row and everything parsed from it kept (outcome, correlation,
-- event type, times, apply error, content hash: a very late resend is still a duplicate).
--
-- A pruned row keeps `body` = '' and `headers` = '{}' rather than NULL: the columns stay NOT
-- NULL, so a replica of the previous version reading one (GET /v1/notifications/{id}) shows an
-- empty body instead of failing on a NULL it does not expect. `pruned_at` says it was pruned.
--
-- Additive only: a nullable column and a partial index a replica of the previous version never
-- uses. Building the index locks `notifications` against writes until this migration commits
-- (about a second per million rows here): the door answers 503 meanwhile and MPS retries.

ALTER TABLE notifications ADD COLUMN pruned_at timestamptz;

-- The rows the pruner may take, oldest first: applied or unsupported (nothing more is done with
-- them) and not pruned yet. The door inserts `pending` rows, so it never writes here; the
-- applier's UPDATE to `applied` is not a HOT update already (outcome is in the partial indexes'
-- predicates), so this is one index entry more for it, not a heap write. Pending, failed and
-- orphan rows are never pruned (they may still be applied, reapplied or re-matched: each needs
-- the body), so they are not in it; rows of running jobs are, and are skipped while their job runs.
CREATE INDEX notifications_prunable ON notifications (received_at, id)
    WHERE pruned_at IS NULL AND outcome IN ('applied', 'unsupported');
