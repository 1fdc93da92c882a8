-- mpshook: additive
-- Permits for MPS API calls, shared by every replica: at most N grants per bucket in any
-- sliding one-second window (BatchProcessMedia: 20/s). Grants are serialised per bucket by a
-- transaction-scoped advisory lock; rows older than a minute are pruned as new ones are made.
CREATE TABLE mps_call_permits (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket text NOT NULL,
    granted_at timestamptz NOT NULL
);
CREATE INDEX mps_call_permits_bucket_time ON mps_call_permits (bucket, granted_at);
