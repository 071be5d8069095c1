-- Migration 23: shipments (寄出). One per application whose keys travel by courier: the
-- courier (a code of the channel's couriers), the tracking number as checked, who shipped
-- and when, and when it was received: `receipt` is `confirmed` (the customer said so) or
-- `assumed` (the configured days passed).

CREATE TABLE shipments (
    id {id},
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications(id),
    courier TEXT NOT NULL,
    tracking_no TEXT NOT NULL,
    shipped_by BIGINT REFERENCES operators(id),
    shipped_at BIGINT NOT NULL,
    received_at BIGINT,
    receipt TEXT
);

CREATE INDEX shipments_open ON shipments (received_at, shipped_at);
