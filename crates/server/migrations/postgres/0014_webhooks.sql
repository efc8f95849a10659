-- Webhooks out (SPEC §9). An endpoint: its URL, its signing secret sealed under a server key
-- (it must be read back to sign, so it cannot be a hash), the events it hears of, and its health:
-- failing since when, disabled when and why. Removing one marks it, so its deliveries and the
-- audit rows that name it keep their meaning.
CREATE TABLE webhooks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    failing_since BIGINT,
    disabled_at BIGINT,
    disabled_reason TEXT,
    removed_at BIGINT
);

CREATE TABLE webhook_subscriptions (
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    kind TEXT NOT NULL,
    PRIMARY KEY (kind, webhook_id)
);

-- One row per event and endpoint, written in the transaction of the change it tells of (fanned
-- out there by INSERT … SELECT over the subscriptions), claimed under a lease like the outbox.
-- `payload` is the event (`type` and `data`); `event_id` is the same for every endpoint and
-- every attempt, for receivers to drop a repeat.
CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets(id),
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    response_status BIGINT,
    response_ms BIGINT,
    last_error TEXT,
    delivered_at BIGINT,
    gave_up_at BIGINT
);
-- What is due, for the worker; the last deliveries of one endpoint, for its page.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (webhook_id, id);
