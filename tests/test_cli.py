"""The command line: quick help, clear errors on bad input, a real in-process run."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner(env={"COLUMNS": "240"})


def test_help_is_quick_and_lists_commands():
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "voc.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("run", "demo", "report", "export", "serve", "themes"):
        assert command in result.stdout
    # heavy libraries must stay out of the import path of --help
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, voc.cli; print(any(m in sys.modules for m in ('bertopic', 'torch', 'prefect')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "False", time.perf_counter() - started


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
