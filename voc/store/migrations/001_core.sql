-- Core warehouse: feedback records, quarantine, embedding cache and runs.
CREATE TABLE IF NOT EXISTS feedback (
    record_id      VARCHAR PRIMARY KEY,
    source         VARCHAR NOT NULL,
    source_file    VARCHAR,
    source_row     BIGINT,
    source_type    VARCHAR,
    text           VARCHAR NOT NULL,
    text_hash      VARCHAR NOT NULL,
    created_at     TIMESTAMP,
    channel        VARCHAR,
    language       VARCHAR,
    score          DOUBLE,
    score_type     VARCHAR,
    customer_id    VARCHAR,
    segment        VARCHAR,
    journey_stage  VARCHAR,
    customer_value DOUBLE,
    churned        BOOLEAN,
    n_redactions   INTEGER,
    extra          VARCHAR,
    run_id         VARCHAR NOT NULL,       -- the run that first stored the record
    ingested_at    TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_dedup ON feedback (source, customer_id, text_hash);

CREATE TABLE IF NOT EXISTS quarantine (
    run_id      VARCHAR NOT NULL,
    source_file VARCHAR,
    source_row  BIGINT,
    "column"    VARCHAR,
    reason      VARCHAR,
    raw         VARCHAR
);

CREATE TABLE IF NOT EXISTS embeddings (
    text_hash VARCHAR NOT NULL,
    model_id  VARCHAR NOT NULL,
    vector    FLOAT[] NOT NULL,
    PRIMARY KEY (text_hash, model_id)
);

CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR PRIMARY KEY,
    night         DATE NOT NULL,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    status        VARCHAR NOT NULL,        -- running | succeeded | failed
    n_read        BIGINT,
    n_new         BIGINT,
    n_quarantined BIGINT,
    summary       VARCHAR                  -- JSON: counts, model ids, settings digest
);
