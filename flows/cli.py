"""The user-facing ``voc`` command: the library's commands, the ``prefect`` engine and ``voc serve``.

Why the orchestrator builds the app (and not the library discovering it through entry points):
the library (``voc``) must never import ``flows``, and an explicit composition here keeps that
one-way without installed package metadata: a checkout on ``PYTHONPATH`` and an installed
package give the same ``voc``, and the tests build it the way users get it.
``pyproject.toml`` points the ``voc`` script here; ``python -m voc.cli`` is the library's own
command line, in-process engines only.
"""

from __future__ import annotations

from pathlib import Path

import typer

# importing flows.engine registers the prefect engine with voc.engines
from flows.engine import prefect_api_configured, prepare_prefect
from voc.cli import build_app, setup_logging


def serve(
    config: Path | None = typer.Option(None, "--config", "-c"),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Serve voc-nightly as a Prefect deployment on the cron in the settings.

    Blocks; run it under a service manager. Stopping it (Ctrl-C, SIGTERM) pauses the schedule.
    """
    prepare_prefect(verbose)
    setup_logging(verbose)
    if config is not None and not config.exists():
        raise typer.BadParameter(f"settings file not found: {config}", param_hint="--config")
    if not prefect_api_configured():
        # a temporary server would vanish with this process, and its schedule with it
        typer.echo(
            "voc serve needs a Prefect API: start `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api (or log in to Prefect Cloud)",
            err=True,
        )
        raise typer.Exit(2)
    from flows.serve import serve as serve_flow

    serve_flow(str(config.resolve()) if config else None)


def build_voc_app() -> typer.Typer:
    """The library's app plus ``serve`` (the ``prefect`` engine is registered on import of this module)."""
    new = build_app()
    new.command()(serve)
    return new


app = build_voc_app()

if __name__ == "__main__":  # pragma: no cover
    app()
