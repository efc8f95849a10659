-- Foundations for the agents' side.
-- The resolution clock stands still while a case waits on the customer (SPEC §4): since when.
ALTER TABLE tickets ADD COLUMN paused_since BIGINT;

-- Secrets every instance shares (the MAC in our Message-IDs and bounce addresses, SPEC §5).
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Outbox payloads are typed events tagged with their kind: events still waiting get the tag the
-- `kind` column already holds.
UPDATE outbox SET payload = json_set(payload, '$.kind', kind) WHERE json_valid(payload);
