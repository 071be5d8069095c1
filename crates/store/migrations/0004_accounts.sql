-- Migration 4: customers, sessions (customers and operators), SMS codes, login failures, operators.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders (the backend's
-- auto-increment key and byte-string type). Times are Unix seconds.

CREATE TABLE customers (
    id {id},
    phone TEXT NOT NULL UNIQUE,
    username TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    realm TEXT NOT NULL,
    principal_id BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE INDEX sessions_principal ON sessions (realm, principal_id);

CREATE TABLE sms_codes (
    id {id},
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    consumed_at BIGINT
);

CREATE INDEX sms_codes_phone ON sms_codes (phone, created_at);

CREATE INDEX sms_codes_ip ON sms_codes (ip, created_at);

CREATE TABLE login_failures (
    id {id},
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE INDEX login_failures_subject ON login_failures (subject, at);

CREATE TABLE operators (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
