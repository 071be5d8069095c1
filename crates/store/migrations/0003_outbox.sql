-- Migration 3: the notification outbox.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders (the backend's
-- auto-increment key and byte-string type). Times are Unix seconds.

CREATE TABLE outbox (
    id {id},
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    text TEXT NOT NULL,
    sensitive BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
