-- Cases opened by e-mail (SPEC §5): they may wait for the phone and device (status `needs_info`,
-- the columns holding '' meanwhile), may be about another case (a stranger quoting its number, a
-- reply to a case already closed), and keep the raw message they came in. A follow-up by mail
-- remembers its sender when that is not the case's contact (a colleague in Cc).
ALTER TABLE tickets ADD COLUMN related_to BIGINT REFERENCES tickets (id);
ALTER TABLE tickets ADD COLUMN raw_sha256 TEXT;
ALTER TABLE messages ADD COLUMN sender TEXT;
