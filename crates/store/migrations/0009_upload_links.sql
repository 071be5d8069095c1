-- Migration 9: one-time links for uploading a document from a phone (by QR code).
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds. Only the SHA-256 of a link's token is kept.

CREATE TABLE upload_links (
    id {id},
    token_hash TEXT NOT NULL UNIQUE,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    slot TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
