-- Events that will not be delivered any more (permanent refusal, or past the give-up time):
-- kept, with their last error, for agents to see.
ALTER TABLE outbox ADD COLUMN gave_up_at BIGINT;
