-- mpshook: additive
-- API keys for the REST API (`Authorization: Bearer mpsk_<id>_<secret>`). Only the key's public id
-- and the SHA-256 of the whole key are stored; the key is shown once, when `mpshook keys create`
-- makes it. A request finds its key's row by id and compares the hash in constant time.
-- Additive only: a new table, which a replica of the previous version never reads.

CREATE TABLE api_keys (
    -- The 12 hexadecimal digits after `mpsk_`: public, unique for ever (ids are never reused).
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
    -- Spelled like a key id would make `mpshook keys revoke NAME|ID` ambiguous: refused.
    name text NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$' AND name !~ '^[0-9a-f]{12}$'),
    scope text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    -- SHA-256 of the whole key (the secret has 256 random bits: no salt or slow hash needed).
    hash bytea NOT NULL CHECK (length(hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
    -- NULL: never expires.
    expires_at timestamptz,
    -- Set once; a revoked key is kept (its id and name stay in audits) but never authenticates.
    revoked_at timestamptz,
    -- Recorded at most once a minute per key, not on every request.
    last_used_at timestamptz
);

-- A name is unique among keys not revoked, not for ever: the name says what the key is for
-- ("grafana", "oncall-cli"), so rotating means revoking the old key and making a new one under
-- the same name. Audits record the id with the name, which keeps them unambiguous.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;
