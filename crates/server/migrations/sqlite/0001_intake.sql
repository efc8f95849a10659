-- Cases, what customers sent with them, and the events they trigger. Times are UTC milliseconds
-- since the epoch; booleans are 0/1 integers, so one SQL text serves both backends.
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- the case number's sequence: never reused
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    category TEXT NOT NULL,
    subcategory TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    name TEXT,
    country TEXT,
    language TEXT NOT NULL,
    device TEXT NOT NULL,
    description TEXT NOT NULL,
    fields TEXT NOT NULL,
    urgent_requested BIGINT NOT NULL,
    penalised BIGINT NOT NULL,
    warnings TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_response_due BIGINT NOT NULL,
    resolution_due BIGINT NOT NULL,
    first_response_at BIGINT,
    resolved_at BIGINT,
    last_bump_at BIGINT
);
CREATE INDEX tickets_email_created ON tickets (email, created_at);
CREATE INDEX tickets_phone_created ON tickets (phone, created_at);
CREATE INDEX tickets_queue ON tickets (status, first_response_due);

CREATE TABLE status_tokens (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX status_tokens_ticket ON status_tokens (ticket_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    public BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_ticket ON messages (ticket_id, id);

CREATE TABLE evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    message_id BIGINT REFERENCES messages (id),
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    byte_len BIGINT NOT NULL,
    filename TEXT NOT NULL,
    editor TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX evidence_sha256 ON evidence (sha256);
CREATE INDEX evidence_ticket ON evidence (ticket_id);

CREATE TABLE strikes (
    contact TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX strikes_contact ON strikes (contact, created_at);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    locked_until BIGINT,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
