"""Run the nightly pipeline without Prefect: the library's own entry point, used by tests and scripts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from voc.config import Settings
from voc.pipeline.core import Node, run_nodes
from voc.pipeline.nodes import summary_json
from voc.pipeline.outcome import mark_fresh
from voc.pipeline.pipeline import NIGHTLY
from voc.store import Store

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a night produced: its id, output files, per-step seconds and the full catalog."""

    run_id: str
    night: date
    paths: dict[str, Path]
    seconds: dict[str, float]
    catalog: dict[str, Any]


def open_run(settings: Settings, night: date | None, out_dir: Path | None, refit: bool) -> tuple[Store, dict[str, Any]]:
    """Open the store (waiting for its lock), close runs a killed process left open, register a run.

    Without ``night`` the run starts as today's; the ``resolve_night`` node moves it to the last
    day with data once the night's records are stored.
    """
    store = Store(settings.db_path, lock_timeout_s=settings.lock_timeout_s)
    store.close_stale_runs()
    run_id = store.start_run(night or date.today())
    catalog: dict[str, Any] = {
        "settings": settings,
        "store": store,
        "run_id": run_id,
        "night": night or date.today(),
        "requested_night": night,
        "refit": refit,
        "out_dir": Path(out_dir or settings.out_dir),
    }
    return store, catalog


def close_run(store: Store, catalog: dict[str, Any], *, failed: BaseException | None) -> None:
    """Mark the run succeeded or failed (a failed run's partial writes were already rolled back)."""
    ingested = catalog.get("ingested")
    counts = {
        "n_read": int(ingested.stats.get("rows_read", len(ingested.records))) if ingested else None,
        "n_new": len(catalog["new_records"]) if "new_records" in catalog else None,
        "n_quarantined": len(ingested.quarantine) if ingested else None,
    }
    timings = catalog.get("timings")
    summary = summary_json(seconds=timings.seconds if timings else {}, error=repr(failed) if failed else None)
    store.finish_run(catalog["run_id"], status="failed" if failed else "succeeded", counts=counts, summary=summary)


def run_pipeline(
    settings: Settings,
    *,
    night: date | None = None,
    out_dir: Path | None = None,
    refit: bool = False,
    nodes: Iterable[Node] = NIGHTLY,
    on_node: Callable[[Node], None] | None = None,
    call: Callable[[Node, dict[str, Any]], dict[str, Any]] | None = None,
    seed_catalog: dict[str, Any] | None = None,
) -> RunResult:
    """Run every node of the nightly pipeline in this process.

    Parameters
    ----------
    settings : Settings
        Sources, store path and all step options.
    night : date, optional
        The night being processed (default: today, or the last day with data when that is
        earlier). Rerunning a night replaces its results.
    out_dir : Path, optional
        Where the deliverables go (default ``settings.out_dir``).
    refit : bool
        Refit the theme model from all history now instead of on its schedule.
    """
    store, catalog = open_run(settings, night, out_dir, refit)
    catalog.update(seed_catalog or {})
    try:
        # one transaction for the whole night: a run killed or failing at any step leaves the
        # store exactly as the previous night left it, and its rerun sees the same new records
        with store.transaction():
            run_nodes(nodes, catalog, on_start=on_node, call=call)
    except BaseException as exc:
        close_run(store, catalog, failed=exc)
        store.close()
        raise
    close_run(store, catalog, failed=None)
    store.close()
    if catalog.get("paths"):
        mark_fresh(catalog["out_dir"], night=catalog["night"], run_id=catalog["run_id"], counts=night_counts(catalog))
    return RunResult(catalog["run_id"], catalog["night"], catalog.get("paths", {}), catalog["timings"].seconds, catalog)


def night_counts(catalog: dict[str, Any]) -> dict[str, int]:
    """The counts a night reports (summary artifact, ``night.json``), as the store holds them.

    Themes are counted as stored: the ranked leaf themes and their parent groups together.
    """

    def size(name: str) -> int:
        value = catalog.get(name)
        return 0 if value is None else int(len(value))

    return {
        "n_new_records": size("new_records"),
        "n_records": size("records"),
        "n_themes": size("theme_hierarchy"),
        "n_leaf_themes": size("themes"),
        "n_priorities": size("priorities"),
        "n_alerts": size("alerts"),
    }
