-- SPEC §11: reports keep a copy of every case in memory and, before each report, read only the
-- cases that changed since (store/report_cases.rs). A case changed when its id is new or its
-- revision moved: every update of a column a report reads takes the next revision. Writes are
-- serialised, so revisions grow in commit order and a reader that saw revision N has seen every
-- change up to N. Intake's inserts leave it NULL (the id says they are new), which keeps them out
-- of the index.
ALTER TABLE tickets ADD COLUMN revision BIGINT;
CREATE INDEX tickets_revision ON tickets (revision) WHERE revision IS NOT NULL;
CREATE TRIGGER tickets_revision AFTER UPDATE OF
    status, category, subcategory, channel, priority, team_id, assignee_id, organisation_id,
    first_response_due, resolution_due, first_response_at, resolved_at, paused_since,
    urgent_requested, penalised, warnings, csat_rating, expected_first_response
ON tickets
BEGIN
    UPDATE tickets
    SET revision = 1 + coalesce((SELECT revision FROM tickets WHERE revision IS NOT NULL
                                 ORDER BY revision DESC LIMIT 1), 0)
    WHERE id = NEW.id;
END;
