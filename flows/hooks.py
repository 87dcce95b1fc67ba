"""Failure hooks of `voc-nightly`: a failed or crashed night is recorded, marked and announced.

The work itself is the library's (:func:`voc.pipeline.outcome.handle_failed_night`); these hooks
only translate Prefect's flow run into its arguments. Teams that prefer Prefect automations can
instead trigger a webhook on ``prefect.flow-run.Failed`` events (see the README); the store's
``runs`` row and the stale mark still come from these hooks.
"""

from datetime import UTC, date, datetime
from typing import Any

from prefect import get_run_logger
from prefect.settings import PREFECT_UI_URL

from voc.config import load_settings
from voc.pipeline.outcome import handle_failed_night


def _night(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _handle(flow_run: Any, state: Any) -> None:
    logger = get_run_logger()
    params = dict(flow_run.parameters or {})
    try:
        settings = load_settings(params.get("config"), **(params.get("settings") or {}))
    except Exception as exc:  # settings that cannot load: nothing to record into, say so
        logger.error("step=failure_hook status=failed reason=%r", f"settings could not be loaded: {exc}")
        return
    ui = PREFECT_UI_URL.value()
    done = handle_failed_night(
        settings,
        night=_night(params.get("night")),
        out_dir=params.get("out_dir"),
        error=state.message or state.name,
        since=_naive_utc(flow_run.start_time),
        run_url=f"{ui}/runs/flow-run/{flow_run.id}" if ui else None,
    )
    logger.info("step=failure_hook recorded=%s stale=%s notified=%s", done["recorded"], done["stale"], done["notified"])


def on_night_failed(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_failure``: the night raised (bad input, a source that stayed unavailable, a bug)."""
    _handle(flow_run, state)


def on_night_crashed(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_crashed``: the process was interrupted or killed mid-night."""
    _handle(flow_run, state)
