-- The theme registry: stable theme ids across nights and refits, their history, the units'
-- assignments, the fitted model and the analysts' edits (replayed after every run).
CREATE TABLE IF NOT EXISTS themes (
    theme_id        INTEGER PRIMARY KEY,
    kind            VARCHAR NOT NULL,      -- theme (found by the model) | split (made by an analyst) | parent
    generated_label VARCHAR,
    custom_label    VARCHAR,               -- the analyst's name; wins over generated_label
    parent_id       INTEGER,               -- level-2 theme this one belongs to
    model_status    VARCHAR NOT NULL,      -- active | emerging | retired, as tracking left it
    status          VARCHAR NOT NULL,      -- model_status after curation: + merged | split | deleted
    merged_into     INTEGER,
    split_from      INTEGER,
    keywords        VARCHAR,               -- JSON {language: [phrase, ...]}
    verbatims       VARCHAR,               -- JSON [{record_id, language, text}, ...]
    centroid        FLOAT[],               -- unit vector in the model's corrected space
    assign_threshold DOUBLE,               -- cosine a new unit needs to join (calibrated per theme)
    n_units         BIGINT,
    n_records       BIGINT,
    born_at         TIMESTAMP,
    born_run        VARCHAR,
    last_seen_run   VARCHAR,
    updated_at      TIMESTAMP
);

CREATE TABLE IF NOT EXISTS theme_events (
    run_id    VARCHAR,                     -- NULL for analysts' edits made outside a run
    happened_at TIMESTAMP NOT NULL,
    event     VARCHAR NOT NULL,            -- birth | match | retire | merge | split | rename | delete
    theme_id  INTEGER,
    other_ids VARCHAR,                     -- JSON list of related theme ids
    detail    VARCHAR
);

CREATE TABLE IF NOT EXISTS unit_themes (
    unit_id        VARCHAR PRIMARY KEY,
    record_id      VARCHAR NOT NULL,
    language       VARCHAR,
    text_hash      VARCHAR,
    model_theme_id INTEGER NOT NULL,       -- what the model/tracking chose (-1 unassigned)
    theme_id       INTEGER NOT NULL,       -- after the analysts' edits: what every report shows
    similarity     DOUBLE,
    run_id         VARCHAR
);
CREATE INDEX IF NOT EXISTS unit_themes_record ON unit_themes (record_id);

CREATE TABLE IF NOT EXISTS theme_model_state (
    version    INTEGER PRIMARY KEY,
    run_id     VARCHAR,
    created_at TIMESTAMP NOT NULL,
    model_id   VARCHAR,                    -- the embedder whose vectors the model was fitted on
    state      VARCHAR NOT NULL            -- JSON of ThemeModel.get_state(), arrays as base64 .npy
);

CREATE TABLE IF NOT EXISTS curation_edits (
    edit_id INTEGER PRIMARY KEY,
    edited_at TIMESTAMP NOT NULL,
    action  VARCHAR NOT NULL,              -- rename | merge | split | delete
    payload VARCHAR NOT NULL               -- JSON, e.g. {"theme_id": 3, "into": 5}
);
