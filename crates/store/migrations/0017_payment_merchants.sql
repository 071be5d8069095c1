-- Migration 17: a channel's own merchant account with an online payment provider.
-- Shared by SQLite and PostgreSQL; schema.rs fills in the placeholders. Times are Unix
-- seconds.
--
-- A channel whose money goes to another merchant (another app id with Alipay, another
-- mchid with WeChat Pay) has its row here; `channel_code` '*' is the installation's
-- merchant for every other channel (it wins over one given to `serve` by flags). `settings` holds what is public (the gateway, ids, the
-- provider's public key) as JSON; `sealed` holds the private key (and WeChat Pay's APIv3
-- key) sealed with AES-256-GCM under a key derived from the master key, bound to the
-- channel, the provider and the app id. Nothing secret is stored in clear.

CREATE TABLE payment_merchants (
    id {id},
    channel_code TEXT NOT NULL,
    provider TEXT NOT NULL,
    app_id TEXT NOT NULL,
    settings TEXT NOT NULL,
    sealed {blob} NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (channel_code, provider)
);
