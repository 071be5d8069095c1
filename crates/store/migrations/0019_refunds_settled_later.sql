-- Migration 19: refunds the provider settles later (WeChat Pay `PROCESSING`), and those it
-- could not make (`ABNORMAL`, `CLOSED`), which go to finance (status `abnormal`).
--
-- `settling_since`: when the provider accepted the refund and said it would settle it
-- later (from then on it is queried, not sent again). `asked_at`: when the provider was
-- last asked (the back-off of `domain::refund::ask_again`). `failure`: the provider's
-- word when it could not make the refund.

ALTER TABLE refunds ADD COLUMN settling_since BIGINT;
ALTER TABLE refunds ADD COLUMN asked_at BIGINT;
ALTER TABLE refunds ADD COLUMN failure TEXT;
