-- Migration 5: customer profiles and address books.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders (the backend's
-- auto-increment key and byte-string type). Times are Unix seconds.

CREATE TABLE customer_profiles (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id),
    name TEXT,
    email TEXT,
    id_number_sealed {blob},
    id_number_masked TEXT,
    landline TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE addresses (
    id {id},
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    province TEXT NOT NULL,
    city TEXT NOT NULL,
    district TEXT NOT NULL,
    detail TEXT NOT NULL,
    postal_code TEXT,
    is_default BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX addresses_customer ON addresses (customer_id);
