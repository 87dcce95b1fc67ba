"""The ``prefect`` engine of ``voc run``: the night as the ``voc-nightly`` flow, registered with the library.

Importing this module registers it in :mod:`voc.engines` (``flows.cli`` does, so the installed
``voc`` offers it); nothing here imports Prefect until a night runs or ``auto`` asks whether an
API is configured, so ``voc --help`` stays instant.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from flows.environment import apply_prefect_defaults, apply_prefect_logging_defaults
from voc.config import Settings
from voc.engines import register

PREFECT = "prefect"


def prefect_api_configured() -> bool:
    """True when a Prefect API is set (``PREFECT_API_URL`` or the active profile); False without Prefect.

    ``auto`` chooses the flow only then: without an API Prefect starts a temporary server for each
    run (about 10-30 s here, for a run page nobody can open afterwards).
    """
    if os.environ.get("PREFECT_API_URL"):
        return True
    apply_prefect_defaults()
    try:
        from flows.api import configured_api_url
    except ImportError:
        return False
    return configured_api_url() is not None


def prepare_prefect(verbose: bool) -> None:
    """Prefect's defaults (no telemetry, start-up timeout, logging), before Prefect is first imported."""
    apply_prefect_logging_defaults(verbose=verbose)
    apply_prefect_defaults()


@register(
    PREFECT,
    description="the voc-nightly Prefect flow (a task per node, retries, run artifacts)",
    preferred=prefect_api_configured,
    prepare=prepare_prefect,
)
def run_prefect(
    settings: Settings,
    *,
    night: date | None,
    out_dir: Path,
    refit: bool,
    verbose: bool,
    status: Callable[[str], None],
) -> dict[str, Path]:
    """Run the night as the ``voc-nightly`` flow (:func:`flows.nightly.voc_nightly`)."""
    prepare_prefect(verbose)
    from flows.nightly import nightly_flow

    status("running the voc-nightly flow")
    flow = nightly_flow(settings)  # under a DaskTaskRunner when `compute.cluster` is set
    paths = flow(settings=settings.model_dump(mode="json"), night=night, out_dir=str(out_dir), refit=refit)
    return {name: Path(path) for name, path in paths.items()}
