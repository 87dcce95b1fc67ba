"""Run the nightly pipeline without Prefect: the library's own entry point, used by tests and scripts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from voc.config import Settings
from voc.pipeline.catalog import DataCatalog, nightly_catalog
from voc.pipeline.core import Node, NodeCall, run_nodes
from voc.pipeline.nodes import summary_json
from voc.pipeline.outcome import mark_fresh
from voc.pipeline.pipeline import NIGHTLY, RELEASED
from voc.pipeline.progress import NightProgress, expected_seconds, logs_progress, plain_progress_output
from voc.pipeline.run_context import RunContext
from voc.report.counts import night_counts
from voc.store import Store

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a night produced: its id, output files, per-step seconds and every value it held."""

    run_id: str
    night: date
    paths: dict[str, Path]
    seconds: dict[str, float]
    catalog: dict[str, Any]


def open_run(settings: Settings, night: date | None, out_dir: Path | None, refit: bool) -> tuple[Store, DataCatalog]:
    """Open the run's context (store, run row) and its data catalogue."""
    context = RunContext.open(settings, night=night, out_dir=out_dir, refit=refit)
    return context.store, nightly_catalog(context)


def close_run(store: Store, catalog: Mapping[str, Any], *, failed: BaseException | None) -> None:
    """Mark the run succeeded or failed (a failed run's partial writes were already rolled back).

    Counts come from what the run holds in memory: nothing is read back from the store here.
    """
    ingested = catalog.get("ingested")
    new_records = catalog.get("new_records")
    counts = {
        "n_read": int(ingested.stats.get("rows_read", len(ingested.records))) if ingested else None,
        "n_new": len(new_records) if new_records is not None else None,
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
    call: NodeCall | None = None,
    seed_catalog: dict[str, Any] | None = None,
    on_status: Callable[[str], None] | None = None,
    keep: Collection[str] = (),
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
    nodes : iterable of Node
        The pipeline (default :data:`voc.pipeline.pipeline.NIGHTLY`).
    call : callable(node, catalog) -> dict, optional
        Runs one node (the Prefect flow wraps each in a task).
    seed_catalog : dict, optional
        Values held in the catalogue from the start (``voc report`` seeds an empty ``ingested``).
    on_status : callable(str), optional
        Receives a status line at every step ("step 12/28 fit_themes: ... · 1m20s elapsed ·
        about 3m left"); the command line shows it on a terminal. Outside a terminal the same
        progress goes to the ``voc.progress`` log as one plain line per step
        (:mod:`voc.pipeline.progress`, the ``progress`` setting).
    keep : collection of str
        Intermediate values to hold until the end of the run (for the caller to read from the
        result) that the run would otherwise drop after their last step (:data:`RELEASED`).
    """
    nodes = list(nodes)
    if isinstance(night, datetime):  # a timestamp names its day: every step compares dates
        night = night.date()
    store, catalog = open_run(settings, night, out_dir, refit)
    catalog.update(seed_catalog or {})
    progress = NightProgress(
        [(n.name, n.description or n.name) for n in nodes],
        expected=expected_seconds(store.last_run()),
        plain=logs_progress(settings.progress),
    )

    def started(node: Node) -> None:
        line = progress.start(node.name)
        if on_status:
            on_status(line)
        if on_node:
            on_node(node)

    def finished(node: Node, seconds: float) -> None:
        progress.finish(node.name, seconds, {k: v for n in node.outputs for k, v in _size(n, catalog).items()})

    try:
        # one transaction for the whole night: a run killed or failing at any step leaves the
        # store exactly as the previous night left it, and its rerun sees the same new records
        with store.transaction(), plain_progress_output(settings.progress):
            run_nodes(nodes, catalog, on_start=started, on_end=finished, call=call, release=RELEASED - set(keep))
    except BaseException as exc:
        close_run(store, catalog, failed=exc)
        store.close()
        raise
    close_run(store, catalog, failed=None)
    store.close()
    held = catalog.held()
    if held.get("paths"):
        mark_fresh(held["out_dir"], night=held["night"], run_id=held["run_id"], counts=night_counts(held))
    return RunResult(held["run_id"], held["night"], held.get("paths", {}), held["timings"].seconds, held)


def _size(name: str, catalog: DataCatalog) -> dict[str, int]:
    """Rows of one output the catalogue holds, for the step's progress line (nothing for non-tables)."""
    value = getattr(catalog.get(name), "rows", catalog.get(name))
    if hasattr(value, "shape") and getattr(value, "ndim", 0) >= 1:
        return {name: int(value.shape[0])}
    return {}
