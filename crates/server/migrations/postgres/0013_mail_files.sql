-- Files that came by mail and are not screenshots (SPEC §3.1's evidence rules refuse them): a PDF
-- invoice, a bank statement, a spreadsheet, a small logo. Their bytes stay in the raw message
-- the row names (kept as a blob), at their place among its attachments; the row keeps what an
-- agent sees listed. The message is null for the mail that opened the case.
CREATE TABLE mail_files (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    message_id BIGINT REFERENCES messages(id),
    raw_sha256 TEXT NOT NULL,
    part BIGINT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    byte_len BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (raw_sha256, part)
);
CREATE INDEX mail_files_ticket ON mail_files (ticket_id, id);
