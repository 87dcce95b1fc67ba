"""The nightly pipeline, read top to bottom as extract, transform, load."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from voc.pipeline import nodes, outputs
from voc.pipeline.core import Node
from voc.pipeline.night import AnalysisClock, resolve_night
from voc.themes.pipeline import ThemeUpdate

if TYPE_CHECKING:
    from voc.config import Settings
    from voc.report import ReportContext
    from voc.store import Store


def build_report_context(
    run_info: dict[str, Any],
    records: pd.DataFrame,
    themes: pd.DataFrame,
    theme_map: pd.DataFrame,
    priorities: pd.DataFrame,
    metrics: pd.DataFrame,
    volumes: pd.DataFrame,
    signals: dict[str, Any],
    alerts: pd.DataFrame,
    cx_scores: pd.DataFrame,
    ingested: nodes.Ingested,
    theme_update: ThemeUpdate,
    sentiment_info: dict[str, Any],
    previous_priorities: pd.DataFrame,
) -> ReportContext:
    """Gather what the report and the exports show into one object."""
    from voc.report import ReportContext

    themes_view = themes.copy()
    if theme_map is not None and not theme_map.empty:
        themes_view = themes_view.merge(theme_map, on="theme_id", how="left")
    themes_view = outputs.theme_positions(themes_view, theme_update.centroids)
    quality = dict(ingested.stats)
    quality["quarantined_rows"] = int(
        ingested.stats.get(
            "quarantined", ingested.quarantine["source_row"].nunique() if "source_row" in ingested.quarantine else 0
        )
    )
    quality["quarantined"] = ingested.quarantine
    quality["languages"] = records["language"].value_counts().to_dict()
    changes = _changes(theme_update, priorities, previous_priorities)
    info = dict(run_info, sentiment=sentiment_info)
    return ReportContext(
        run=info,
        records=records,
        themes=themes_view,
        priorities=priorities,
        metrics=metrics,
        theme_volumes=volumes,
        signals={name: getattr(s, "table", s) for name, s in signals.items()},
        signal_notes={name: getattr(s, "explanation", "") for name, s in signals.items()},
        alerts=alerts,
        cx_scores=cx_scores,
        quality=quality,
        changes=changes,
    )


def _changes(theme_update: ThemeUpdate, priorities: pd.DataFrame, previous: pd.DataFrame) -> dict[str, Any]:
    events = theme_update.events
    changes: dict[str, Any] = {}
    if events is not None and not events.empty and "event" in events:
        for kind, n in events["event"].value_counts().items():
            changes[f"themes {kind}"] = int(n)
    if previous is not None and not previous.empty and not priorities.empty:
        before = previous.set_index("theme_id")["rank"]
        moved = priorities.set_index("theme_id")["rank"].sub(before).dropna()
        changes["themes that moved up"] = int((moved < 0).sum())
        changes["new in the priority list"] = int((~priorities["theme_id"].isin(before.index)).sum())
    return changes


def split_theme_levels(theme_update: ThemeUpdate) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leaf themes (what is ranked and counted) and the whole two-level hierarchy (for outputs).

    Parent themes group leaves; ranking them beside their own children would count every
    mention twice.
    """
    hierarchy = theme_update.themes
    if "level" not in hierarchy.columns:
        return hierarchy, hierarchy.assign(level=1)
    return hierarchy[hierarchy["level"] == 1].reset_index(drop=True), hierarchy


def previous_priorities(store: Store, night: date) -> pd.DataFrame:
    """The newest earlier night's priority list (what tonight's rank changes are measured against)."""
    return store.results_before("priorities", night, latest_only=True)


def write_run_outputs(
    out_dir: Path,
    context: ReportContext,
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    theme_hierarchy: pd.DataFrame,
    theme_map: pd.DataFrame,
    priorities: pd.DataFrame,
    ingested: nodes.Ingested,
    settings: Settings,
) -> dict[str, Path]:
    paths = outputs.write_outputs(
        out_dir,
        context=context,
        records=outputs.records_output(records),
        themes=outputs.themes_output(theme_hierarchy, theme_map, priorities),
        quarantine=ingested.quarantine,
        settings=settings,
    )
    paths["mentions"] = outputs.write_mentions(out_dir, record_themes)
    return paths


def run_info(
    run_id: str,
    night: date,
    new_records: pd.DataFrame,
    ingested: nodes.Ingested,
    settings: Settings,
    theme_update: ThemeUpdate,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "night": night.isoformat(),
        "n_new_records": int(len(new_records)),
        "n_read": int(ingested.stats.get("rows_read", len(ingested.records))),
        "embedding_backend": settings.embedding.backend,
        "refit": bool(theme_update.refitted),
    }


