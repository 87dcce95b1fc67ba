-- Per-night results. Rows are keyed by night, so a rerun of the same night replaces its own rows.
CREATE TABLE IF NOT EXISTS units (
    unit_id    VARCHAR PRIMARY KEY,
    record_id  VARCHAR NOT NULL,
    unit_index INTEGER NOT NULL,
    text       VARCHAR NOT NULL,
    language   VARCHAR,
    text_hash  VARCHAR NOT NULL
);
CREATE INDEX IF NOT EXISTS units_record ON units (record_id);

CREATE TABLE IF NOT EXISTS record_scores (       -- latest sentiment and cues per record
    record_id       VARCHAR PRIMARY KEY,
    sentiment       DOUBLE,
    sentiment_label VARCHAR,
    effort_cue      BOOLEAN,
    churn_cue       BOOLEAN,
    cue_text        VARCHAR,
    model           VARCHAR
);

CREATE TABLE IF NOT EXISTS unit_scores (
    unit_id         VARCHAR PRIMARY KEY,
    sentiment       DOUBLE,
    sentiment_label VARCHAR
);

CREATE TABLE IF NOT EXISTS metrics (
    night        DATE NOT NULL,
    metric       VARCHAR NOT NULL,
    period_start TIMESTAMP,
    dimension    VARCHAR NOT NULL,
    "group"      VARCHAR,
    n            BIGINT,
    value        DOUBLE,
    ci_low       DOUBLE,
    ci_high      DOUBLE,
    small_sample BOOLEAN
);

CREATE TABLE IF NOT EXISTS priorities (
    night           DATE NOT NULL,
    rank            INTEGER NOT NULL,
    theme_id        INTEGER NOT NULL,
    theme_label     VARCHAR,
    priority_score  DOUBLE,
    n_records       BIGINT,
    n_customers     BIGINT,
    share           DOUBLE,
    trend_pct       DOUBLE,
    trend_p_value   DOUBLE,
    negativity      DOUBLE,
    mean_sentiment  DOUBLE,
    nps_impact      DOUBLE,
    churn_uplift    DOUBLE,
    revenue_at_risk DOUBLE,
    cost_to_serve   DOUBLE,
    why             VARCHAR
);

CREATE TABLE IF NOT EXISTS alerts (
    night      DATE NOT NULL,
    kind       VARCHAR NOT NULL,
    theme_id   INTEGER,
    segment    VARCHAR,
    observed   DOUBLE,
    expected   DOUBLE,
    p_value    DOUBLE,
    message    VARCHAR,
    delivered  BOOLEAN,
    created_at TIMESTAMP NOT NULL
);
