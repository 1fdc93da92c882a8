-- mpshook: additive
-- The product's spine: jobs, their steps (one BatchProcessMedia call each), the outputs MPS
-- reports per input, every notification MPS sent us (stored raw before it is acknowledged),
-- and every API call we made to MPS. Every state change is one readable UPDATE in Store.

CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    -- The client's own reference; unique when given, so creating the same job twice is safe.
    client_reference text CHECK (length(client_reference) <= 200),
    -- The client's own context, kept here rather than squeezed into SessionContext.
    client_context jsonb,
    state text NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'succeeded', 'partially_failed', 'failed', 'cancelled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE UNIQUE INDEX jobs_client_reference ON jobs (client_reference) WHERE client_reference IS NOT NULL;
CREATE INDEX jobs_state_created ON jobs (state, created_at);

CREATE TABLE steps (
    id uuid PRIMARY KEY,
    job_id uuid NOT NULL REFERENCES jobs (id),
    name text NOT NULL DEFAULT 'main',
    -- Ours, random 128-bit, committed before the call; SessionContext carries it (mh1:<hex>).
    correlation_id uuid NOT NULL UNIQUE,
    session_context text NOT NULL UNIQUE CHECK (length(session_context) <= 1000),
    -- The BatchProcessMedia body as sent, with the NotifyUrl token and NotifyKey removed.
    request jsonb NOT NULL,
    state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'submitting', 'submitted', 'submit_unknown',
                         'succeeded', 'partially_failed', 'failed', 'lost')),
    task_id text UNIQUE,
    submit_attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    error_code text,
    error_message text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    submitted_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX steps_job ON steps (job_id);
CREATE INDEX steps_pending ON steps (next_attempt_at) WHERE state = 'pending';
CREATE INDEX steps_state_updated ON steps (state, updated_at);

CREATE TABLE outputs (
    step_id uuid NOT NULL REFERENCES steps (id),
    input_index integer NOT NULL CHECK (input_index >= 0),
    input_url text NOT NULL,
    -- Moves only forward: WAITING -> PROCESSING -> SUCCESS | FAIL.
    status text NOT NULL DEFAULT 'WAITING' CHECK (status IN ('WAITING', 'PROCESSING', 'SUCCESS', 'FAIL')),
    progress integer NOT NULL DEFAULT 0,
    subtitle_path text,
    subtitle_url text,
    -- Per-language results and anything else MPS reported for this output.
    results jsonb,
    error_code text,
    error_message text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (step_id, input_index)
);

CREATE TABLE notifications (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SHA-256 of the body: the same delivery twice is one row (a no-op answered 200).
    content_hash bytea NOT NULL UNIQUE,
    -- From SessionContext when it is ours; NULL otherwise (then the outcome is orphan).
    correlation_id uuid,
    session_context text,
    event_type text NOT NULL,
    body text COMPRESSION lz4 NOT NULL,
    -- Request headers with secrets removed.
    headers jsonb NOT NULL DEFAULT '{}',
    -- The client address as the trusted proxy reports it.
    source_address text,
    source text NOT NULL DEFAULT 'callback' CHECK (source IN ('callback', 'poll')),
    received_at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL DEFAULT 'pending'
        CHECK (outcome IN ('pending', 'applied', 'orphan', 'unsupported', 'failed')),
    applied_at timestamptz,
    apply_error text,
    apply_attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX notifications_pending ON notifications (id) WHERE outcome = 'pending';
CREATE INDEX notifications_failed ON notifications (id) WHERE outcome = 'failed';
CREATE INDEX notifications_correlation ON notifications (correlation_id, received_at);
CREATE INDEX notifications_received ON notifications (received_at);

CREATE TABLE attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_id uuid REFERENCES steps (id),
    action text NOT NULL,
    request_id text,
    error_code text,
    error_class text CHECK (error_class IN ('final', 'retryable', 'ambiguous')),
    http_status integer,
    latency_ms integer NOT NULL CHECK (latency_ms >= 0),
    started_at timestamptz NOT NULL
);
CREATE INDEX attempts_step ON attempts (step_id, started_at);
CREATE INDEX attempts_started ON attempts (started_at);
