-- Migration 1: the CA engine (CAs, certificates, revocations, CRLs, OCSP responders,
-- API tokens) and the hash-chained audit log.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders (the backend's
-- auto-increment key and byte-string type). Times are Unix seconds.

CREATE TABLE cas (
    id {id},
    name TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    role TEXT NOT NULL,
    parent_id BIGINT REFERENCES cas(id),
    subject TEXT NOT NULL,
    cert_der {blob} NOT NULL,
    not_after BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    key_storage TEXT NOT NULL,
    sealed_key {blob},
    pkcs11_label TEXT,
    crl_number BIGINT NOT NULL DEFAULT 0,
    revocation_epoch BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE certificates (
    id {id},
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    serial TEXT NOT NULL UNIQUE,
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    der {blob} NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX certificates_ca ON certificates (ca_id, not_after);

CREATE TABLE revocations (
    certificate_id BIGINT PRIMARY KEY REFERENCES certificates(id),
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    serial TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    reason BIGINT NOT NULL
);

CREATE INDEX revocations_ca ON revocations (ca_id);

CREATE TABLE crls (
    ca_id BIGINT PRIMARY KEY REFERENCES cas(id),
    crl_number BIGINT NOT NULL,
    revocation_epoch BIGINT NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    der {blob} NOT NULL
);

CREATE TABLE ocsp_responders (
    id {id},
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    certificate_id BIGINT NOT NULL REFERENCES certificates(id),
    not_after BIGINT NOT NULL,
    sealed_key {blob} NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id {id},
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    cas TEXT NOT NULL,
    profiles TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
