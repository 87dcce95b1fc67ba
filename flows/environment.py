"""The project's Prefect defaults, in one place: set before Prefect is first imported.

Why before: Prefect reads its settings when it is imported, so the command line (through the
``prefect`` engine's ``prepare``, see :mod:`flows.engine`), the tests and the served flow call
these first. A value the user set in the environment wins.
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


def prefect_logging_defaults(*, verbose: bool) -> dict[str, str]:
    """Prefect's logging as the command line wants it: INFO always reaches the flow's run logs.

    The run logs (the Prefect API) get every INFO line, the library's one line per step included
    (``PREFECT_LOGGING_EXTRA_LOGGERS=voc``); only Prefect's terminal handler follows ``--verbose``.
    """
    return {
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "INFO" if verbose else "WARNING",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "voc",
    }


def apply_prefect_logging_defaults(*, verbose: bool) -> None:
    """Set each of :func:`prefect_logging_defaults` that the environment does not already set."""
    for name, value in prefect_logging_defaults(verbose=verbose).items():
        os.environ.setdefault(name, value)
