-- Who has a case open (SPEC §7, collision): each agent's last sign of the case page, kept fresh
-- by the page while it is open. One row per agent and case, overwritten.
CREATE TABLE case_viewers (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    agent_id BIGINT NOT NULL REFERENCES agents (id),
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, agent_id)
);
