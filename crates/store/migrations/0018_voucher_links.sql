-- Migration 18: one-time links that let a phone upload the voucher (汇款底单) of an order's
-- bank transfer. Like `upload_links` (migration 9): only the SHA-256 of the token is kept;
-- the remitter and the date were typed on the computer when the link was made.

CREATE TABLE voucher_links (
    id {id},
    token_hash TEXT NOT NULL UNIQUE,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    remitter TEXT NOT NULL,
    remitted_on TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
