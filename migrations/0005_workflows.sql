-- mpshook: additive
-- Chained workflows. A workflow version is immutable once stored: a job references the version
-- it started with, so editing a workflow (storing a new version) never changes a running job.
-- Additive only: every new column has a default or is nullable, so a replica of the previous
-- version keeps working beside this schema.

CREATE TABLE workflows (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]{1,100}$'),
    version integer NOT NULL CHECK (version > 0),
    -- SHA-256 (hex) of the canonical JSON: the same content under one name is one version.
    content_hash text NOT NULL,
    -- The canonical JSON (steps as a list, in order), what the planner reads.
    canonical text NOT NULL,
    -- The file as written (YAML or JSON), for people.
    source text NOT NULL,
    source_file text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name, version),
    UNIQUE (name, content_hash)
);

-- A job runs one workflow version (NULL: a job created with a bare BatchProcessMedia body, a
-- one-step workflow), over its inputs, with its parameters (the defaults filled in).
ALTER TABLE jobs ADD COLUMN workflow_id bigint REFERENCES workflows (id);
ALTER TABLE jobs ADD COLUMN params jsonb;
ALTER TABLE jobs ADD COLUMN input_urls text[];
CREATE INDEX jobs_workflow ON jobs (workflow_id, created_at) WHERE workflow_id IS NOT NULL;

-- A step row is one run of one step of the workflow: for one fan-out value (item), one retry
-- round (run), planned by the completion of its parents (lineage). The unique key is what makes
-- a follow-up exist exactly once, whatever the duplicates, order or number of replicas.
ALTER TABLE steps ADD COLUMN item text;
ALTER TABLE steps ADD COLUMN run integer NOT NULL DEFAULT 1 CHECK (run > 0);
ALTER TABLE steps ADD COLUMN parent_ids uuid[] NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX steps_run_once ON steps (job_id, name, coalesce(item, ''), run);

-- Which job input an output is (a follow-up step runs over a subset of the job's inputs);
-- NULL on rows written before this migration, where it equals input_index.
ALTER TABLE outputs ADD COLUMN job_input_index integer CHECK (job_input_index >= 0);
COMMENT ON COLUMN outputs.results IS
    'Every subtitle file MPS reported for this output (recognition and each translation, per language): a JSON array of SubtitleFile';