NIGHTLY: tuple[Node, ...] = (
    # extract
    Node(
        "ingest",
        nodes.ingest_sources,
        ("settings", "night"),
        ("ingested",),
        retries=2,
        description="read and clean sources",
    ),
    Node("store_records", nodes.store_new_records, ("store", "ingested", "run_id"), ("new_records",)),
    Node(
        "resolve_night",
        resolve_night,
        ("store", "run_id", "night", "requested_night"),
        ("night",),
        description="the night given, else the last day with data",
    ),
    Node("clock", AnalysisClock, ("night",), ("clock",), description="the night's one clock"),
    Node("load_history", nodes.load_history, ("store", "clock"), ("history",)),
    Node("load_customers", nodes.load_customers, ("settings",), ("customers",), retries=2),
    # transform
    Node("units", nodes.build_units, ("store", "history", "settings"), ("units",)),
    Node("embedder", nodes.load_embedder, ("settings",), ("embedder",), description="the night's one encoder"),
    Node("embed", nodes.embed_units, ("store", "units", "embedder"), ("embeddings",)),
    Node(
        "discover_themes",
        nodes.discover_themes,
        ("store", "units", "embeddings", "embedder", "settings", "run_id", "clock", "refit"),
        ("theme_update",),
    ),
    Node("theme_table", split_theme_levels, ("theme_update",), ("themes", "theme_hierarchy")),
    Node(
        "sentiment",
        nodes.score_feedback,
        ("history", "units", "embeddings", "theme_update", "embedder", "settings"),
        ("records", "scored_units", "record_themes", "sentiment_info"),
    ),
    Node("metrics", nodes.measure_surveys, ("records", "record_themes", "settings"), ("metrics", "drivers", "volumes")),
    Node(
        "taxonomy",
        nodes.map_cx_taxonomy,
        ("themes", "record_themes", "records", "embedder"),
        ("theme_map", "cx_scores"),
    ),
    Node(
        "priorities",
        nodes.rank_issues,
        ("records", "record_themes", "themes", "drivers", "settings", "clock"),
        ("priorities",),
    ),
    Node(
        "signals",
        nodes.find_unsaid,
        ("records", "record_themes", "themes", "drivers", "customers", "settings", "clock"),
        ("signals",),
    ),
    Node(
        "alerts",
        nodes.raise_alerts,
        ("store", "records", "record_themes", "themes", "settings", "clock"),
        ("raw_alerts",),
    ),
    Node("deliver_alerts", nodes.deliver_alerts, ("raw_alerts", "settings"), ("alerts",), retries=1),
    # load
    Node("persist", nodes.persist_results, ("store", "night", "scored_units", "metrics", "priorities", "alerts")),
    Node("persist_scores", nodes.persist_record_scores, ("store", "records", "sentiment_info")),
    Node("previous", previous_priorities, ("store", "night"), ("previous_priorities",)),
    Node(
        "run_info", run_info, ("run_id", "night", "new_records", "ingested", "settings", "theme_update"), ("run_info",)
    ),
    Node(
        "context",
        build_report_context,
        (
            "run_info",
            "records",
            "themes",
            "theme_map",
            "priorities",
            "metrics",
            "volumes",
            "signals",
            "alerts",
            "cx_scores",
            "ingested",
            "theme_update",
            "sentiment_info",
            "previous_priorities",
        ),
        ("context",),
    ),
    Node(
        "outputs",
        write_run_outputs,
        (
            "out_dir",
            "context",
            "records",
            "record_themes",
            "theme_hierarchy",
            "theme_map",
            "priorities",
            "ingested",
            "settings",
        ),
        ("paths",),
        retries=1,
    ),
)


#: Everything after ingest: re-analyse what the store holds (``voc report``/``voc export``).
ANALYSIS: tuple[Node, ...] = (
    Node("no_new_records", lambda ingested: ingested.records.iloc[0:0], ("ingested",), ("new_records",)),
    *[node for node in NIGHTLY if node.name not in {"ingest", "store_records"}],
)


def empty_ingest() -> nodes.Ingested:
    """The ingest result of a run that reads no source."""
    from voc.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS

    return nodes.Ingested(
        pd.DataFrame(columns=list(RECORD_COLUMNS)), pd.DataFrame(columns=list(QUARANTINE_COLUMNS)), {}
    )
