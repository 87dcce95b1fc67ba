"""Webhook delivery against a local HTTP server: delivered, retried, logged, never raised."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
from impact_frames import NOW

from voc.impact import deliver_alerts


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.received, srv.statuses = [], []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _url(srv) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/hooks/secret-token"


ALERTS = pd.DataFrame(
    [
        {
            "kind": "spike",
            "theme_id": 1,
            "theme_label": "billing error",
            "segment": "smb",
            "observed": 25.0,
            "expected": 1.9,
            "p_value": 1e-9,
            "message": "Spike: 'billing error'",
            "created_at": pd.Timestamp(NOW),
        },
        {
            "kind": "new_theme",
            "theme_id": 2,
            "theme_label": "data breach",
            "segment": "(all)",
            "observed": 3.0,
            "expected": 0.0,
            "p_value": float("nan"),
            "message": "New theme",
            "created_at": pd.Timestamp(NOW),
        },
    ]
)


def test_delivers_json_bodies(server):
    assert deliver_alerts(ALERTS, webhook_url=_url(server)) == [True, True]
    first, second = server.received
    assert first["theme_label"] == "billing error" and first["text"] == "Spike: 'billing error'"
    assert first["created_at"].startswith("2024-06-30") and second["p_value"] is None


def test_failing_endpoint_is_retried_logged_and_reported(server, caplog):
    server.statuses = [503] * 10
    with caplog.at_level(logging.WARNING, logger="voc.impact.webhook"):
        ok = deliver_alerts(ALERTS.iloc[:1], webhook_url=_url(server), retries=2, timeout=2.0, backoff=0.01)
    assert ok == [False]
    assert len(server.received) == 3  # first try + 2 retries
    assert any("failed after 3 attempt" in r.message for r in caplog.records)
    assert not any("secret-token" in r.getMessage() for r in caplog.records)


def test_recovers_after_a_transient_failure(server):
    server.statuses = [500]
    assert deliver_alerts(ALERTS.iloc[:1], webhook_url=_url(server), retries=2, backoff=0.01) == [True]
    assert len(server.received) == 2


def test_client_errors_are_not_retried(server):
    server.statuses = [400]
    assert deliver_alerts(ALERTS.iloc[:1], webhook_url=_url(server), retries=3, backoff=0.01) == [False]
    assert len(server.received) == 1


def test_unreachable_and_invalid_urls_never_raise(caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    assert deliver_alerts(ALERTS, webhook_url=f"http://127.0.0.1:{port}/x", retries=1, timeout=0.5, backoff=0.01) == [
        False,
        False,
    ]
    assert deliver_alerts(ALERTS.iloc[:1], webhook_url="not a url", retries=1, backoff=0.01) == [False]
    assert deliver_alerts(ALERTS.iloc[:0], webhook_url="http://127.0.0.1:1/") == []
