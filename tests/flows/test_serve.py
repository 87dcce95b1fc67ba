"""The deployment `voc serve` registers is built from the settings' schedule.

Serving itself (against a real Prefect server, no stub) is tested in test_schedule.py.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.flow]


def test_deployment_uses_cron_from_settings(tmp_path):
    from flows.serve import deployment_options
    from voc.config import load_settings

    config = tmp_path / "voc.yaml"
    config.write_text("schedule:\n  cron: '30 3 * * *'\n  timezone: Europe/Warsaw\n  deployment_name: nightly-test\n")
    options = deployment_options(load_settings(config), str(config))
    assert options["name"] == "nightly-test"
    assert options["schedule"].cron == "30 3 * * *"
    assert options["schedule"].timezone == "Europe/Warsaw"
    assert options["parameters"] == {"config": str(config)}
    assert deployment_options(load_settings(), None)["parameters"] == {}


def test_served_flow_has_a_fully_defined_parameter_model():
    """Served runs receive the flow by value; its parameter model must not hold postponed names."""
    import cloudpickle

    import flows.nightly
    from flows.nightly import voc_nightly

    cloudpickle.register_pickle_by_value(flows.nightly)  # as the runner ships it to a served run
    try:
        flow = cloudpickle.loads(cloudpickle.dumps(voc_nightly))
    finally:
        cloudpickle.unregister_pickle_by_value(flows.nightly)
    parameters = flow.validate_parameters({"night": "2026-03-01", "refit": False})
    assert parameters["night"].isoformat() == "2026-03-01"


def test_serve_without_a_prefect_api_says_what_to_start(monkeypatch, tmp_path):
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # not even a test harness's API
        result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "PREFECT_API_URL" in result.output and "prefect server start" in result.output


def test_the_documented_automation_is_valid_prefect():
    """flows/automation.yaml (the README's alternative to the webhook) parses as a Prefect automation."""
    import uuid
    from pathlib import Path

    import yaml
    from prefect.events.schemas.automations import AutomationCore

    text = (Path(__file__).resolve().parents[2] / "flows" / "automation.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text.replace("REPLACE-WITH-YOUR-NOTIFICATION-BLOCK-ID", str(uuid.uuid4())))
    automation = AutomationCore.model_validate(data)
    assert set(automation.trigger.expect) == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
    assert automation.actions[0].type == "send-notification"
