-- mpshook: additive
-- Lost callbacks and unknown submissions: the reconciler's bookkeeping, per-claim leases for
-- continuous recovery, audited operator actions, and the outbox of "job finished" webhooks.
-- Additive only: new columns are nullable or have defaults, so a replica of the previous
-- version keeps working beside this schema.

-- Continuous recovery. A claim is leased to the process that made it (`claimed_by`, a random id
-- per process start) until `lease_until`; the process renews its leases while it lives. A
-- `submitting` step whose lease ran out belongs to a process that died: it becomes
-- `submit_unknown`, unless `sent_at` is NULL (the request certainly never left the process:
-- `sent_at` is committed before the call), when it goes back to `pending`.
ALTER TABLE steps ADD COLUMN claimed_by uuid;
ALTER TABLE steps ADD COLUMN lease_until timestamptz;
ALTER TABLE steps ADD COLUMN sent_at timestamptz;
CREATE INDEX steps_submitting_lease ON steps (lease_until) WHERE state = 'submitting';

-- The reconciler. `next_poll_at` is when a step with a TaskId and no terminal callback is next
-- queried with DescribeBatchTaskDetail (NULL: not yet scheduled); `polls` counts the queries.
ALTER TABLE steps ADD COLUMN next_poll_at timestamptz;
ALTER TABLE steps ADD COLUMN last_polled_at timestamptz;
ALTER TABLE steps ADD COLUMN polls integer NOT NULL DEFAULT 0;
-- When the step last heard from MPS (a callback or a poll applied), for the deadlines.
ALTER TABLE steps ADD COLUMN last_report_at timestamptz;
CREATE INDEX steps_unfinished ON steps (state, submitted_at) WHERE state IN ('submitted', 'submit_unknown', 'lost');

-- Every action a person took on a step (or job): who, when, why, and the row before and after.
CREATE TABLE operator_actions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    action text NOT NULL,
    step_id uuid REFERENCES steps (id),
    job_id uuid REFERENCES jobs (id),
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    before jsonb,
    after jsonb
);
CREATE INDEX operator_actions_step ON operator_actions (step_id, at);
CREATE INDEX operator_actions_at ON operator_actions (at);

-- The "job finished" webhook: where the job's summary goes (NULL: none; a configured default
-- URL is stored with each job created without one).
ALTER TABLE jobs ADD COLUMN callback_url text CHECK (length(callback_url) <= 2000);

-- The outbox, written in the transaction that finishes the job: one delivery per job end (a
-- job a person reopened by resubmitting a step, that then ends again, is announced again).
CREATE TABLE webhook_deliveries (
    -- The Standard Webhooks `webhook-id`: the same on every retry, so receivers can dedupe.
    id uuid PRIMARY KEY,
    job_id uuid NOT NULL REFERENCES jobs (id),
    -- Which end: the job's finished_at when it ended.
    job_finished_at timestamptz NOT NULL,
    url text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
    -- The payload, fixed at the first attempt so every retry sends the same bytes.
    payload text,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    last_status integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX webhook_deliveries_job_end ON webhook_deliveries (job_id, job_finished_at);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_state ON webhook_deliveries (state, created_at);

-- Every delivery attempt: its HTTP status (NULL when no answer), latency and error.
CREATE TABLE webhook_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id),
    started_at timestamptz NOT NULL,
    http_status integer,
    latency_ms integer NOT NULL CHECK (latency_ms >= 0),
    error text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, started_at);
