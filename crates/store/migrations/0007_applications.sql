-- Migration 7: applications (申请单).
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders (the backend's
-- auto-increment key and byte-string type). Times are Unix seconds.
--
-- What the customer entered is one sealed JSON document (`content`, AES-256-GCM under a
-- key derived from the master key, bound to the row): it holds ID numbers and bank
-- accounts. `holder_name` is the organisation's name (public) or the person's masked name,
-- for lists. `subject_key` is an HMAC of the USCC / licence number + organisation code /
-- ID number, so that duplicates are found without storing the identifier in clear.

CREATE TABLE applications (
    id {id},
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    channel_code TEXT NOT NULL REFERENCES channels(code),
    business TEXT NOT NULL,
    status TEXT NOT NULL,
    next_step TEXT NOT NULL,
    holder_name TEXT,
    subject_key TEXT,
    content {blob} NOT NULL,
    content_version BIGINT NOT NULL,
    -- Counter business (现场办理): the clerk who entered it.
    entered_by BIGINT REFERENCES operators(id),
    -- The SMS-signed submission: SHA-256 of the content signed, when, and the number.
    signed_digest TEXT,
    signed_at BIGINT,
    signed_phone TEXT,
    submitted_at BIGINT,
    -- The reviewer who took it, and the reason of a rejection.
    reviewer_id BIGINT REFERENCES operators(id),
    reject_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX applications_customer ON applications (customer_id, id);
CREATE INDEX applications_status ON applications (status, submitted_at);
-- One unfinished application per holder, channel and account (seed 004). The flows
-- refuse a new draft beside a draft or a rejected one; the database holds the line for
-- drafts (a rejection must go through even when the customer started another meanwhile).
CREATE UNIQUE INDEX applications_one_unfinished
    ON applications (customer_id, channel_code, subject_key)
    WHERE status = 'draft';
-- The timeline of an application is its audit events.
CREATE INDEX audit_events_object ON audit_events (object, seq);
