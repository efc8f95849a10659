-- SPEC §11: the customer's answer to the resolution mail, one per case (the latest; each answer
-- and change is also an audit row), with its optional comment.
ALTER TABLE tickets ADD COLUMN csat_rating TEXT;
ALTER TABLE tickets ADD COLUMN csat_comment TEXT;
ALTER TABLE tickets ADD COLUMN csat_at BIGINT;

-- SPEC §11: the first answer the customer was told to expect, kept to compare with what happened.
ALTER TABLE tickets ADD COLUMN expected_first_response BIGINT;

-- SPEC §11: alerts the desk shows (device spikes), each once per subject and day however many
-- instances watch.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    os TEXT NOT NULL,
    day TEXT NOT NULL,
    share_ppm BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    at BIGINT NOT NULL,
    UNIQUE (kind, model, os, day)
);
CREATE INDEX alerts_at ON alerts (at);
