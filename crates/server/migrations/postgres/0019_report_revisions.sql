-- SPEC §11: reports keep a copy of every case in memory and, before each report, read only the
-- cases that changed since (store/report_cases.rs). A row's revision is the id of the
-- transaction that last wrote a column a report reads. Transactions commit out of order, but
-- none older than a snapshot's xmin is still running: a reader that read every revision from
-- xmin X onwards, then next time reads from the xmin its previous read began with, misses
-- nothing. Rows written before this migration keep NULL: only a full load reads them.
ALTER TABLE tickets ADD COLUMN revision BIGINT;
ALTER TABLE tickets ALTER COLUMN revision SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX tickets_revision ON tickets (revision);
CREATE FUNCTION tickets_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$;
CREATE TRIGGER tickets_revision BEFORE UPDATE OF
    status, category, subcategory, channel, priority, team_id, assignee_id, organisation_id,
    first_response_due, resolution_due, first_response_at, resolved_at, paused_since,
    urgent_requested, penalised, warnings, csat_rating, expected_first_response
ON tickets FOR EACH ROW EXECUTE FUNCTION tickets_revision();
