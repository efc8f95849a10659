-- Thumbnails (SPEC §7): made once per image by a job, from the pixels. `thumb_sha256` names the
-- thumbnail's blob; `thumb_error` says why none could be made (then the job does not try again).
ALTER TABLE evidence ADD COLUMN thumb_sha256 TEXT;
ALTER TABLE evidence ADD COLUMN thumb_error TEXT;
-- What the job has still to do, without scanning every image ever received.
CREATE INDEX evidence_unthumbed ON evidence (id) WHERE thumb_sha256 IS NULL AND thumb_error IS NULL;
-- The blob sweeper asks whether a blob is someone's thumbnail.
CREATE INDEX evidence_thumb ON evidence (thumb_sha256);
