-- Inbound mail (SPEC §5): the raw message behind a customer's e-mailed reply, addresses that bounce,
-- and mail that could not be filed, kept with its reason for agents to see.
ALTER TABLE messages ADD COLUMN raw_sha256 TEXT;

CREATE TABLE undeliverable (
    address TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE mail_aside (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reason TEXT NOT NULL,
    raw_sha256 TEXT NOT NULL,
    sender TEXT,
    subject TEXT,
    created_at BIGINT NOT NULL
);
