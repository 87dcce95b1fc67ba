"""Gather one night's results for the report, the exports and the run's summary.

The report renders from one :class:`voc.report.ReportContext`; this module fills it from what the
nightly nodes produced, grouped in :class:`NightResults` so no step takes a dozen tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from voc.config import EmbeddingSettings
from voc.pipeline import outputs
from voc.pipeline.nodes import Ingested
from voc.themes.pipeline import ThemeUpdate

if TYPE_CHECKING:
    from voc.impact.signals.base import SignalResult
    from voc.report import ReportContext


@dataclass(frozen=True)
class NightResults:
    """What one night found, as the report and the exports show it.

    Attributes
    ----------
    records : DataFrame
        The analysis window's records with theme, sentiment and cues (one row per record).
    themes : DataFrame
        Leaf themes (``THEME_COLUMNS``), the ones ranked.
    theme_hierarchy : DataFrame
        Leaf and parent themes (``THEME_COLUMNS`` + ``level``), the ones written to ``themes.parquet``.
    theme_map : DataFrame
        CX area, pillar and journey stage per theme.
    record_themes : DataFrame
        Every (record, theme) mention (``RECORD_THEME_COLUMNS``).
    priorities, metrics, volumes, alerts, cx_scores : DataFrame
        The ranked list, NPS/CSAT/CES, theme volumes per period, the night's alerts, CX scores.
    signals : dict of str to SignalResult
        What customers don't say, by signal (each with ``table`` and ``explanation``).
    """

    records: pd.DataFrame
    themes: pd.DataFrame
    theme_hierarchy: pd.DataFrame
    theme_map: pd.DataFrame
    record_themes: pd.DataFrame
    priorities: pd.DataFrame
    metrics: pd.DataFrame
    volumes: pd.DataFrame
    alerts: pd.DataFrame
    cx_scores: pd.DataFrame
    signals: dict[str, SignalResult]


def gather_results(
    records: pd.DataFrame,
    themes: pd.DataFrame,
    theme_hierarchy: pd.DataFrame,
    theme_map: pd.DataFrame,
    record_themes: pd.DataFrame,
    priorities: pd.DataFrame,
    metrics: pd.DataFrame,
    volumes: pd.DataFrame,
    alerts: pd.DataFrame,
    cx_scores: pd.DataFrame,
    signals: dict[str, SignalResult],
) -> NightResults:
    """The night's tables in one object (a node's inputs are named one by one)."""
    return NightResults(
        records=records,
        themes=themes,
        theme_hierarchy=theme_hierarchy,
        theme_map=theme_map,
        record_themes=record_themes,
        priorities=priorities,
        metrics=metrics,
        volumes=volumes,
        alerts=alerts,
        cx_scores=cx_scores,
        signals=signals,
    )


def previous_priorities(stored_priorities: pd.DataFrame, night: date) -> pd.DataFrame:
    """The newest earlier night's priority list (what tonight's rank changes are measured against)."""
    from voc.pipeline.nodes import nights_before

    return nights_before(stored_priorities, night, latest_only=True)


def run_info(
    run_id: str,
    night: date,
    new_records: pd.DataFrame,
    ingested: Ingested,
    embedding: EmbeddingSettings,
    theme_update: ThemeUpdate,
    sentiment_info: dict[str, Any],
) -> dict[str, Any]:
    """The report's run banner: ids, counts and which models ran."""
    return {
        "run_id": run_id,
        "night": night.isoformat(),
        "n_new_records": int(len(new_records)),
        "n_read": int(ingested.stats.get("rows_read", len(ingested.records))),
        "embedding_backend": embedding.backend,
        "refit": bool(theme_update.refitted),
        "sentiment": sentiment_info,
    }


def build_report_context(
    run_info: dict[str, Any],
    results: NightResults,
    ingested: Ingested,
    theme_update: ThemeUpdate,
    previous_priorities: pd.DataFrame,
) -> ReportContext:
    """Gather what the report and the exports show into one object."""
    from voc.report import ReportContext

    themes_view = results.themes.copy()
    if results.theme_map is not None and not results.theme_map.empty:
        themes_view = themes_view.merge(results.theme_map, on="theme_id", how="left")
    themes_view = outputs.theme_positions(themes_view, theme_update.centroids)
    from voc.report.counts import theme_counts

    return ReportContext(
        run=dict(run_info) | {"theme_counts": theme_counts(results.theme_hierarchy, results.priorities)},
        records=results.records,
        themes=themes_view,
        priorities=results.priorities,
        metrics=results.metrics,
        theme_volumes=results.volumes,
        signals={name: getattr(s, "table", s) for name, s in results.signals.items()},
        signal_notes={name: getattr(s, "explanation", "") for name, s in results.signals.items()},
        alerts=results.alerts,
        cx_scores=results.cx_scores,
        quality=data_quality(ingested, results.records),
        changes=changes(theme_update, results.theme_hierarchy, results.priorities, previous_priorities),
    )


def data_quality(ingested: Ingested, records: pd.DataFrame) -> dict[str, Any]:
    """The report's quality section: ingest counts, rejected rows, languages."""
    quality: dict[str, Any] = dict(ingested.stats)
    quarantine = ingested.quarantine
    quality["quarantined_rows"] = int(
        ingested.stats.get("quarantined", quarantine["source_row"].nunique() if "source_row" in quarantine else 0)
    )
    quality["quarantined"] = quarantine
    quality["languages"] = records["language"].value_counts().to_dict()
    return quality


def changes(
    theme_update: ThemeUpdate, hierarchy: pd.DataFrame, priorities: pd.DataFrame, previous: pd.DataFrame
) -> dict[str, Any]:
    """What moved since the previous night: theme events, rank changes, new priorities."""
    from voc.report.counts import theme_changes

    found: dict[str, Any] = dict(theme_changes(theme_update.events, hierarchy))
    if previous is not None and not previous.empty and not priorities.empty:
        before = previous.set_index("theme_id")["rank"]
        moved = priorities.set_index("theme_id")["rank"].sub(before).dropna()
        found["themes that moved up"] = int((moved < 0).sum())
        found["new in the priority list"] = int((~priorities["theme_id"].isin(before.index)).sum())
    return found


def write_run_outputs(
    out_dir: Path,
    context: ReportContext,
    results: NightResults,
    ingested: Ingested,
    export_sql_url: str | None,
    export_sql_table: str,
) -> dict[str, Path]:
    """Every file of the output contract (README): Parquet tables, report, exports, quarantine."""
    paths = outputs.write_outputs(
        out_dir,
        context=context,
        records=outputs.records_output(results.records),
        themes=outputs.themes_output(results.theme_hierarchy, results.theme_map, results.priorities),
        quarantine=ingested.quarantine,
        sql_url=export_sql_url,
        sql_table=export_sql_table,
    )
    paths["mentions"] = outputs.write_mentions(out_dir, results.record_themes)
    return paths
