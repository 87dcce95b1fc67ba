"""The nightly schedule against a real `prefect server start`, driven by the README's own commands.

Nothing is stubbed: the README's scheduling block is read and run (port and config file name
substituted), `voc serve` registers the deployment, the server's scheduler creates the cron's
runs, a triggered night completes in the served process, a night with a broken source fails with
its reason, reaches a loopback webhook and leaves the previous night's files marked stale, and
stopping `voc serve` pauses the schedule.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import httpx
import pandas as pd
import pytest
import yaml

# its own server, not the session's test harness: no xdist group, so it balances against the rest
pytestmark = [pytest.mark.flow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CRON, TZ = "30 3 * * *", "Europe/Warsaw"
DEADLINE_S = 240  # every wait below shares one budget: the test is bounded (about 150 s on 2 cores)


def readme_commands() -> list[str]:
    """The commands of the README's scheduling block, comments dropped, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Scheduling") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Webhook:
    """A loopback HTTP endpoint that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class Clock:
    def __init__(self, budget: float) -> None:
        self.end = time.monotonic() + budget

    def wait_for(self, what: str, probe, every: float = 1.0):
        while time.monotonic() < self.end:
            value = probe()
            if value:
                return value
            time.sleep(every)
        raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 30) -> int | None:
    """Signal the process group we started; kill it if it does not end in time."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return process.returncode


@pytest.fixture()
def night_setup(tmp_path):
    from voc.demo import demo_settings
    from voc.sample import write_sample

    sample = tmp_path / "sample"
    write_sample(sample, n_records=500, seed=11)
    feedback = pd.read_csv(sample / "feedback.csv", dtype=str)  # a small file: 200 of its rows
    feedback.sample(200, random_state=0).to_csv(sample / "feedback.csv", index=False)
    out = tmp_path / "out"
    hook = Webhook()
    settings = demo_settings(sample, out).model_dump(mode="json")
    settings["alerts"]["webhook_url"] = hook.url
    settings["alerts"]["retries"] = 0
    settings["schedule"].update(cron=CRON, timezone=TZ, retry_backoff_s=0.2)
    config = tmp_path / "my.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text("id,comment\n1,the app crashes\n", encoding="utf-8")
    yield {"config": config, "out": out, "sample": sample, "hook": hook, "broken": broken, "cwd": tmp_path}
    hook.close()


