-- Every intake wrote one page at a random place in the unique index of status-token hashes. The
-- hashes are looked up by case (the status link names it), and 128 random bits do not collide, so
-- the index goes.
ALTER TABLE status_tokens DROP CONSTRAINT status_tokens_token_hash_key;
