-- Migration 14: online payment attempts and the providers' notices.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds; money is integer fen.
--
-- An attempt is one QR code of one provider for one order, known to the provider by
-- `out_trade_no`; its status follows `domain::payment::AttemptStatus`. Every notice a
-- provider sends is kept as it came (the raw body), with the verdict on its signature and
-- what it did: a log for finance and for disputes.

CREATE TABLE payment_attempts (
    id {id},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    provider TEXT NOT NULL,
    out_trade_no TEXT NOT NULL UNIQUE,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    qr_code TEXT,
    provider_ref TEXT,
    expires_at BIGINT NOT NULL,
    -- A payment its order did not need (paid twice, or after the order was cancelled or
    -- closed): refunded automatically, with the refund's fixed number.
    refund_due_at BIGINT,
    refund_no TEXT,
    refunded_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX payment_attempts_order ON payment_attempts (order_id, id);
CREATE INDEX payment_attempts_status ON payment_attempts (status, created_at);

CREATE TABLE provider_notices (
    id {id},
    provider TEXT NOT NULL,
    notice_id TEXT,
    out_trade_no TEXT,
    body TEXT NOT NULL,
    verdict TEXT NOT NULL,
    effect TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
