-- Migration 11: real-name verification checks (实名认证) of applications.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds. One row per check asked of the identity service, passed or not (the count of
-- a day's checks limits what one application may spend). `status` follows
-- `domain::application::verification::CheckStatus`. The penny-drop's code is kept only
-- as an HMAC; what was checked (the legal representative's data, the corporate account)
-- is sealed JSON bound to the row. The rows of a cancelled application are deleted.

CREATE TABLE identity_checks (
    id {id},
    application_id BIGINT NOT NULL REFERENCES applications(id),
    party TEXT NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    provider TEXT NOT NULL,
    -- The face session's reference, or the transfer's idempotency key.
    reference TEXT,
    code_hash TEXT,
    tries BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT,
    -- The service's last answer (`match`, `mismatch`, …, `timeout`, `unavailable`).
    answer TEXT,
    evidence {blob},
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX identity_checks_application ON identity_checks (application_id, party, id);
