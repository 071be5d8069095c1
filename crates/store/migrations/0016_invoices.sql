-- Migration 16: invoices (发票).
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds; money is integer fen.
--
-- An invoice is requested when its order is paid, one per distinct invoice choice of the
-- order's applications (`request` holds that choice as JSON: kind, title, taxpayer id,
-- e-mail…; no identity document). `request_no` is fixed at the request: an invoicing
-- provider asked again with it issues once. The issued files (PDF, and the 数电票's OFD or
-- XML where there are) are sealed in the blob store like documents, their wrapped keys
-- here. `due_at` is the channel's promise (electronic: a day after payment; paper: the
-- channel's `paper_within_days`). Its status follows `domain::invoice::InvoiceStatus`.

CREATE TABLE invoices (
    id {id},
    order_id BIGINT NOT NULL REFERENCES orders(id),
    request_no TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    request TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    number TEXT,
    issued_on TEXT,
    issued_by BIGINT REFERENCES operators(id),
    pdf_key TEXT UNIQUE,
    pdf_wrapped_key {blob},
    other_format TEXT,
    other_key TEXT UNIQUE,
    other_wrapped_key {blob},
    courier TEXT,
    tracking_no TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX invoices_order ON invoices (order_id, id);
CREATE INDEX invoices_status ON invoices (status, due_at);
