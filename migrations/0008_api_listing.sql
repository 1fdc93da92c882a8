-- Indexes for the REST API's lists (Store/*Listing.swift): every list is newest first by
-- (time, id) with a keyset cursor `(t, id) < ($1, $2)`, so a 50-row page is an index scan in that
-- order, stopped after 51 rows, for every documented filter: an equality filter leads the index,
-- the order follows. A multi-valued filter is one such scan per value (a branch each).
-- Filters that narrow to a few rows (a job, a step, a TaskId, a correlation id, a client
-- reference) use the unique or per-job indexes that exist, and sort those few rows.
--
-- Hot tables carry few: `notifications` (the door's INSERT, the applier's UPDATE) gets only
-- partial indexes whose rows the door never writes (it stores `pending` callbacks); `steps`
-- gets two, and gives one back.

-- jobs: the unfiltered list and createdSince/Until; taskId / correlationId / clientReference go
-- through the unique indexes.
CREATE INDEX jobs_created ON jobs (created_at, id);
-- state (one branch per state), state + createdSince/Until. Replaces (state, created_at).
CREATE INDEX jobs_state_created_id ON jobs (state, created_at, id);
DROP INDEX jobs_state_created;
-- workflow (one branch per version), workflow + state, workflow + createdSince/Until.
-- Replaces (workflow_id, created_at).
CREATE INDEX jobs_workflow_created ON jobs (workflow_id, created_at, id) WHERE workflow_id IS NOT NULL;
DROP INDEX jobs_workflow;

-- steps: the unfiltered list, createdSince/Until, name, workflow (each step's job probed by its
-- key while reading newest first).
CREATE INDEX steps_created ON steps (created_at, id);
-- state (one branch per state), state + anything else not narrower. updatedSince/Until with a
-- state (the failed steps of the last hour) reads the existing (state, updated_at) instead.
CREATE INDEX steps_state_created ON steps (state, created_at, id);
-- errorCode: only steps that failed have one, so the index stays small and the updates of
-- steps without an error never touch it.
CREATE INDEX steps_error_created ON steps (error_code, created_at, id) WHERE error_code IS NOT NULL;
-- (job_id) repeats the first column of steps_run_once (job_id, name, item, run), which serves
-- every lookup by job: one index less for every step update to maintain.
DROP INDEX steps_job;

-- notifications: the unfiltered list and receivedSince/Until use notifications_received
-- (received_at) (ties on received_at put in id order by an incremental sort); correlationId,
-- stepId, jobId and taskId (through the steps' correlation ids) use notifications_correlation;
-- outcome applied (nearly every row) is a filter on the newest; pending reads notifications_pending.
-- outcome orphan / unsupported / failed: the door stores `pending`, so it never writes here;
-- the applier writes the few rows that end so.
CREATE INDEX notifications_unapplied ON notifications (outcome, received_at, id)
    WHERE outcome IN ('orphan', 'unsupported', 'failed');
-- source poll: written by the reconciler's polls only, never by the door. (source callback is
-- nearly every row: a filter on the newest.)
CREATE INDEX notifications_polled ON notifications (received_at, id) WHERE source = 'poll';

-- attempts (one row per MPS call; no hot path): action, errorClass, errorCode, each with
-- startedSince/Until. The unfiltered list uses attempts_started, stepId attempts_step, jobId
-- attempts_step through the job's steps.
CREATE INDEX attempts_action_started ON attempts (action, started_at, id);
CREATE INDEX attempts_class_started ON attempts (error_class, started_at, id) WHERE error_class IS NOT NULL;
CREATE INDEX attempts_error_started ON attempts (error_code, started_at, id) WHERE error_code IS NOT NULL;

-- outputs: listed by their step's (created_at, id) through steps_created, the outputs of each
-- step by their primary key; jobId and stepId through the steps. No index of their own: every
-- progress report updates an output, and without an index on a changed column that update
-- stays HOT.
