-- Migration 20: the orders a bank credit pays. One credit may pay several orders of one
-- organisation (one transfer for two certificates ordered apart), so the order moves from
-- `bank_credits.order_id` to this table: one row per order the credit is proposed for or
-- paid. `bank_credits.order_id` stays, always NULL from here on: SQLite cannot drop a
-- column that takes part in a foreign key.

CREATE TABLE bank_credit_orders (
    credit_id BIGINT NOT NULL REFERENCES bank_credits(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    PRIMARY KEY (credit_id, order_id)
);

CREATE INDEX bank_credit_orders_order ON bank_credit_orders (order_id);

INSERT INTO bank_credit_orders (credit_id, order_id)
SELECT id, order_id FROM bank_credits WHERE order_id IS NOT NULL;

UPDATE bank_credits SET order_id = NULL;
