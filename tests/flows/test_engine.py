"""``voc run --engine``: flows registers the prefect engine with the library; auto picks it only with an API."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from voc import engines


@pytest.fixture
def no_prefect_api(monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # not even a test harness's API
        yield


@pytest.fixture
def calls(monkeypatch, tmp_path):
    """Record what each engine is asked to run (the flow and the pipeline themselves are tested elsewhere)."""
    import flows.nightly

    seen: list[tuple[str, dict]] = []

    def fake_flow(**kwargs):
        seen.append(("prefect", kwargs))
        return {"report": str(tmp_path / "report.html")}

    def fake_plain(settings, *, night, out_dir, refit, verbose, status):
        seen.append(("plain", {"settings": settings, "out_dir": out_dir}))
        return {"report": tmp_path / "report.html"}

    monkeypatch.setattr(flows.nightly, "voc_nightly", fake_flow)
    monkeypatch.setitem(engines._ENGINES, "plain", engines.Engine("plain", fake_plain))
    return seen


def _run(tmp_path: Path, engine: str, *extra: str, env: dict[str, str] | None = None):
    file = tmp_path / "in.csv"
    pd.DataFrame({"text": ["the parcel came late"]}).to_csv(file, index=False)
    argv = ["run", "--input", str(file), "--text-column", "text", "--out", str(tmp_path / "out"), "--engine", engine]
    return CliRunner(env={"COLUMNS": "240", **(env or {})}).invoke(app, [*argv, *extra])


def test_auto_takes_prefect_only_when_an_api_is_configured(monkeypatch, no_prefect_api):
    assert engines.get_engine("auto").name == "plain"
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert engines.get_engine("auto").name == "prefect"
    assert engines.engine_names()[:2] == ["plain", "prefect"]


def test_engine_prefect_runs_the_nightly_flow_with_the_settings(monkeypatch, tmp_path, calls):
    for name in ("PREFECT_LOGGING_LEVEL", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "PREFECT_LOGGING_EXTRA_LOGGERS"):
        monkeypatch.delenv(name, raising=False)
    result = _run(tmp_path, "prefect")
    assert result.exit_code == 0, result.output
    [(engine, kwargs)] = calls
    assert engine == "prefect" and kwargs["out_dir"] == str(tmp_path / "out") and kwargs["refit"] is False
    assert kwargs["settings"]["sources"][0]["path"] == str(tmp_path / "in.csv")  # the CLI's settings, as JSON
    assert "report.html" in result.output
    import os

    # the flow's run logs get INFO (the library's step lines too); the terminal only warnings
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "INFO" and os.environ["PREFECT_LOGGING_EXTRA_LOGGERS"] == "voc"
    assert os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "WARNING"


def test_engine_auto_dispatches_on_the_api(tmp_path, calls, no_prefect_api):
    assert _run(tmp_path, "auto").exit_code == 0
    assert _run(tmp_path, "auto", env={"PREFECT_API_URL": "http://127.0.0.1:4200/api"}).exit_code == 0
    assert [engine for engine, _ in calls] == ["plain", "prefect"]


def test_unknown_engine_is_a_usage_error_naming_the_engines(tmp_path, calls):
    result = _run(tmp_path, "dask")
    assert result.exit_code == 2 and "auto, plain, prefect" in result.output and calls == []


def test_auto_cannot_be_registered():
    with pytest.raises(ValueError, match="auto"):
        engines.register("auto")
