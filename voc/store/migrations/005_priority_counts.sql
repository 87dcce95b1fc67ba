-- The priority list keeps what the report and the exports show: the impact on the night's own
-- metric (NPS, CSAT, CES, stars or sentiment) and the sentiment split of the mentions behind
-- `negativity`, so a reader of the store sees the same numbers as a reader of the report.
ALTER TABLE priorities ADD COLUMN IF NOT EXISTS impact_metric VARCHAR;
ALTER TABLE priorities ADD COLUMN IF NOT EXISTS impact DOUBLE;
ALTER TABLE priorities ADD COLUMN IF NOT EXISTS n_negative BIGINT;
ALTER TABLE priorities ADD COLUMN IF NOT EXISTS n_neutral BIGINT;
ALTER TABLE priorities ADD COLUMN IF NOT EXISTS n_positive BIGINT;
