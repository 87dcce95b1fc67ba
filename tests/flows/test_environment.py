"""Prefect's defaults are set once, and never over a value the user chose."""

from __future__ import annotations

from flows.environment import PREFECT_DEFAULTS, apply_prefect_defaults


def test_defaults_fill_only_what_the_environment_leaves_unset(monkeypatch):
    for name in PREFECT_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")
    apply_prefect_defaults()
    import os

    assert os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "600"
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and os.environ["DO_NOT_TRACK"] == "1"
