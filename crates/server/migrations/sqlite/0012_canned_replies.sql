-- Canned replies (SPEC §7): global (no team) or one team's, a text per language (a JSON object,
-- language → text, read and written whole), optionally setting the case's status or priority.
-- Removing one marks it, so the audit rows that name it keep their meaning.
CREATE TABLE canned_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    team_id BIGINT REFERENCES teams(id),
    texts TEXT NOT NULL,
    set_status TEXT,
    set_priority TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    removed_at BIGINT
);
-- An agent picks one by name: two live ones never share it.
CREATE UNIQUE INDEX canned_replies_live_name ON canned_replies (name) WHERE removed_at IS NULL;

-- What a reply does to its case as it goes, remembered while it is held: the status it leaves
-- (was `then_wait`, "reply and wait"; now also a canned reply's) and the priority a canned reply
-- sets; and the canned reply it began from.
ALTER TABLE messages ADD COLUMN then_status TEXT;
ALTER TABLE messages ADD COLUMN then_priority TEXT;
ALTER TABLE messages ADD COLUMN canned_id BIGINT REFERENCES canned_replies(id);
UPDATE messages SET then_status = 'pending_customer' WHERE then_wait = 1;
ALTER TABLE messages DROP COLUMN then_wait;
