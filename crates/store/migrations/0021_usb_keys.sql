-- Migration 21: the USB key inventory (介质). One row per key received: its vendor, model
-- and serial number (as the key reports them: PKCS#11 C_GetTokenInfo's manufacturerID,
-- model and serialNumber), the batch it came in, its status
-- (`domain::usb_key::UsbKeyStatus`) and a PIN-locked flag (a flag on an active key, not a
-- state). `first_issued_at`: the first time a certificate was produced onto it (the
-- warranty counts from it). `application_id` / `certificate_id`: what it carries now.
-- A key's history is its audit events (object `usb_key:{id}`).

CREATE TABLE usb_keys (
    id {id},
    vendor TEXT NOT NULL,
    model TEXT NOT NULL,
    serial TEXT NOT NULL,
    batch TEXT NOT NULL,
    status TEXT NOT NULL,
    pin_locked BIGINT NOT NULL DEFAULT 0,
    application_id BIGINT REFERENCES applications(id),
    certificate_id BIGINT,
    first_issued_at BIGINT,
    received_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (vendor, serial)
);

CREATE INDEX usb_keys_serial ON usb_keys (serial);
CREATE INDEX usb_keys_status ON usb_keys (status, model);
