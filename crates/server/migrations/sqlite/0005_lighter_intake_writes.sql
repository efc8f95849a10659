-- Every intake wrote one page at a random place in the unique index of status-token hashes. The
-- hashes are looked up by case (the status link names it), and 128 random bits do not collide, so
-- the index goes. SQLite cannot drop a UNIQUE constraint: the table is rebuilt (nothing refers to it).
CREATE TABLE status_tokens_new (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO status_tokens_new (ticket_id, token_hash, created_at)
    SELECT ticket_id, token_hash, created_at FROM status_tokens;
DROP TABLE status_tokens;
ALTER TABLE status_tokens_new RENAME TO status_tokens;
CREATE INDEX status_tokens_ticket ON status_tokens (ticket_id);
