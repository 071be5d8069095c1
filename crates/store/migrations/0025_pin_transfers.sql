-- Migration 25: PINs delivered in the remark of a payment (seed 004 §7: 证书密码在对公账户
-- 收款1分钱记录附言中): one row per produced key whose user PIN goes to the verified
-- corporate account, made in the transaction that finishes the job. The payment is made
-- after that transaction (a call to the bank's service), asked again until the service
-- says it is paid; `job_id` is its idempotency key, so a retry pays once. The PIN itself
-- stays sealed in the job; nothing here holds it.

CREATE TABLE pin_transfers (
    id {id},
    job_id BIGINT NOT NULL UNIQUE REFERENCES production_jobs(id),
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at BIGINT
);

CREATE INDEX pin_transfers_pending ON pin_transfers (sent_at, id);
