-- Edited feedback: a known record id arriving with a different text is a new version. The
-- current text stays in `feedback` (so every step reads one row per record); earlier texts are kept here.
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS version INTEGER DEFAULT 1;

CREATE TABLE IF NOT EXISTS feedback_versions (
    record_id     VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    text          VARCHAR,
    text_hash     VARCHAR,
    score         DOUBLE,
    created_at    TIMESTAMP,
    run_id        VARCHAR,                 -- the run that stored this version
    superseded_at TIMESTAMP NOT NULL,
    superseded_by VARCHAR NOT NULL,        -- the run that stored the next version
    PRIMARY KEY (record_id, version)
);
