-- Business accounts (SPEC §10). An organisation: its name, whether it is verified, its monthly free
-- quota and the time zone its months are counted in. The e-mail domains and phone numbers that
-- identify its people belong to one organisation each. Removing one marks it and frees them.
CREATE TABLE organisations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    verified BIGINT NOT NULL DEFAULT 0,
    monthly_quota BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE UNIQUE INDEX organisations_live_name ON organisations (name) WHERE removed_at IS NULL;

CREATE TABLE organisation_domains (
    domain TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id)
);
CREATE TABLE organisation_phones (
    phone TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id)
);

-- A case of an organisation's contact: which one, how it stood when the case came (its targets
-- were set from that, and are recomputed from it), and whether it was beyond the month's quota.
ALTER TABLE tickets ADD COLUMN organisation_id BIGINT REFERENCES organisations(id);
ALTER TABLE tickets ADD COLUMN business TEXT;
ALTER TABLE tickets ADD COLUMN over_quota BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tickets_of_organisation ON tickets (organisation_id, created_at) WHERE organisation_id IS NOT NULL;
