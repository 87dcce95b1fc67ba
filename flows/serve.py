"""Serve `voc-nightly` as a deployment on the cron from the settings.

Run under a service manager (systemd, supervisord): stopping this process (SIGTERM or Ctrl-C)
pauses the deployment's schedule, so no run piles up while nothing can execute it; the next
``voc serve`` resumes it. A run in progress when the server stops is cancelled.
"""

import asyncio
import logging
import signal
from typing import Any

from voc.config import Settings, load_settings

log = logging.getLogger(__name__)


def deployment_options(settings: Settings, config: str | None) -> dict[str, Any]:
    """What the deployment is registered with (name, cron, parameters)."""
    from prefect.schedules import Cron

    return {
        "name": settings.schedule.deployment_name,
        "schedule": Cron(settings.schedule.cron, timezone=settings.schedule.timezone),
        "parameters": {"config": config} if config else {},
        "description": "Nightly Voice-of-Customer run: themes, sentiment, metrics, priorities, report.",
        "tags": ["voc"],
    }


async def aserve(config: str | None = None) -> None:
    """Register the deployment, run flow runs as the schedule fires, pause it on shutdown."""
    from prefect.runner import Runner

    from flows.nightly import nightly_flow

    settings = load_settings(config)
    voc_nightly = nightly_flow(settings)  # under a DaskTaskRunner when `compute.cluster` is set
    options = deployment_options(settings, config)

    class _Runner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            # Prefect's own handler calls the async stop from a sync frame and never awaits it;
            # schedule it on the running loop so the schedule is paused before the process exits.
            _request_stop()

    runner = _Runner(name=options["name"], pause_on_shutdown=True)
    loop = asyncio.get_running_loop()

    def _request_stop() -> None:
        if runner.started and not runner.stopping:
            log.warning("step=serve status=stopping reason='signal received: pausing the schedule'")
            loop.call_soon_threadsafe(lambda: loop.create_task(runner.astop()))

    loop.add_signal_handler(signal.SIGINT, _request_stop)
    deployment_id = await runner.aadd_flow(voc_nightly, **options)
    print(
        f"voc serve: deployment '{voc_nightly.name}/{options['name']}' ({deployment_id}) on cron "
        f"'{settings.schedule.cron}' ({settings.schedule.timezone}); stop with Ctrl-C or SIGTERM (pauses the schedule)",
        flush=True,
    )
    await runner.start()  # returns once astop() ran; leaving it paused the schedule
    print("voc serve: stopped; the schedule is paused", flush=True)


def serve(config: str | None = None) -> None:
    """Blocking entry point (``voc serve``)."""
    asyncio.run(aserve(config))


if __name__ == "__main__":
    import sys

    serve(sys.argv[1] if len(sys.argv) > 1 else None)
