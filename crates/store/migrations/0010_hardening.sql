-- Migration 10: what the hardening of issue 11 needs.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds.

-- One row per throttled subject (an account, an address): a login's check and count take
-- this row's lock first, so requests that arrive at the same moment are counted one after
-- another (PostgreSQL's row lock; SQLite has one writer anyway).
CREATE TABLE login_throttles (
    subject TEXT PRIMARY KEY,
    touched_at BIGINT NOT NULL
);

-- The CA hierarchy's public base URL (AIA, CRL distribution points), recorded at first
-- start and changed only by an explicit, audited command.
CREATE TABLE installation (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
