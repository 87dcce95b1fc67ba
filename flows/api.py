"""Whether a Prefect API is configured (an environment variable or the active Prefect profile)."""

import os

from prefect.settings import PREFECT_API_URL


def configured_api_url() -> str | None:
    """The Prefect API this process would talk to, or None when Prefect would start a temporary one."""
    return os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value() or None
