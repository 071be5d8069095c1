-- Migration 13: bank statements (银行流水) finance imports, and their credits.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds; money is integer fen; dates are YYYY-MM-DD in China.
--
-- A statement is known by the SHA-256 of its file: importing the same file again adds
-- nothing. Each credit keeps its line, the remitter as written and as compared
-- (`remitter_key`, normalised), the order it is proposed for or paid, and its status
-- (`domain::statement::CreditStatus`).

CREATE TABLE bank_statements (
    id {id},
    sha256 TEXT NOT NULL UNIQUE,
    profile TEXT NOT NULL,
    file_name TEXT NOT NULL,
    credits BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE bank_credits (
    id {id},
    statement_id BIGINT NOT NULL REFERENCES bank_statements(id),
    row_number BIGINT NOT NULL,
    booked_on TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    remitter TEXT NOT NULL,
    remitter_key TEXT NOT NULL,
    account TEXT NOT NULL,
    remark TEXT NOT NULL,
    status TEXT NOT NULL,
    order_id BIGINT REFERENCES orders(id),
    -- Why nothing was proposed, or why only a partial match was found.
    note TEXT,
    decided_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (statement_id, row_number)
);

CREATE INDEX bank_credits_status ON bank_credits (status, id);
