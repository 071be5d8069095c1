-- Migration 8: documents of applications.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders (the backend's
-- auto-increment key and byte-string type). Times are Unix seconds.
--
-- The objects (the normalised image and its thumbnail) are in the blob store, sealed,
-- under random keys; each row keeps the wrapped keys that open them. Deleting a row
-- shreds the document.

CREATE TABLE documents (
    id {id},
    application_id BIGINT NOT NULL REFERENCES applications(id),
    slot TEXT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    wrapped_key {blob} NOT NULL,
    thumbnail_key TEXT NOT NULL UNIQUE,
    thumbnail_wrapped_key {blob} NOT NULL,
    -- SHA-256 (hex) of the stored image, as the application's content records it.
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (application_id, slot)
);
