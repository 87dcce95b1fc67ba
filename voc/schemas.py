"""Canonical tables that flow between the pipeline's steps.

Every step is a function over pandas DataFrames with the columns below, so a step can run on one
chunk in a worker (Dask) and its output can be written to DuckDB, Parquet or PostgreSQL unchanged.
The names are part of the output contract (``records.parquet``, ``themes.parquet``, exports): change
them only with a migration and a note in the README.
"""

from __future__ import annotations

from typing import Final

#: Score scales accepted per ``score_type``; values outside go to quarantine.
SCORE_SCALES: Final[dict[str, tuple[float, float]]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "stars": (1, 5),
}

#: Languages the product supports end to end (labels, stop words, cues, sentiment).
SUPPORTED_LANGUAGES: Final[tuple[str, ...]] = ("pl", "fi", "uk", "en", "de")

#: Code used when the language cannot be told (too short, mixed, unsupported script).
UNKNOWN_LANGUAGE: Final = "und"

#: Theme id of units/records that fit no theme (kept honest instead of forced into one).
UNASSIGNED_THEME: Final = -1

# --- records: one row per ingested feedback record ------------------------------------------
#: record_id      str      stable id: the input id column, else derived from source + row
#: source         str      logical source name (``--source-name`` or the file stem)
#: source_file    str      file path or SQL URL (password masked) the row came from
#: source_row     int64    1-based row number in that file (header excluded), for traceability
#: source_type    str      review | complaint | ticket | survey | other (mapped, else "other")
#: text           str      normalised (NFC, whitespace) and redacted; "" for score-only answers
#: text_hash      str      sha1 hex of the normalised, redacted, lower-cased text (dedup + cache key)
#: created_at     datetime64[us] (naive, UTC)
#: channel        str|None e.g. email, chat, phone, app, web, store
#: language       str      ISO 639-1 code or "und"
#: score          float|None  raw survey score on its own scale
#: score_type     str|None nps | csat | ces | stars
#: customer_id    str|None
#: segment        str|None primary segment (first mapped segment column)
#: journey_stage  str|None
#: customer_value float|None  yearly revenue (or value) of the customer
#: churned        bool|None
#: n_redactions   int32    personal-data spans replaced in ``text``
#: extra          str      JSON object of other mapped input columns (e.g. further segments)
RECORD_COLUMNS: Final[tuple[str, ...]] = (
    "record_id",
    "source",
    "source_file",
    "source_row",
    "source_type",
    "text",
    "text_hash",
    "created_at",
    "channel",
    "language",
    "score",
    "score_type",
    "customer_id",
    "segment",
    "journey_stage",
    "customer_value",
    "churned",
    "n_redactions",
    "extra",
)

# --- quarantine: rows rejected at ingest, with where and why -------------------------------
QUARANTINE_COLUMNS: Final[tuple[str, ...]] = (
    "source_file",  # str
    "source_row",  # int64, 1-based data row
    "column",  # str, input column name at fault ("" when the row as a whole is bad)
    "reason",  # str, e.g. "empty text", "unparseable date '31/02/2024'", "score 11 outside nps 0-10"
    "raw",  # str, JSON of the raw row (already redacted)
)

# --- units: sentences/clauses, the grain of theme assignment and mention sentiment -------
#: unit_id        str   f"{record_id}#{unit_index}"
#: record_id      str
#: unit_index     int32 position of the unit in the record (0-based)
#: text           str
#: language       str   the record's language
#: text_hash      str   sha1 of the unit text (embedding cache key)
UNIT_COLUMNS: Final[tuple[str, ...]] = ("unit_id", "record_id", "unit_index", "text", "language", "text_hash")

#: Added to units by the themes step: theme_id (int, -1 unassigned), theme_similarity (float);
#: by the sentiment step: sentiment (float in [-1, 1]), sentiment_label (str).

# --- record_themes: long table, one row per (record, theme) mention ------------------------
RECORD_THEME_COLUMNS: Final[tuple[str, ...]] = (
    "record_id",
    "theme_id",  # int
    "is_primary",  # bool, exactly one per record that has any theme
    "n_units",  # int, sentences of the record in this theme
    "sentiment",  # float, mean sentiment of those sentences
)

# --- themes: one row per theme known to the registry ----------------------------------------
THEME_COLUMNS: Final[tuple[str, ...]] = (
    "theme_id",  # int, stable across nights
    "label",  # str, the analyst's name when curated, else the generated label
    "parent_id",  # int|None, the parent theme (level 2 of the hierarchy)
    "parent_label",  # str|None
    "keywords",  # str, JSON {language: [keyword, ...]}
    "verbatims",  # str, JSON [{"record_id", "language", "text"}, ...] representative quotes
    "n_units",  # int, sentences assigned (all history)
    "n_records",  # int, records mentioning it (all history)
    "status",  # str, active | emerging | retired
    "born_at",  # datetime, when first seen
    "curated",  # bool, an analyst renamed/merged/split it
)

# --- priorities: one row per ranked theme ----------------------------------------------------
PRIORITY_COLUMNS: Final[tuple[str, ...]] = (
    "rank",  # int, 1 = fix first
    "theme_id",
    "theme_label",
    "priority_score",  # float in [0, 1]
    "n_records",
    "n_customers",
    "share",  # share of commented records in the period
    "trend_pct",  # change of this period against the baseline, % (NaN when too few)
    "trend_p_value",
    "negativity",  # share of negative mentions
    "mean_sentiment",
    "nps_impact",  # NPS points the theme costs (see voc.metrics.drivers)
    "churn_uplift",  # churn rate among customers who raised it / the rest
    "revenue_at_risk",
    "cost_to_serve",
    "why",  # plain-language reason for the rank
    "impact_metric",  # the metric `impact` is measured on: nps | csat | ces | stars | sentiment
    "impact",  # what the theme costs on impact_metric's own scale (negative = cost; see voc.metrics.drivers)
    "n_negative",  # mentions (record, theme) with sentiment below -0.15; negativity = n_negative / rated
    "n_neutral",  # rated mentions between -0.15 and +0.15
    "n_positive",  # mentions with sentiment above +0.15
)

#: Tables checked where one step hands them to the next (``voc.pipeline.core.run_nodes``), by the
#: name they have in the night's catalogue. Checked once at the boundary, trusted inside a step.
BOUNDARY_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "new_records": RECORD_COLUMNS,
    "history": RECORD_COLUMNS,
    "units": UNIT_COLUMNS,
    "records": (*RECORD_COLUMNS, "theme_id", "theme_label", "sentiment", "sentiment_label"),
    "scored_units": (*UNIT_COLUMNS, "theme_id", "theme_similarity", "sentiment", "sentiment_label"),
    "record_themes": RECORD_THEME_COLUMNS,
    "themes": (*THEME_COLUMNS, "level"),
    "theme_hierarchy": (*THEME_COLUMNS, "level"),
    "priorities": PRIORITY_COLUMNS,
}


class SchemaError(ValueError):
    """A table handed between steps lacks columns its contract promises: a defect, not bad input."""


def check_columns(frame: object, columns: tuple[str, ...], *, table: str, step: str) -> None:
    """Raise :class:`SchemaError` naming the step, the table and every missing column.

    Why here and not in each step: one validator at the boundary (the scikit-learn manner of
    validating at the public edge) turns a silent ``KeyError`` three steps later into a message
    that names the step that broke the contract.
    """
    present = set(getattr(frame, "columns", ()))
    missing = [c for c in columns if c not in present]
    if missing:
        raise SchemaError(f"step {step!r} produced {table!r} without column(s) {missing}; it has {sorted(present)}")
