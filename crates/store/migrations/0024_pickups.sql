-- Migration 24: pickups at the counter (可领取). One per application whose keys are
-- collected: the HMAC of the pickup code sent to the customer by SMS (never the code), the
-- wrong tries (five lock it until a new code is sent), and when and by whom the keys
-- were handed over.

CREATE TABLE pickups (
    id {id},
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications(id),
    code_mac TEXT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    handed_over_at BIGINT,
    handed_over_by BIGINT REFERENCES operators(id)
);
