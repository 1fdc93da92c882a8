-- Baseline: the migrations table itself is created by the runner (it must exist before the
-- first file can be recorded). This file documents it, so every later schema change has a
-- numbered predecessor and `mpshook migrate` has something to prove itself on.
COMMENT ON TABLE mpshook_migrations IS
    'Applied schema migrations: one row per migrations/NNNN_name.sql file, with its SHA-256.';
