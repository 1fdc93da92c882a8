-- mpshook: additive
-- The change feed behind GET /v1/events: every state change of a job, step, output or
-- notification, written by statement-level triggers (one INSERT ... SELECT per statement over
-- its transition tables, never a trigger call per row: the applier changes thousands of rows a
-- second) and announced with one NOTIFY per statement on mpshook_changes.
--
-- Position. A reader resumes after the last row it saw, so the order must never let a row
-- appear behind a position already read. A bigserial alone would (ids are taken at INSERT and
-- commit out of order), so a row is placed by its writing transaction first: `tx` is the
-- top-level transaction id, and readers take only rows with tx < pg_snapshot_xmin(
-- pg_current_snapshot()), i.e. of transactions that have all ended (every transaction that
-- may still commit has an id at or above that xmin, and any that starts later a higher one),
-- ordered by (tx, id). A long transaction delays the feed; it never reorders it.
--
-- What is recorded is what the writer has at hand; the reader fills in the rest (an output's
-- job, a notification's step and job, through the correlation id), so the write path pays for
-- no lookup. Notifications are recorded on UPDATE only: the door's INSERT stays as it was.
CREATE TABLE changes (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id bigint GENERATED ALWAYS AS IDENTITY,
    kind text NOT NULL,
    job_id uuid,
    step_id uuid,
    -- outputs: which input of the step.
    input_index integer,
    -- notifications: the row, and its correlation id (the step it was for, found when read).
    notification_id bigint,
    correlation_id uuid,
    old_state text,
    new_state text NOT NULL,
    at timestamptz NOT NULL DEFAULT statement_timestamp(),
    PRIMARY KEY (tx, id)
);

-- The newest position pruned (one row): a reader asking to resume at or before it has missed
-- events. Pruning only moves it forward.
CREATE TABLE changes_horizon (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    tx xid8 NOT NULL,
    id bigint NOT NULL
);
INSERT INTO changes_horizon (tx, id) VALUES ('0', 0);

CREATE FUNCTION changes_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (kind, job_id, new_state)
    SELECT 'job', n.id, n.state FROM new_rows n;
    IF FOUND THEN PERFORM pg_notify('mpshook_changes', ''); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION changes_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (kind, job_id, old_state, new_state)
    SELECT 'job', n.id, o.state, n.state
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.state IS DISTINCT FROM n.state;
    IF FOUND THEN PERFORM pg_notify('mpshook_changes', ''); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION changes_steps_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (kind, job_id, step_id, new_state)
    SELECT 'step', n.job_id, n.id, n.state FROM new_rows n;
    IF FOUND THEN PERFORM pg_notify('mpshook_changes', ''); END IF;
    RETURN NULL;
END $$;

-- Steps are updated often without a change of state (leases renewed, polls counted): those
-- rows are filtered out here.
CREATE FUNCTION changes_steps_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (kind, job_id, step_id, old_state, new_state)
    SELECT 'step', n.job_id, n.id, o.state, n.state
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.state IS DISTINCT FROM n.state;
    IF FOUND THEN PERFORM pg_notify('mpshook_changes', ''); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION changes_outputs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (kind, step_id, input_index, old_state, new_state)
    SELECT 'output', n.step_id, n.input_index, o.status, n.status
    FROM new_rows n JOIN old_rows o ON o.step_id = n.step_id AND o.input_index = n.input_index
    WHERE o.status IS DISTINCT FROM n.status;
    IF FOUND THEN PERFORM pg_notify('mpshook_changes', ''); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION changes_notifications_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO changes (kind, notification_id, correlation_id, old_state, new_state)
    SELECT 'notification', n.id, n.correlation_id, o.outcome, n.outcome
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.outcome IS DISTINCT FROM n.outcome;
    IF FOUND THEN PERFORM pg_notify('mpshook_changes', ''); END IF;
    RETURN NULL;
END $$;

-- (A trigger with transition tables takes one event and no column list: hence one per event.)
CREATE TRIGGER changes_jobs_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_jobs_inserted();
CREATE TRIGGER changes_jobs_updated AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_jobs_updated();
CREATE TRIGGER changes_steps_inserted AFTER INSERT ON steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_steps_inserted();
CREATE TRIGGER changes_steps_updated AFTER UPDATE ON steps
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_steps_updated();
CREATE TRIGGER changes_outputs_updated AFTER UPDATE ON outputs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_outputs_updated();
CREATE TRIGGER changes_notifications_updated AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_notifications_updated();
