-- Full-text search (SPEC §11). One document per case: its contact, device, fields, description and
-- messages, as the stems `sportello_domain::search` makes of them (the same words as SQLite's),
-- appended to by every write that adds text, in that write's transaction. The words are stemmed
-- already: the `simple` configuration only cuts them at the spaces.
CREATE TABLE case_search (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),
    words TEXT NOT NULL,
    document tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED
);
CREATE INDEX case_search_document ON case_search USING GIN (document);
