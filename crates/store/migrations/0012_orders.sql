-- Migration 12: orders (订单), what they hold, and the vouchers of bank transfers.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders (the backend's
-- auto-increment key and byte-string type). Times are Unix seconds; money is integer fen.
--
-- An order holds submitted applications of one holder (same `subject_key`) in one
-- channel; `order_items` keeps each line as priced when the order was placed. An
-- application is in at most one open or paid order: `applications.order_id`, set by a
-- compare-and-set from NULL, cleared when its order is cancelled or closed unpaid.
-- `applications.paid_at` records that its order was paid. A voucher (汇款底单) is an image
-- sealed like a document (its own key, wrapped and bound to the object and the order);
-- every upload is kept, the latest is the one finance checks.

CREATE TABLE orders (
    id {id},
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    channel_code TEXT NOT NULL REFERENCES channels(code),
    subject_key TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Finance's reason when it marked a payment exception (支付异常).
    exception_reason TEXT,
    -- The finance operator who confirmed the payment (核款), and when it was paid.
    confirmed_by BIGINT REFERENCES operators(id),
    paid_at BIGINT,
    -- The one reminder of an unpaid order (稍后支付) was sent.
    reminded_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX orders_customer ON orders (customer_id, id);
CREATE INDEX orders_status ON orders (status, created_at);

CREATE TABLE order_items (
    order_id BIGINT NOT NULL REFERENCES orders(id),
    application_id BIGINT NOT NULL REFERENCES applications(id),
    description TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (order_id, application_id)
);

CREATE TABLE vouchers (
    id {id},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    object_key TEXT NOT NULL UNIQUE,
    wrapped_key {blob} NOT NULL,
    thumbnail_key TEXT NOT NULL UNIQUE,
    thumbnail_wrapped_key {blob} NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- What the customer says of the transfer (汇款户名, 汇款日期), for finance to match.
    remitter TEXT NOT NULL,
    remitted_on TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX vouchers_order ON vouchers (order_id, id);

ALTER TABLE applications ADD COLUMN order_id BIGINT REFERENCES orders(id);
ALTER TABLE applications ADD COLUMN paid_at BIGINT;
CREATE INDEX applications_order ON applications (order_id);