def test_readme_schedule_serves_fires_completes_and_fails_loudly(night_setup, tmp_path):
    commands = readme_commands()
    assert [c.split()[:2] for c in commands[:3]] == [
        ["prefect", "server"],
        ["export", "PREFECT_API_URL=http://127.0.0.1:4200/api"],
        ["voc", "serve"],
    ]
    port = free_port()
    config = night_setup["config"]
    as_here = lambda command: command.replace("4200", str(port)).replace("my.yaml", str(config))  # noqa: E731
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2",
        PREFECT_RUNNER_POLL_FREQUENCY="2",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        VOC_PROGRESS="off",
        HF_HUB_OFFLINE="1",
        COLUMNS="250",  # Prefect's tables print whole ids when wide
    )
    clock = Clock(DEADLINE_S)
    started: list[subprocess.Popen] = []
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("server", "serve")}  # noqa: SIM115  closed at the end

    def background(name: str, command: str) -> subprocess.Popen:
        process = subprocess.Popen(
            f"exec {command}",
            shell=True,
            env=env,
            cwd=night_setup["cwd"],
            stdout=logs[name],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    def cli(command: str) -> str:
        done = subprocess.run(
            as_here(command), shell=True, env=env, cwd=night_setup["cwd"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    try:
        server = background("server", as_here(commands[0]))
        name, value = as_here(commands[1]).removeprefix("export ").split("=", 1)
        env[name] = value
        api = httpx.Client(base_url=value, timeout=10)

        def healthy() -> bool:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                return api.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        clock.wait_for("the Prefect server", healthy)
        serve = background("serve", as_here(commands[2]))

        def deployment() -> dict | None:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            found = api.get("/deployments/name/voc-nightly/voc-nightly")
            return found.json() if found.status_code == 200 else None

        dep = clock.wait_for("the served deployment", deployment)
        [schedule] = dep["schedules"]
        assert schedule["active"] and schedule["schedule"]["cron"] == CRON and schedule["schedule"]["timezone"] == TZ
        assert not dep["paused"] and dep["parameters"] == {"config": str(config)}

        def runs(**flow_runs) -> list[dict]:
            body = {
                "deployments": {"id": {"any_": [dep["id"]]}},
                "flow_runs": flow_runs,
                "sort": "EXPECTED_START_TIME_ASC",
            }
            return api.post("/flow_runs/filter", json=body).json()

        # the cron fires: the server's scheduler creates the deployment's runs at 03:30 Warsaw time
        scheduled = clock.wait_for("scheduled runs", lambda: runs(state={"type": {"any_": ["SCHEDULED"]}}))
        first = pd.Timestamp(scheduled[0]["expected_start_time"]).tz_convert(ZoneInfo(TZ))
        assert (first.hour, first.minute) == (3, 30)

        # the README's check commands, as written
        assert "voc-nightly" in cli(commands[3])
        triggered = cli(commands[4])  # prefect deployment run voc-nightly/voc-nightly
        manual = api.get(f"/flow_runs/{re.search(r'UUID: ([0-9a-f-]{36})', triggered).group(1)}").json()
        assert manual["deployment_id"] == dep["id"]

        def finished(run_id: str) -> dict | None:
            state = api.get(f"/flow_runs/{run_id}").json()["state"]
            return state if state["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None

        state = clock.wait_for("the night to finish", lambda: finished(manual["id"]), every=2)
        assert state["type"] == "COMPLETED", (state, (tmp_path / "serve.log").read_text()[-3000:])
        listed = cli(commands[5])  # prefect flow-run ls
        assert manual["id"] in listed and "COMPLETED" in listed
        assert "voc-nightly-summary" in cli(commands[6])  # prefect artifact ls
        step_lines = cli(f"prefect flow-run logs {manual['id']}")
        assert re.search(r"step=embed seconds=\d+\.\d+ embeddings=\d+", step_lines)
        assert "step=resolve_night" in step_lines  # the night defaulted to the last day with data, and said so

        # outputs, store and artifacts agree
        out = night_setup["out"]
        con = duckdb.connect(str(out / "voc.duckdb"), read_only=True)
        try:
            last_day = con.execute("SELECT max(created_at)::DATE FROM feedback").fetchone()[0].isoformat()
            run_rows = con.execute("SELECT night, status, n_new FROM runs").fetchall()
            n_themes = con.execute("SELECT count(*) FROM themes WHERE status <> 'deleted'").fetchone()[0]
            n_alerts = con.execute("SELECT count(*) FROM alerts").fetchone()[0]
            n_records = con.execute("SELECT count(*) FROM feedback").fetchone()[0]
            new_theme_alerts = con.execute("SELECT count(*) FROM alerts WHERE kind = 'new_theme'").fetchone()[0]
        finally:
            con.close()
        assert last_day < pd.Timestamp.now().date().isoformat()  # the sample ends before today
        stamp = json.loads((out / "night.json").read_text())
        assert stamp["night"] == last_day and not (out / "STALE.json").exists()
        assert [(str(r[0]), r[1], r[2]) for r in run_rows] == [(last_day, "succeeded", n_records)]
        assert new_theme_alerts == 0  # a first night: every theme is new, none is news
        assert len(pd.read_parquet(out / "records.parquet")) == n_records
        artifacts = api.post("/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [manual["id"]]}}}).json()
        summary = next(a for a in artifacts if a["key"] == "voc-nightly-summary")["data"]
        assert f"- themes: {n_themes} " in summary and f"- alerts: {n_alerts}\n" in summary
        assert f"- new records: {n_records}\n" in summary and stamp["n_themes"] == n_themes

        # a broken source: Failed with the reason, not retried, recorded, outputs marked stale, webhook told
        broken = {
            "sources": [
                {"name": "broken", "path": str(night_setup["broken"]), "columns": {"text": "text_column_missing"}}
            ]
        }
        failed_run = api.post(
            f"/deployments/{dep['id']}/create_flow_run", json={"parameters": {"settings": broken}}
        ).json()
        state = clock.wait_for("the broken night to finish", lambda: finished(failed_run["id"]), every=2)
        assert state["type"] == "FAILED" and "text_column_missing" in state["message"], state
        ingest_runs = api.post(
            "/task_runs/filter",
            json={"flow_runs": {"id": {"any_": [failed_run["id"]]}}, "task_runs": {"name": {"like_": "ingest"}}},
        ).json()
        assert len(ingest_runs) == 1 and ingest_runs[0]["run_count"] == 1  # bad input is not retried
        notices = clock.wait_for(
            "the failure webhook", lambda: [b for b in night_setup["hook"].bodies if b.get("kind") == "run_failed"]
        )
        assert notices[0]["outputs_night"] == last_day and "text_column_missing" in notices[0]["text"]
        stale = json.loads((out / "STALE.json").read_text())
        assert stale["outputs_night"] == last_day and "text_column_missing" in stale["error"]
        assert 'id="voc-stale-banner"' in (out / "report.html").read_text(encoding="utf-8")
        assert json.loads((out / "night.json").read_text())["night"] == last_day  # yesterday's files kept
        con = duckdb.connect(str(out / "voc.duckdb"), read_only=True)
        try:
            statuses = sorted(r[0] for r in con.execute("SELECT status FROM runs").fetchall())
            assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == n_records  # nothing stored is lost
        finally:
            con.close()
        assert statuses == ["failed", "succeeded"]

        # stopping `voc serve` pauses the schedule
        assert stop(serve) == 0, (tmp_path / "serve.log").read_text()[-3000:]
        assert "was never awaited" not in (tmp_path / "serve.log").read_text()
        dep = api.get(f"/deployments/{dep['id']}").json()
        assert dep["paused"] or not dep["schedules"][0]["active"]
    finally:
        for process in reversed(started):
            stop(process)
        for handle in logs.values():
            handle.close()
