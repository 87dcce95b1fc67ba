"""Deliver alerts to a webhook: one JSON POST per alert, retried with backoff, never fatal.

The body is the alert's fields plus ``text`` (the message), which chat apps such as Slack or
Teams incoming webhooks display as is. A delivery that still fails after the retries is logged and
reported as ``False``; the nightly run carries on.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: Status codes worth retrying: the server may recover (rate limit, overload, restart).
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def alert_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe body for one alert (timestamps as ISO strings, NaN as null, numpy as Python)."""
    body: dict[str, Any] = {}
    for key, value in alert.items():
        if isinstance(value, (pd.Timestamp, np.datetime64)):
            value = pd.Timestamp(value).isoformat()
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and np.isnan(value):
            value = None
        body[key] = value
    body["text"] = body.get("message")
    return body


def deliver_alerts(
    alerts: pd.DataFrame,
    *,
    webhook_url: str,
    retries: int = 3,
    timeout: float = 5.0,
    backoff: float = 0.5,
) -> list[bool]:
    """POST each alert as JSON to ``webhook_url``.

    Parameters
    ----------
    alerts : DataFrame
        Rows from :func:`voc.impact.alerts.detect_alerts`.
    retries : int
        Extra attempts after the first for connection errors, timeouts and retryable statuses.
    timeout : float
        Seconds per attempt.
    backoff : float
        First wait between attempts in seconds; doubled after each failure.

    Returns
    -------
    list of bool, one per alert: True when the endpoint answered 2xx.
    """
    results: list[bool] = []
    if alerts is None or alerts.empty:
        return results
    try:
        client = httpx.Client(timeout=timeout)
    except Exception:  # a bad proxy setting must not stop the night either
        log.exception("could not create an HTTP client for alert delivery")
        return [False] * len(alerts)
    with client:
        for alert in alerts.to_dict(orient="records"):
            results.append(_post(client, webhook_url, alert_payload(alert), retries=retries, backoff=backoff))
    return results


def deliver_payload(
    body: dict[str, Any], *, webhook_url: str, retries: int = 3, timeout: float = 5.0, backoff: float = 0.5
) -> bool:
    """POST one JSON body (a failed night's notice) with the same retries as alerts; never raises."""
    try:
        client = httpx.Client(timeout=timeout)
    except Exception:
        log.exception("could not create an HTTP client for webhook delivery")
        return False
    with client:
        return _post(client, webhook_url, body, retries=retries, backoff=backoff)


def _post(client: httpx.Client, url: str, body: dict[str, Any], *, retries: int, backoff: float) -> bool:
    """One alert with retries; True on 2xx, False after the last failed attempt (logged)."""
    content = json.dumps(body, ensure_ascii=False, default=str)
    wait = backoff
    for attempt in range(1, retries + 2):
        try:
            response = client.post(url, content=content, headers={"Content-Type": "application/json"})
            if response.is_success:
                return True
            reason = f"HTTP {response.status_code}"
            retry = response.status_code in RETRY_STATUS
        except Exception as exc:  # connection refused, timeout, bad URL: all logged, none raised
            reason, retry = (
                f"{type(exc).__name__}: {exc}",
                not isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)),
            )
        if not retry or attempt > retries:
            log.error("alert delivery to %s failed after %d attempt(s): %s", _mask(url), attempt, reason)
            return False
        log.warning(
            "alert delivery to %s failed (attempt %d, %s); retrying in %.1f s", _mask(url), attempt, reason, wait
        )
        time.sleep(wait)
        wait *= 2
    return False


def _mask(url: str) -> str:
    """Webhook URLs often embed a secret token in the path; log only scheme and host."""
    try:
        parsed = httpx.URL(url)
        return f"{parsed.scheme}://{parsed.host}{':' + str(parsed.port) if parsed.port else ''}/..."
    except Exception:
        return "<invalid url>"
