"""The project's Prefect defaults, in one place: set before Prefect is first imported.

Why before: Prefect reads its settings when it is imported, so the CLI, the tests and the served
flow call :func:`apply_prefect_defaults` first. A value the user set in the environment wins.
"""

import os

#: No telemetry, and time for the temporary API Prefect starts when none is configured
#: (its own default of 20 s is too short on a busy 2-core machine).
PREFECT_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


def apply_prefect_defaults() -> None:
    """Set each default that the environment does not already set."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
