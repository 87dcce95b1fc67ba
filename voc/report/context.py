"""The one input object of the report and the exports.

The report is rendered from plain tables so that it depends on none of the steps that produce
them: the flow (or a notebook, or a test) fills a :class:`ReportContext` and hands it over. Only
``run``, ``records``, ``themes`` and ``priorities`` are required; every other field may be empty
and the report then says "no data" in that section instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from voc.schemas import PRIORITY_COLUMNS, RECORD_COLUMNS, THEME_COLUMNS

#: Columns of ``ReportContext.metrics``.
METRIC_COLUMNS: Final[tuple[str, ...]] = (
    "metric",  # nps | csat | ces | ces_easy | stars
    "period_start",  # datetime; NaT for the value over the whole window
    "dimension",  # "all" for the overall series, else e.g. "segment", "channel"
    "group",  # value of the dimension ("all" for the overall series)
    "n",  # answers
    "value",  # NPS in points (-100..100), CSAT/CES-easy in % (0..100), CES/stars as a mean
    "ci_low",
    "ci_high",
    "small_sample",  # bool, fewer answers than ``metrics.min_sample``
)

#: Columns of ``ReportContext.theme_volumes`` (one row per theme and period).
THEME_VOLUME_COLUMNS: Final[tuple[str, ...]] = ("theme_id", "period_start", "n_records")

#: Columns of ``ReportContext.alerts``.
ALERT_COLUMNS: Final[tuple[str, ...]] = (
    "kind",  # spike | new_theme | sentiment_drop | ...
    "theme_id",
    "theme_label",
    "segment",
    "observed",
    "expected",
    "p_value",
    "message",
    "created_at",
)

#: Columns of ``ReportContext.cx_scores``.
CX_SCORE_COLUMNS: Final[tuple[str, ...]] = ("level", "name", "score_pct", "n_themes", "n_mentions")

#: Columns of ``ReportContext.quality["quarantined"]``.
QUARANTINE_VIEW_COLUMNS: Final[tuple[str, ...]] = ("source_file", "source_row", "column", "reason")

#: Record columns the report reads beyond :data:`voc.schemas.RECORD_COLUMNS`.
RECORD_EXTRA_COLUMNS: Final[tuple[str, ...]] = ("theme_id", "theme_label", "sentiment", "sentiment_label")

#: Optional theme columns shown when present (CX taxonomy, sentiment split, map position).
THEME_OPTIONAL_COLUMNS: Final[tuple[str, ...]] = (
    "area",
    "pillar",
    "journey_stage",
    "taxonomy_confidence",
    "mean_sentiment",
    "n_positive",
    "n_neutral",
    "n_negative",
    "x",
    "y",
)

#: Names of the "what customers don't say" tables, in the order the report shows them.
SIGNAL_NAMES: Final[tuple[str, ...]] = (
    "silent_detractors",
    "score_text_mismatch",
    "unvoiced_high_impact",
    "survey_blind_spots",
    "non_responders",
    "emerging",
)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass
class ReportContext:
    """Everything one run's report and exports show.

    Attributes
    ----------
    run : dict
        ``run_id``, ``started_at``, ``finished_at``, ``night`` (date), ``n_new_records``,
        ``settings`` (a short dict of the settings that matter), ``models`` (name -> id), and
        optionally ``records_sampled`` (bool) and ``n_records`` (total before sampling).
    records : DataFrame
        :data:`voc.schemas.RECORD_COLUMNS` plus :data:`RECORD_EXTRA_COLUMNS`; may be a sample.
    themes : DataFrame
        :data:`voc.schemas.THEME_COLUMNS`, plus any of :data:`THEME_OPTIONAL_COLUMNS`.
    priorities : DataFrame
        :data:`voc.schemas.PRIORITY_COLUMNS`.
    metrics : DataFrame
        :data:`METRIC_COLUMNS`.
    theme_volumes : DataFrame
        :data:`THEME_VOLUME_COLUMNS`, for sparklines.
    signals : dict of str to DataFrame
        "What customers don't say": one table per name in :data:`SIGNAL_NAMES` (others allowed).
    signal_notes : dict of str to str
        Plain-language explanation of how each signal was found; the key ``cx_scores``, when
        present, explains how the CX area and pillar percentages are defined.
    alerts : DataFrame
        :data:`ALERT_COLUMNS`.
    cx_scores : DataFrame
        :data:`CX_SCORE_COLUMNS`; ``level`` is ``area`` or ``pillar``.
    quality : dict
        ``rows_read``, ``rows_kept``, ``duplicates_dropped``, ``redactions`` (ints),
        ``languages`` (dict or Series language -> count), ``quarantined`` (DataFrame with
        :data:`QUARANTINE_VIEW_COLUMNS`).
    changes : dict
        Free-form "since the last run" facts, label -> value.
    """

    run: dict[str, Any]
    records: pd.DataFrame
    themes: pd.DataFrame
    priorities: pd.DataFrame
    metrics: pd.DataFrame = field(default_factory=lambda: _empty(METRIC_COLUMNS))
    theme_volumes: pd.DataFrame = field(default_factory=lambda: _empty(THEME_VOLUME_COLUMNS))
    signals: dict[str, pd.DataFrame] = field(default_factory=dict)
    signal_notes: dict[str, str] = field(default_factory=dict)
    alerts: pd.DataFrame = field(default_factory=lambda: _empty(ALERT_COLUMNS))
    cx_scores: pd.DataFrame = field(default_factory=lambda: _empty(CX_SCORE_COLUMNS))
    quality: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_context(self)

    @property
    def run_id(self) -> str:
        return str(self.run.get("run_id", ""))


def _require(frame: Any, columns: tuple[str, ...], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"ReportContext.{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"ReportContext.{name} lacks columns {missing}; it has {list(map(str, frame.columns))}")


def _optional(frame: Any, columns: tuple[str, ...], name: str) -> None:
    # An empty table with no columns is "no data" and fine; a table with rows must be complete.
    if isinstance(frame, pd.DataFrame) and frame.empty and len(frame.columns) == 0:
        return
    _require(frame, columns, name)


def check_context(ctx: ReportContext) -> None:
    """Fail early, naming the field and the missing columns, rather than deep inside a template.

    Raises
    ------
    TypeError, ValueError
        When a required table is missing or lacks columns.
    """
    if not isinstance(ctx.run, dict):
        raise TypeError("ReportContext.run must be a dict")
    _require(ctx.records, ("record_id", "text", "theme_id"), "records")
    _require(ctx.themes, ("theme_id", "label"), "themes")
    _require(ctx.priorities, ("rank", "theme_id", "theme_label", "why"), "priorities")
    _optional(ctx.metrics, ("metric", "period_start", "dimension", "group", "n", "value"), "metrics")
    _optional(ctx.theme_volumes, THEME_VOLUME_COLUMNS, "theme_volumes")
    _optional(ctx.alerts, ("kind", "message"), "alerts")
    _optional(ctx.cx_scores, ("level", "name", "score_pct"), "cx_scores")
    for name, table in ctx.signals.items():
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"ReportContext.signals[{name!r}] must be a DataFrame")


__all__ = [
    "ALERT_COLUMNS",
    "CX_SCORE_COLUMNS",
    "METRIC_COLUMNS",
    "PRIORITY_COLUMNS",
    "QUARANTINE_VIEW_COLUMNS",
    "RECORD_COLUMNS",
    "RECORD_EXTRA_COLUMNS",
    "ReportContext",
    "SIGNAL_NAMES",
    "THEME_COLUMNS",
    "THEME_OPTIONAL_COLUMNS",
    "THEME_VOLUME_COLUMNS",
    "check_context",
]
