"""The deployment is built from the settings' schedule (serving itself blocks, so it is not run)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.flow]


def test_deployment_uses_cron_from_settings(tmp_path, monkeypatch):
    from flows import serve as serve_module
    from flows.nightly import voc_nightly

    config = tmp_path / "voc.yaml"
    config.write_text("schedule:\n  cron: '30 3 * * *'\n  timezone: Europe/Warsaw\n  deployment_name: nightly-test\n")
    captured = {}
    monkeypatch.setattr(type(voc_nightly), "serve", lambda self, **kw: captured.update(kw))
    serve_module.serve(str(config))
    assert captured["name"] == "nightly-test"
    assert captured["schedule"].cron == "30 3 * * *"
    assert captured["schedule"].timezone == "Europe/Warsaw"
    assert captured["parameters"] == {"config": str(config)}
