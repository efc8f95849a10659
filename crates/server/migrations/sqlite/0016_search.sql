-- Full-text search (SPEC §11). One document per case: its contact, device, fields, description and
-- messages, as the stems `sportello_domain::search` makes of them (the same words as PostgreSQL's),
-- appended to by every write that adds text, in that write's transaction. The FTS5 index reads
-- its content from here and follows it through the triggers.
CREATE TABLE case_search (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),
    words TEXT NOT NULL
);
-- The words are lower-case and without accents already; the tokenizer only cuts at the spaces.
CREATE VIRTUAL TABLE case_search_index USING fts5 (
    words, content = 'case_search', content_rowid = 'ticket_id', tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER case_search_added AFTER INSERT ON case_search BEGIN
    INSERT INTO case_search_index (rowid, words) VALUES (new.ticket_id, new.words);
END;
CREATE TRIGGER case_search_changed AFTER UPDATE ON case_search BEGIN
    INSERT INTO case_search_index (case_search_index, rowid, words) VALUES ('delete', old.ticket_id, old.words);
    INSERT INTO case_search_index (rowid, words) VALUES (new.ticket_id, new.words);
END;
CREATE TRIGGER case_search_removed AFTER DELETE ON case_search BEGIN
    INSERT INTO case_search_index (case_search_index, rowid, words) VALUES ('delete', old.ticket_id, old.words);
END;
