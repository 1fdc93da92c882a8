-- mpshook: additive
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
-- workflow (one branch per version), workflow + createdSince/Until. Replaces (workflow_id, created_at).
CREATE INDEX jobs_workflow_created ON jobs (workflow_id, created_at, id) WHERE workflow_id IS NOT NULL;
DROP INDEX jobs_workflow;
-- workflow + state (a branch per version and state): without it, a workflow with no job in
-- that state reads every job of the workflow to find out.
CREATE INDEX jobs_workflow_state_created ON jobs (workflow_id, state, created_at, id) WHERE workflow_id IS NOT NULL;

-- steps: the unfiltered list, createdSince/Until, name, workflow (each step's job probed by its
-- key while reading newest first).
CREATE INDEX steps_created ON steps (created_at, id);
-- state (one branch per state), state + anything else not narrower. updatedSince/Until with a
-- state (the failed steps of the last hour) reads the existing (state, updated_at) instead.
CREATE INDEX steps_state_created ON steps (state, created_at, id);
-- errorCode: only steps that failed have one, so the index stays small and the updates of
-- steps without an error never touch it.
CREATE INDEX steps_error_created ON steps (error_code, created_at, id) WHERE error_code IS NOT NULL;
-- Only failed steps have an error code: without this the planner multiplies the two
-- selectivities, expects a handful of rows for state + errorCode and sorts thousands.
CREATE STATISTICS steps_state_error (dependencies, mcv) ON state, error_code FROM steps;
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

CREATE STATISTICS attempts_action_error (dependencies, mcv) ON action, error_class, error_code FROM attempts;

-- outputs: an output is created with its step (in the same transaction, so now() is the same),
-- and listed in its step's order: (created_at, step_id, input_index). The column lets an index
-- give that order without reading the step of every output; rows stored before this
-- migration take their step's time. Its default keeps a replica of the previous version, which
-- does not name the column, writing the same value.
ALTER TABLE outputs ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
UPDATE outputs o SET created_at = s.created_at FROM steps s WHERE s.id = o.step_id;
-- The unfiltered list; language and input are filters on it (nearly every output has input 0,
-- and a language in use is in a good share of them). jobId and stepId go through the steps.
CREATE INDEX outputs_created ON outputs (created_at, step_id, input_index);
-- status (a branch per status): FAIL, WAITING and PROCESSING are few among the outputs. A
-- progress report changes neither column, so it stays a HOT update.
CREATE INDEX outputs_status_created ON outputs (status, created_at, step_id, input_index);
