"""A failed night is recorded once, marks the previous night's files stale and reaches the webhook."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from voc.config import load_settings
from voc.pipeline.outcome import STALE_FILE, handle_failed_night, mark_fresh, mark_stale, read_night_stamp
from voc.store import Store

NIGHT = date(2026, 3, 1)


@pytest.fixture()
def webhook():
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()


def _previous_night(out):
    out.mkdir()
    (out / "report.html").write_text("<html><body class='x'><h1>Report</h1></body></html>", encoding="utf-8")
    mark_fresh(out, night=NIGHT, run_id="r1", counts={"n_themes": 3})


def test_stale_mark_names_both_nights_and_a_success_clears_it(tmp_path):
    out = tmp_path / "out"
    _previous_night(out)
    mark_stale(out, failed_night=NIGHT + timedelta(days=1), error="InputError: column 'text' not found")
    mark_stale(out, failed_night=NIGHT + timedelta(days=1), error="InputError: column 'text' not found")
    stale = json.loads((out / STALE_FILE).read_text())
    assert stale["outputs_night"] == "2026-03-01" and stale["failed_night"] == "2026-03-02"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count('id="voc-stale-banner"') == 1  # marking twice shows one banner
    assert report.index("voc-stale-banner") > report.index("<body") and "2026-03-01" in report
    mark_fresh(out, night=NIGHT + timedelta(days=2), run_id="r2")
    assert not (out / STALE_FILE).exists() and read_night_stamp(out)["night"] == "2026-03-03"


def test_failed_night_is_recorded_marked_and_sent(tmp_path, webhook):
    url, bodies = webhook
    out = tmp_path / "out"
    _previous_night(out)
    settings = load_settings(db_path=tmp_path / "voc.duckdb", out_dir=out, alerts={"webhook_url": url, "retries": 0})
    since = datetime.utcnow() - timedelta(seconds=1)
    done = handle_failed_night(
        settings, night=NIGHT + timedelta(days=1), out_dir=out, error="StoreLockedError: busy", since=since
    )
    assert done["notified"] is True and done["stale"]
    [body] = bodies
    assert body["kind"] == "run_failed" and body["outputs_night"] == "2026-03-01" and "busy" in body["text"]
    with Store(settings.db_path, read_only=True) as store:
        runs = store.query("SELECT run_id, night, status, summary FROM runs")
    assert runs["status"].tolist() == ["failed"] and runs["run_id"].iloc[0] == done["recorded"]
    assert "busy" in json.loads(runs["summary"].iloc[0])["error"]
    # the same failure heard again (a crash hook after a failure hook) adds no second row
    handle_failed_night(settings, night=NIGHT + timedelta(days=1), out_dir=out, error="again", since=since)
    with Store(settings.db_path, read_only=True) as store:
        assert len(store.query("SELECT * FROM runs")) == 1


def test_a_crashed_run_left_running_is_marked_failed(tmp_path):
    settings = load_settings(db_path=tmp_path / "voc.duckdb", out_dir=tmp_path / "out")
    since = datetime.utcnow() - timedelta(seconds=1)
    with Store(settings.db_path) as store:
        run_id = store.start_run(NIGHT)
    done = handle_failed_night(settings, night=NIGHT, out_dir=None, error="Crashed: SIGKILL", since=since)
    assert done["recorded"] == run_id and done["stale"] is None and done["notified"] is None
    with Store(settings.db_path, read_only=True) as store:
        assert store.query("SELECT status FROM runs")["status"].tolist() == ["failed"]
