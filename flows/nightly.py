"""The `voc-nightly` Prefect flow: every pipeline node as a task, with a run summary as artifacts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from voc.config import load_settings
from voc.pipeline import NIGHTLY, Node, RunResult, run_pipeline


def _as_task(node: Node, catalog: dict[str, Any]) -> dict[str, Any]:
    """Run one node as a Prefect task (retries only where the node does I/O)."""
    runner = task(
        node.__call__,
        name=node.name,
        description=node.description or None,
        retries=node.retries,
        retry_delay_seconds=5,
        cache_policy=NO_CACHE,  # inputs are DataFrames and a DB handle: nothing worth hashing
    )
    # quote(): skip Prefect's walk through the catalog's DataFrames looking for futures.
    return runner(quote(catalog))


@flow(name="voc-nightly", log_prints=False)
def voc_nightly(
    config: str | None = None,
    settings: dict[str, Any] | None = None,
    night: date | None = None,
    out_dir: str | None = None,
    refit: bool = False,
) -> dict[str, str]:
    """Ingest, embed, find themes, score, measure, rank and report one night of feedback.

    ``config`` is a voc.yaml path; ``settings`` overrides any of its fields (as plain JSON values).
    """
    cfg = load_settings(config, **(settings or {}))
    result = run_pipeline(cfg, night=night, out_dir=Path(out_dir) if out_dir else None, refit=refit, call=_as_task)
    publish_artifacts(result)
    get_run_logger().info("report written to %s", result.paths.get("report"))
    return {name: str(path) for name, path in result.paths.items()}


def publish_artifacts(result: RunResult) -> None:
    """A markdown summary and the priority table on the flow run's page."""
    catalog = result.catalog
    priorities = catalog.get("priorities")
    alerts = catalog.get("alerts")
    lines = [
        f"# voc nightly run {result.night.isoformat()}",
        f"- run id: `{result.run_id}`",
        f"- new records: {len(catalog.get('new_records', []))}",
        f"- themes: {len(catalog['themes']) if 'themes' in catalog else 0}",
        f"- alerts: {0 if alerts is None else len(alerts)}",
        f"- report: `{result.paths.get('report')}`",
        "",
        "| step | seconds |",
        "|---|---:|",
        *[f"| {name} | {seconds:.1f} |" for name, seconds in result.seconds.items()],
    ]
    create_markdown_artifact("\n".join(lines), key="voc-nightly-summary", description="voc nightly summary")
    if priorities is not None and not priorities.empty:
        top = priorities.head(20)[["rank", "theme_label", "priority_score", "n_records", "nps_impact", "why"]]
        create_table_artifact(top.round(3).astype(object).where(top.notna(), None).to_dict("records"),
                              key="voc-priorities", description="Top priorities tonight")
    if alerts is not None and not alerts.empty:
        cols = [c for c in ("kind", "theme_label", "segment", "observed", "expected", "p_value", "message") if c in alerts]
        create_table_artifact(alerts[cols].astype(object).where(alerts[cols].notna(), None).to_dict("records"),
                              key="voc-alerts", description="Alerts tonight")
