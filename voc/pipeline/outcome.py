"""What a night leaves behind when it ends: a stamp of the night on success, a stale mark on failure.

Why: the output folder is what analysts open each morning. After a failed night its files are still
yesterday's, and nothing in them says so. A successful night writes ``night.json`` (which night the
files describe); a failed night writes ``STALE.json`` beside them, puts a banner on ``report.html``,
records the failure in the store's ``runs`` table and sends it to the configured webhook. The next
successful night rewrites the files and removes the mark. Orchestrators (the Prefect flow's failure
hooks, the CLI's plain engine) call :func:`handle_failed_night`; it never raises, since it runs
while another error is already being reported.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NIGHT_FILE = "night.json"
STALE_FILE = "STALE.json"
BANNER_ID = "voc-stale-banner"
_BANNER_RE = re.compile(rf'<div id="{BANNER_ID}".*?</div>\n?', re.S)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def read_night_stamp(out_dir: Path) -> dict[str, Any] | None:
    """The ``night.json`` of the last successful night written into ``out_dir`` (None if none)."""
    path = Path(out_dir) / NIGHT_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def mark_fresh(out_dir: Path, *, night: date, run_id: str, counts: dict[str, Any] | None = None) -> Path:
    """Stamp ``out_dir`` with the night its files describe and remove any stale mark."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = {
        "night": night.isoformat(),
        "run_id": run_id,
        "finished_at": _utcnow().isoformat(timespec="seconds"),
        **(counts or {}),
    }
    path = out_dir / NIGHT_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
    (out_dir / STALE_FILE).unlink(missing_ok=True)
    return path


def mark_stale(out_dir: Path, *, failed_night: date | None, error: str) -> Path | None:
    """Mark the files in ``out_dir`` as left over from an earlier night (None if there are none)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return None
    previous = read_night_stamp(out_dir)
    mark = {
        "stale": True,
        "outputs_night": previous.get("night") if previous else None,
        "failed_night": failed_night.isoformat() if failed_night else None,
        "failed_at": _utcnow().isoformat(timespec="seconds"),
        "error": error,
    }
    path = out_dir / STALE_FILE
    path.write_text(json.dumps(mark, indent=2), encoding="utf-8")
    report = out_dir / "report.html"
    if report.exists():
        _put_banner(report, _stale_sentence(mark))
    return path


def _stale_sentence(mark: dict[str, Any]) -> str:
    of = f"the night of {mark['outputs_night']}" if mark["outputs_night"] else "an earlier night"
    failed = f"the night of {mark['failed_night']}" if mark["failed_night"] else "the latest night"
    return f"Stale: this report shows {of}; {failed} failed: {mark['error']}"


def _put_banner(report: Path, sentence: str) -> None:
    """A visible banner at the top of the report (replacing an earlier one)."""
    text = _BANNER_RE.sub("", report.read_text(encoding="utf-8"))
    banner = (
        f'<div id="{BANNER_ID}" role="alert" style="background:#b00020;color:#fff;padding:12px 16px;'
        f'font:600 15px system-ui,sans-serif">{html.escape(sentence)}</div>\n'
    )
    match = re.search(r"<body[^>]*>", text)
    at = match.end() if match else 0
    report.write_text(text[:at] + "\n" + banner + text[at:], encoding="utf-8")


def failure_payload(
    *, night: date | None, error: str, stale: dict[str, Any] | None, run_url: str | None
) -> dict[str, Any]:
    """The webhook body of a failed night (``text`` for chat apps, the fields for machines)."""
    when = night.isoformat() if night else "the latest night"
    outputs = stale.get("outputs_night") if stale else None
    text = f"voc nightly run for {when} failed: {error}"
    if outputs:
        text += f" (the outputs still show {outputs})"
    return {
        "kind": "run_failed",
        "night": night.isoformat() if night else None,
        "error": error,
        "outputs_night": outputs,
        "outputs_stale": bool(stale),
        "run_url": run_url,
        "text": text,
    }


def handle_failed_night(
    settings: Any,
    *,
    night: date | None,
    out_dir: Path | None,
    error: str,
    since: datetime | None = None,
    run_url: str | None = None,
) -> dict[str, Any]:
    """Record, mark and announce a failed night; each part is tried even when another fails.

    ``since`` (naive UTC) is when the failed attempt started: a run the pipeline itself already
    marked failed after it is not recorded twice. Returns what was done, for logs and tests.
    """
    done: dict[str, Any] = {"recorded": None, "stale": None, "notified": None}
    try:
        from voc.store import Store

        with Store(settings.db_path) as store:
            done["recorded"] = store.record_failed_run(night or date.today(), error, since=since)
    except Exception as exc:  # a locked or broken store: the failure is still marked and announced
        log.error("step=record_failure status=failed reason=%r", f"{type(exc).__name__}: {exc}")
    stale_path = None
    try:
        stale_path = mark_stale(Path(out_dir or settings.out_dir), failed_night=night, error=error)
    except Exception as exc:
        log.error("step=mark_stale status=failed reason=%r", f"{type(exc).__name__}: {exc}")
    stale = json.loads(stale_path.read_text(encoding="utf-8")) if stale_path else None
    done["stale"] = str(stale_path) if stale_path else None
    url = settings.alerts.webhook_url
    if url and settings.alerts.notify_failures:
        from voc.impact.webhook import deliver_payload

        done["notified"] = deliver_payload(
            failure_payload(night=night, error=error, stale=stale, run_url=run_url),
            webhook_url=url,
            retries=settings.alerts.retries,
        )
    log.info(
        "step=failure_handled recorded=%s stale=%s notified=%s", done["recorded"], bool(stale_path), done["notified"]
    )
    return done
