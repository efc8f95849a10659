-- Assignment (SPEC §8): the teams' `assign_mode` and `capacity` (0007; NULL capacity: 10) and
-- whom each gave a case last (round robin's turn); each agent's own pause, absence and skills.
ALTER TABLE teams ADD COLUMN last_assigned BIGINT;
ALTER TABLE agents ADD COLUMN paused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN out_of_office BIGINT NOT NULL DEFAULT 0;
-- Comma-separated; empty: any.
ALTER TABLE agents ADD COLUMN languages TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN subcategories TEXT NOT NULL DEFAULT '';
