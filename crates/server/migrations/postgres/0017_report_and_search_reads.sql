-- Reports (SPEC §11) read the cases created in a range, and the audit rows of a few actions since
-- its start (reopened cases, requests for information).
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX audit_action_at ON audit (action, at);
-- Search's plans rest on how often PostgreSQL thinks a word is: with the default statistics a
-- word it has not sampled is guessed at one case in 700 (1,434 of a million), close to the
-- 2,000 a search ranks, so a transaction id could be planned as a walk through every document.
-- Ten times the sample (ANALYZE: 4 s at a million cases) guesses 158, and samples more words.
ALTER TABLE case_search ALTER COLUMN document SET STATISTICS 1000;
