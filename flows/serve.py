"""Serve `voc-nightly` as a deployment on the cron from the settings.

Run under a service manager (systemd, supervisord): stopping this process pauses the schedule.
"""

from __future__ import annotations

from voc.config import load_settings


def serve(config: str | None = None) -> None:
    """Register the deployment and run flow runs as the schedule fires (blocks)."""
    from prefect.schedules import Cron

    from flows.nightly import voc_nightly

    settings = load_settings(config)
    voc_nightly.serve(
        name=settings.schedule.deployment_name,
        schedule=Cron(settings.schedule.cron, timezone=settings.schedule.timezone),
        parameters={"config": config} if config else {},
        description="Nightly Voice-of-Customer run: themes, sentiment, metrics, priorities, report.",
        tags=["voc"],
        pause_on_shutdown=False,
    )


if __name__ == "__main__":
    import sys

    serve(sys.argv[1] if len(sys.argv) > 1 else None)
