-- Migration 15: refunds (退款), one table for every payment given back.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds; money is integer fen.
--
-- A refund belongs to an order, and to the online attempt whose money it gives back
-- (NULL for a bank transfer, which finance sends back itself and records with the bank's
-- reference). `refund_no` is fixed when the refund is made: asking the provider again
-- with it refunds once. `requested_by` is the finance operator who cancelled the paid
-- order (NULL: the system, for a payment the order did not need). Its status follows
-- `domain::refund::RefundStatus`. The automatic refunds of migration 14 move here.

CREATE TABLE refunds (
    id {id},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    attempt_id BIGINT REFERENCES payment_attempts(id),
    refund_no TEXT NOT NULL UNIQUE,
    amount_fen BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by BIGINT REFERENCES operators(id),
    bank_reference TEXT,
    refunded_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX refunds_order ON refunds (order_id, id);
CREATE INDEX refunds_status ON refunds (status, id);

INSERT INTO refunds (order_id, attempt_id, refund_no, amount_fen, reason, status, refunded_at,
                     created_at, updated_at)
SELECT order_id, id, COALESCE(refund_no, 'RF' || out_trade_no), amount_fen,
       '重复或迟到的付款，自动退款',
       CASE WHEN refunded_at IS NULL THEN 'pending' ELSE 'refunded' END,
       refunded_at, refund_due_at, COALESCE(refunded_at, refund_due_at)
FROM payment_attempts WHERE refund_due_at IS NOT NULL;

ALTER TABLE payment_attempts DROP COLUMN refund_due_at;
ALTER TABLE payment_attempts DROP COLUMN refund_no;
ALTER TABLE payment_attempts DROP COLUMN refunded_at;
