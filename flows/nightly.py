"""The `voc-nightly` Prefect flow: every pipeline node as a task, with a run summary as artifacts.

No ``from __future__ import annotations`` here: a served deployment sends this flow to each run by
value (cloudpickle), and Prefect builds its parameter model from the annotations. Postponed
(string) annotations lose ``date`` on the way and every served run fails before its first task.
"""

import logging
import time
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from flows.hooks import on_night_crashed, on_night_failed
from voc.config import Settings, load_settings
from voc.errors import StoreLockedError, TransientError
from voc.pipeline import Node, RunResult, run_pipeline
from voc.report.counts import night_counts
from voc.report.summary import summary_markdown


def only_transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry a failed task only for faults that may heal by waiting (never bad input)."""
    error = state.result(raise_on_failure=False, _sync=True)  # never a coroutine, whatever loop runs
    return isinstance(error, TransientError)


def _as_task(node: Node, catalog: dict[str, Any]) -> dict[str, Any]:
    """Run one node as a Prefect task (retries only where the node does I/O, only for transient faults).

    Under a ``DaskTaskRunner`` the ``compute`` node gives the steps the flow's own partition
    runner: their partitions become tasks on that cluster (:mod:`flows.compute`).
    """
    if node.outputs == ("compute",):
        from flows.compute import flow_compute

        runner = flow_compute(catalog["settings"].compute)
        if runner is not None:
            return {"compute": runner}
    schedule = catalog["settings"].schedule
    retries = min(node.retries, schedule.retries)
    runner = task(  # type: ignore[call-overload]  # Prefect types retry_delay_seconds narrower than it accepts
        node.__call__,
        name=node.name,
        description=node.description or None,
        retries=retries,
        retry_delay_seconds=exponential_backoff(schedule.retry_backoff_s)(retries)
        if retries and schedule.retry_backoff_s
        else 0,
        retry_condition_fn=only_transient,
        cache_policy=NO_CACHE,  # inputs are DataFrames and a DB handle: nothing worth hashing
    )
    # quote(): skip Prefect's walk through the catalog's DataFrames looking for futures.
    return runner(quote(catalog))


def _run_with_store_retries(cfg: Settings, **kwargs: Any) -> RunResult:
    """Run the night; a store locked by another writer is waited for with backoff.

    The store is opened before the first task, so its lock is retried here (the whole night is
    idempotent: a failed attempt rolled its writes back).
    """
    logger = get_run_logger()
    wait = cfg.schedule.retry_backoff_s
    for attempt in range(cfg.schedule.retries + 1):
        try:
            return run_pipeline(cfg, call=_as_task, **kwargs)
        except StoreLockedError as exc:
            if attempt == cfg.schedule.retries:
                raise
            logger.warning(
                "step=open_store status=locked attempt=%d retry_in_s=%.1f reason=%r", attempt + 1, wait, str(exc)
            )
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


@flow(name="voc-nightly", log_prints=False, on_failure=[on_night_failed], on_crashed=[on_night_crashed])
def voc_nightly(
    config: str | None = None,
    settings: dict[str, Any] | None = None,
    night: date | None = None,
    out_dir: str | None = None,
    refit: bool = False,
) -> dict[str, str]:
    """Ingest, embed, find themes, score, measure, rank and report one night of feedback.

    ``config`` is a voc.yaml path; ``settings`` overrides any of its fields (as plain JSON values).
    Without ``night``: today, or the last day with data when that is earlier.
    """
    logging.getLogger("voc").setLevel(logging.INFO)  # the run's log lines reach the run page
    cfg = load_settings(config, **(settings or {}))
    result = _run_with_store_retries(cfg, night=night, out_dir=Path(out_dir) if out_dir else None, refit=refit)
    publish_artifacts(result)
    get_run_logger().info(
        "step=night night=%s run_id=%s report=%s", result.night.isoformat(), result.run_id, result.paths.get("report")
    )
    return {name: str(path) for name, path in result.paths.items()}


def nightly_flow(settings: Settings) -> Any:
    """``voc_nightly`` under the task runner ``settings.compute`` names (a ``DaskTaskRunner``), else as is."""
    from flows.compute import dask_task_runner

    runner = dask_task_runner(settings.compute)
    return voc_nightly if runner is None else voc_nightly.with_options(task_runner=runner)


def publish_artifacts(result: RunResult) -> None:
    """A markdown summary and the priority table on the flow run's page (counts as stored)."""
    catalog = result.catalog
    counts = night_counts(catalog)
    priorities = catalog.get("priorities")
    alerts = catalog.get("alerts")
    context = catalog.get("context")
    # the report's own summary (headline, top ten, alerts): the same figures as report.html
    summary = summary_markdown(context, report_path=result.paths.get("report")) if context is not None else ""
    lines = [
        summary or f"# voc nightly run {result.night.isoformat()}",
        "## Counts",
        "",
        f"- run id: `{result.run_id}`",
        f"- new records: {counts['n_new_records']}",
        f"- records analysed: {counts['n_records']}",
        f"- themes: {counts['n_themes']} ({counts['n_ranked_themes']} ranked, {counts['n_context_themes']} only beside "
        f"others; {counts['n_parent_themes']} parent groups)",
        f"- priorities: {counts['n_priorities']}",
        f"- alerts: {counts['n_alerts']}",
        f"- report: `{result.paths.get('report')}`",
        "",
        "| step | seconds |",
        "|---|---:|",
        *[f"| {name} | {seconds:.1f} |" for name, seconds in result.seconds.items()],
    ]
    create_markdown_artifact("\n".join(lines), key="voc-nightly-summary", description="voc nightly summary")
    if priorities is not None and not priorities.empty:
        columns = ["rank", "theme_label", "priority_score", "n_records", "negativity", "impact_metric", "impact", "why"]
        top = priorities.head(20)[[c for c in columns if c in priorities]]
        create_table_artifact(
            top.round(3).astype(object).where(top.notna(), None).to_dict("records"),
            key="voc-priorities",
            description="Top priorities tonight",
        )
    if alerts is not None and not alerts.empty:
        cols = [
            c for c in ("kind", "theme_label", "segment", "observed", "expected", "p_value", "message") if c in alerts
        ]
        create_table_artifact(
            alerts[cols].astype(object).where(alerts[cols].notna(), None).to_dict("records"),
            key="voc-alerts",
            description="Alerts tonight",
        )
