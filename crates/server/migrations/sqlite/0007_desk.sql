-- The agents' desk (SPEC §6, §7): agents, teams and what they own, sessions, API tokens, sign-in
-- throttling, the audit log, and where each case stands in the queue.
CREATE TABLE teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    restricted BIGINT NOT NULL DEFAULT 0,
    assign_mode TEXT NOT NULL DEFAULT 'manual',
    capacity BIGINT,
    created_at BIGINT NOT NULL
);

-- A team owns a whole category (subcategory '') or one sub-category; the sub-category's owner wins.
CREATE TABLE team_owns (
    category TEXT NOT NULL,
    subcategory TEXT NOT NULL,
    team_id BIGINT NOT NULL REFERENCES teams (id),
    PRIMARY KEY (category, subcategory)
);

CREATE TABLE agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- Argon2id in PHC form; NULL until the agent sets one through their link.
    password_hash TEXT,
    -- RFC 6238: the authenticator's shared secret (base32), one awaiting its first code while it
    -- is set up, and the last time step a code was used in (a code is good once).
    totp_secret TEXT,
    totp_pending TEXT,
    totp_last_step BIGINT,
    language TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    disabled_at BIGINT,
    last_seen_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams (id),
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent ON team_members (agent_id);

-- Only hashes of the secrets handed out are kept (SPEC §6).
CREATE TABLE agent_sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at BIGINT,
    ip TEXT
);
CREATE INDEX agent_sessions_agent ON agent_sessions (agent_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_agent ON api_tokens (agent_id);

CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Failed sign-ins, by account ('agent:EMAIL') and by client ('ip:ADDRESS'), for the throttle.
CREATE TABLE sign_in_failures (
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key, at);

-- Every change to a case, an agent, a team or a setting, and every sign-in: one row in the
-- change's own transaction. Append-only: the triggers below refuse UPDATE and DELETE.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES agents (id), -- NULL: the system
    action TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets (id),
    agent_id BIGINT REFERENCES agents (id), -- the agent the change is about
    team_id BIGINT REFERENCES teams (id),
    old_value TEXT,
    new_value TEXT,
    ip TEXT
);
CREATE INDEX audit_ticket ON audit (ticket_id, id);
CREATE INDEX audit_actor ON audit (actor_id, id);
CREATE INDEX audit_agent ON audit (agent_id, id);
-- A breach is marked once per case and target, however many watchers run (SPEC §7). Partial:
-- the literal names the one action it is about.
CREATE UNIQUE INDEX audit_breach_once ON audit (ticket_id, new_value) WHERE action = 'sla_breached';

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Replies and notes name their agent.
ALTER TABLE messages ADD COLUMN agent_id BIGINT REFERENCES agents (id);
-- A reply sent with an Idempotency-Key (or a form's token) is sent once (STYLE rule 12).
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Who works the case, which team owns it, and its place in the queue (`QueueKey::position`,
-- computed by the domain; NULL only for rows written before this migration, until `serve` fills
-- them in at start).
ALTER TABLE tickets ADD COLUMN assignee_id BIGINT REFERENCES agents (id);
ALTER TABLE tickets ADD COLUMN team_id BIGINT REFERENCES teams (id);
ALTER TABLE tickets ADD COLUMN queue_position BIGINT;
-- A case merged into another points to it: its status link and its mail threads lead there.
ALTER TABLE tickets ADD COLUMN merged_into BIGINT REFERENCES tickets (id);
DROP INDEX tickets_queue;
CREATE INDEX tickets_queue ON tickets (queue_position, id);
CREATE INDEX tickets_queue_team ON tickets (team_id, queue_position, id);
CREATE INDEX tickets_queue_assignee ON tickets (assignee_id, queue_position, id);
CREATE INDEX tickets_queue_status ON tickets (status, queue_position, id);
-- The filter agents use most: a category's queue, read in order.
CREATE INDEX tickets_queue_category ON tickets (category, queue_position, id);

-- The cases opened about another (a case page lists them). Partial: most cases are about none.
CREATE INDEX tickets_related ON tickets (related_to) WHERE related_to IS NOT NULL;

-- Cases an agent linked as related (SPEC §7), each pair once with the smaller id first.
CREATE TABLE case_links (
    a BIGINT NOT NULL REFERENCES tickets (id),
    b BIGINT NOT NULL REFERENCES tickets (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX case_links_b ON case_links (b);

-- Mail about an agent (an invitation) is about no case: the outbox's case becomes optional.
-- SQLite cannot drop a NOT NULL: the table is rebuilt, its rows and ids kept.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ticket_id BIGINT REFERENCES tickets (id),
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    locked_until BIGINT,
    sent_at BIGINT,
    gave_up_at BIGINT
);
INSERT INTO outbox_new (id, kind, ticket_id, payload, idempotency_key, created_at, attempts, next_attempt_at,
    last_error, locked_until, sent_at, gave_up_at)
    SELECT id, kind, ticket_id, payload, idempotency_key, created_at, attempts, next_attempt_at, last_error,
    locked_until, sent_at, gave_up_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
