"""Helpers (loaded by path from conftest.py) for the reliability catalogue (docs/reliability.md): small files the tests write, the
real CLI in-process (``--engine plain``) and the pipeline's own ingest node.

The encoder is loaded once per process by :func:`voc.embed.get_embedder`, so every CLI night in
this folder shares it with the rest of the session.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from typer.testing import CliRunner

NIGHT = "2026-01-31"

#: Comments a clean file is made of: varied enough to form a couple of themes, in three languages.
COMMENTS = (
    "The courier delivered the parcel three days late",
    "Delivery was late again and nobody called me",
    "The mobile app crashes when I log in",
    "App keeps crashing after the last update",
    "Customer support solved my problem quickly, thank you",
    "Great support, the agent was friendly and fast",
    "Przesyłka dotarła z opóźnieniem, kurier się nie odezwał",
    "Aplikacja się zawiesza przy logowaniu",
    "Die Lieferung kam zu spät und war beschädigt",
    "Der Kundenservice war sehr freundlich",
)


def comment(i: int) -> str:
    return f"{COMMENTS[i % len(COMMENTS)]} (order {1000 + i})"


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def clean_rows(n: int = 30, *, start: int = 0) -> list[list[Any]]:
    """id, text, date, nps, customer, segment."""
    return [
        [str(i), comment(i), f"2026-01-{1 + i % 28:02d}", str(i % 11), f"C{i:04d}", ("retail", "business")[i % 2]]
        for i in range(start, start + n)
    ]


FULL_HEADER = ["id", "text", "date", "nps", "customer", "segment"]
FULL_ARGS = [
    "--id-column",
    "id",
    "--date-column",
    "date",
    "--score-column",
    "nps",
    "--score-type",
    "nps",
    "--customer-column",
    "customer",
    "--segment-column",
    "segment",
]


class Cli:
    """``voc run`` in-process against one store and output folder under ``tmp_path``."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.db = tmp_path / "voc.duckdb"
        self.out = tmp_path / "out"
        self.runner = CliRunner(env={"COLUMNS": "200"})

    def run(
        self,
        *files: Path,
        text: str = "text",
        args: Sequence[str] = (),
        night: str | None = NIGHT,
        db: Path | None = None,
        env: dict[str, str] | None = None,
        out: Path | None = None,
    ):
        argv = ["run"]
        for f in files:
            argv += ["--input", str(f)]
        if files:
            argv += ["--text-column", text]
        argv += [*args, "--db", str(db or self.db), "--out", str(out or self.out), "--engine", "plain"]
        if night is not None:
            argv += ["--night", night]
        from voc.cli import app

        return self.runner.invoke(app, argv, env=env)

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def records(self) -> pd.DataFrame:
        return pd.read_parquet(self.out / "records.parquet")


def assert_one_sentence(result, *needles: str) -> None:
    """Exit 2 with one plain ``Error:`` line naming what is wrong, no traceback."""
    text = result.output
    assert result.exit_code == 2, text
    assert "Traceback" not in text and 'File "' not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), text
    for needle in needles:
        assert needle in text, (needle, text)


def assert_night_outputs(out: Path) -> None:
    for name in (
        "records.parquet",
        "themes.parquet",
        "report.html",
        "priorities.csv",
        "priorities.xlsx",
        "priorities.json",
    ):
        assert (out / name).is_file(), name


def ingest(path: Path, *, night: str | None = NIGHT, ingest_settings: dict[str, Any] | None = None, **source: Any):
    """The pipeline's ingest node on one file; ``source`` holds SourceSettings fields and ``columns``."""
    from datetime import date

    from voc.config import load_settings
    from voc.pipeline.nodes import ingest_sources

    columns = source.pop("columns", {"text": "text"})
    settings = load_settings(sources=[{"path": str(path), "columns": columns, **source}], ingest=ingest_settings or {})
    return ingest_sources(settings, date.fromisoformat(night) if night else None)


def accounted(ingested) -> bool:
    """Every row read is a record, a counted duplicate or a quarantined row."""
    s = ingested.stats
    return s["rows_read"] == s["rows_kept"] + s["duplicates_dropped"] + s["quarantined"]


os.environ.setdefault("VOC_PROGRESS", "off")


#: A real night in a child process that stops at the start of one step: killed (``kill``), held
#: until a flag file appears (``hold``), then failing on purpose so it never loads the encoder.
CHILD_NIGHT = r"""
import os, signal, sys, time
from datetime import date
from pathlib import Path
from voc.config import load_settings
from voc.pipeline import run_pipeline

db, source, night, step, action, flag = sys.argv[1:7]
settings = load_settings(db_path=db, out_dir=str(Path(db).parent / "child-out"),
                         sources=[{"path": source, "columns": {"text": "text", "id": "id"}}])

def at_step(node):
    if node.name != step:
        return
    print("at", step, flush=True)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not Path(flag).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    raise RuntimeError("stopped on purpose")

run_pipeline(settings, night=date.fromisoformat(night), on_node=at_step)
"""


def start_child_night(tmp_path: Path, db: Path, source: Path, night: str, step: str, action: str):
    """Start :data:`CHILD_NIGHT`; returns (process, flag path) once it has reached ``step``."""
    import subprocess
    import sys

    script = tmp_path / "child_night.py"
    script.write_text(CHILD_NIGHT, encoding="utf-8")
    flag = tmp_path / "release.flag"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), str(source), night, step, action, str(flag)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()
    if not line.startswith("at "):
        proc.wait(timeout=30)
        raise AssertionError(f"child night did not reach {step}: {proc.stderr.read()}")
    return proc, flag


def hold_store(db: Path, seconds: float):
    """A child process that holds ``db``'s writer lock for ``seconds`` (started once it holds it)."""
    import subprocess
    import sys

    code = (
        "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "time.sleep(float(sys.argv[2])); con.close()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc
