-- Migration 22: production jobs (制证). One row per attempt to put an application's
-- certificate onto a blank USB key, driven by a producer's workstation. Its status follows
-- `domain::production::JobStatus`. `so_pin_sealed`: the key's security-officer PIN, made
-- by the server and sealed under a key derived from the master key (needed later to
-- unlock; never shown, never logged); `user_pin_sealed`: the user PIN set on it, sealed
-- the same way until it is delivered by the channel's policy. `challenge`: random bytes the key must sign to prove
-- it holds the certificate's key. `failed_step`/`failure`: what the workstation reported.

CREATE TABLE production_jobs (
    id {id},
    application_id BIGINT NOT NULL REFERENCES applications(id),
    usb_key_id BIGINT NOT NULL REFERENCES usb_keys(id),
    operator_id BIGINT REFERENCES operators(id),
    workstation TEXT NOT NULL,
    status TEXT NOT NULL,
    so_pin_sealed {blob} NOT NULL,
    user_pin_sealed {blob} NOT NULL,
    challenge {blob} NOT NULL,
    certificate_serial TEXT,
    failed_step TEXT,
    failure TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX production_jobs_application ON production_jobs (application_id, id);
CREATE INDEX production_jobs_status ON production_jobs (status, id);
