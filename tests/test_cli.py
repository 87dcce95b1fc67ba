"""The command line: quick help, clear errors on bad input, a real in-process run.

``app`` is the installed ``voc`` (``flows.cli``: the library's commands plus ``serve`` and the
prefect engine); ``library_app`` is the library's own, in-process commands only.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from voc.cli import app as library_app

runner = CliRunner(env={"COLUMNS": "240"})


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_help_is_quick_and_lists_commands():
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "flows.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("run", "demo", "sample", "report", "export", "serve", "themes"):
        assert command in result.stdout
    # heavy libraries must stay out of the import path of --help
    heavy = "print(any(m in sys.modules for m in ('bertopic', 'torch', 'prefect')))"
    assert _python(f"import sys, flows.cli; {heavy}") == "False", time.perf_counter() - started
    # and the library's own command line does not even import the orchestrator
    assert _python("import sys, voc.cli; print(any(m.split('.')[0] == 'flows' for m in sys.modules))") == "False"


def test_library_app_has_the_in_process_commands_and_no_prefect_engine(monkeypatch, tmp_path):
    import typer.main

    from voc import engines

    assert set(typer.main.get_command(library_app).commands) == {"run", "demo", "sample", "report", "export", "themes"}
    assert set(typer.main.get_command(app).commands) == {"run", "demo", "sample", "report", "export", "themes", "serve"}
    # without flows registering it, --engine prefect is a usage error that names what exists
    monkeypatch.setattr(engines, "_ENGINES", {k: v for k, v in engines._ENGINES.items() if k != "prefect"})
    file = tmp_path / "in.csv"
    pd.DataFrame({"text": ["hi"]}).to_csv(file, index=False)
    argv = ["run", "--input", str(file), "--text-column", "text", "--out", str(tmp_path / "o"), "--engine", "prefect"]
    result = runner.invoke(library_app, argv)
    assert result.exit_code == 2 and "auto, plain" in result.output and "flows" in result.output, result.output
    assert not (tmp_path / "o").exists()


def test_missing_text_column_names_columns(tmp_path):
    file = tmp_path / "in.csv"
    pd.DataFrame({"comment": ["hi"], "when": ["2026-01-01"]}).to_csv(file, index=False)
    result = runner.invoke(
        app,
        [
            "run",
            "--input",
            str(file),
            "--text-column",
            "body",
            "--db",
            str(tmp_path / "v.duckdb"),
            "--out",
            str(tmp_path / "out"),
            "--engine",
            "plain",
        ],
    )
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    assert "body" in message and "comment" in message and "in.csv" in message


def test_missing_input_file_is_named(tmp_path):
    result = runner.invoke(
        app, ["run", "--input", str(tmp_path / "nope.csv"), "--text-column", "t", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0 and "nope.csv" in result.output


@pytest.mark.slow
def test_plain_run_on_a_small_file_writes_the_contract(tmp_path):
    from voc.sample import generate_sample

    frame, _ = generate_sample(n_records=500, seed=5)
    file = tmp_path / "feedback.csv"
    frame.to_csv(file, index=False)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "run",
            "--input",
            str(file),
            "--text-column",
            "text",
            "--id-column",
            "feedback_id",
            "--date-column",
            "created_at",
            "--score-column",
            "score",
            "--score-type-column",
            "score_type",
            "--segment-column",
            "segment",
            "--customer-column",
            "customer_id",
            "--value-column",
            "customer_value",
            "--churn-column",
            "churned",
            "--db",
            str(tmp_path / "v.duckdb"),
            "--out",
            str(out),
            "--engine",
            "plain",
        ],
    )
    assert result.exit_code == 0, result.output
    records = pd.read_parquet(out / "records.parquet")
    assert {"record_id", "theme_id", "sentiment", "segment", "customer_id"} <= set(records.columns)
    assert (out / "report.html").exists()


@pytest.mark.parametrize("columns", ["80", "240"])
def test_every_option_name_is_shown_whole_in_help(columns):
    import typer.main

    narrow = CliRunner(env={"COLUMNS": columns})
    for name, command in typer.main.get_command(app).commands.items():
        result = narrow.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        for param in command.params:
            for option in (*param.opts, *param.secondary_opts):
                if option.startswith("-"):
                    assert option in result.output, (name, option, result.output)
        assert "…" not in result.output, (name, result.output)
