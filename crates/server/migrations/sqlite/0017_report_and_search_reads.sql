-- Reports (SPEC §11) read the cases created in a range, and the audit rows of a few actions since
-- its start (reopened cases, requests for information).
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX audit_action_at ON audit (action, at);
