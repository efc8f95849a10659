-- Cases opened by e-mail (SPEC §5): they may wait for the phone and device (status `needs_info`,
-- the columns holding '' meanwhile), may be about another case (a stranger quoting its number, a
-- reply to a case already closed), and keep the raw message they came in. A follow-up by mail
-- remembers its sender when that is not the case's contact (a colleague in Cc).
ALTER TABLE tickets ADD COLUMN related_to BIGINT REFERENCES tickets (id);
ALTER TABLE tickets ADD COLUMN raw_sha256 TEXT;
ALTER TABLE messages ADD COLUMN sender TEXT;

-- A raw message is filed once: fetched twice (two pollers, a crash before the mailbox was marked,
-- an MTA retrying a pipe), it finds its first filing here. Partial: cases from the form and the API
-- have no raw message and add nothing to these indexes.
CREATE UNIQUE INDEX tickets_raw_sha256 ON tickets (raw_sha256) WHERE raw_sha256 IS NOT NULL;
CREATE UNIQUE INDEX messages_raw_sha256 ON messages (raw_sha256) WHERE raw_sha256 IS NOT NULL;
CREATE INDEX mail_aside_raw_sha256 ON mail_aside (raw_sha256);

-- How far the IMAP poller has read each mailbox: UIDs are only meaningful under their UIDVALIDITY.
CREATE TABLE mailbox_progress (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
