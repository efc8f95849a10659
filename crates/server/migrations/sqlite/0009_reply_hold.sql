-- A reply held before it goes (SPEC §7, `reply_undo_delay`): until `held_until` only its agent
-- sees it, and may undo it; then a job sends it (mail, first response, status) and clears the
-- column. An undone reply keeps its row with `withdrawn_at` set, and is never shown again.
ALTER TABLE messages ADD COLUMN held_until BIGINT;
ALTER TABLE messages ADD COLUMN withdrawn_at BIGINT;
-- "Reply and wait", remembered until the reply goes.
ALTER TABLE messages ADD COLUMN then_wait BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_held ON messages (held_until) WHERE held_until IS NOT NULL;
