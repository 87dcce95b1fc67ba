"""Do the report, the exports and the store tell one story? A night's outputs read back and compared.

Every count has one definition (:mod:`voc.report.counts`); this module reads each place a number
is shown and lists where they disagree, so a test (and a user, after a night) can prove they don't:

* per ranked theme: rank, records and negative share in ``priorities.csv``, ``priorities.xlsx``,
  ``priorities.json``, the store's ``priorities`` table, the report's priority table and its card
  (the card's sentiment split must add up to the same negative share);
* rows read = kept + duplicates dropped + quarantined, in the report and in the store's ``runs``;
* themes: the report's tile equals the live leaf themes in the store, and on a first night the new
  themes equal them (born - retired = active);
* the emerging-theme list names every theme a "new theme" alert names.

Usage::

    findings = check_consistency(db_path, out_dir)
    assert not findings, findings
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from voc.report import formatting as fmt
from voc.report.counts import LIVE_STATUSES


class _ReportReader(HTMLParser):
    """Collects the machine-readable attributes the report puts beside the numbers it shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.priority_rows: dict[int, dict[str, str]] = {}
        self.cards: dict[int, dict[str, str]] = {}
        self.kpis: dict[str, str] = {}
        self.changes: dict[str, str] = {}
        self.emerging: list[int] = []
        self.alerted_new: set[int] = set()
        self._in_priorities = False
        self._new_theme_alert = False
        self._in_emerging = False
        self._kpi: str | None = None
        self._kpi_value: list[str] | None = None
        self._change: str | None = None
        self._change_value: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "table" and a.get("id") == "priority-table":
            self._in_priorities = True
        elif tag == "tr" and self._in_priorities and "data-theme" in a:
            self.priority_rows[int(a["data-theme"])] = a
        elif tag == "article" and "theme" in classes and "data-theme" in a:
            self.cards[int(a["data-theme"])] = a
        elif tag == "ul" and "emerging" in classes:
            self._in_emerging = True
        elif tag == "a" and a.get("href", "").startswith("#theme-") and (self._in_emerging or self._new_theme_alert):
            theme = int(a["href"].removeprefix("#theme-"))
            if self._in_emerging:
                self.emerging.append(theme)
            else:
                self.alerted_new.add(theme)
            self._new_theme_alert = False
        elif tag == "tr":
            self._new_theme_alert = False
        elif tag == "span" and "alert-new_theme" in classes:
            self._new_theme_alert = True  # the theme link in this alert row follows
        elif tag == "div" and "data-kpi" in a:
            self._kpi, self._kpi_value = a["data-kpi"], None
        elif tag == "span" and self._kpi is not None and "kpi-value" in classes:
            self._kpi_value = []
        elif tag == "div" and "data-change" in a:
            self._change, self._change_value = a["data-change"], None
        elif tag == "dd" and self._change is not None:
            self._change_value = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_priorities = False
        elif tag == "ul":
            self._in_emerging = False
        elif tag == "span" and self._kpi is not None and self._kpi_value is not None:
            self.kpis[self._kpi] = "".join(self._kpi_value).strip()
            self._kpi, self._kpi_value = None, None
        elif tag == "dd" and self._change is not None and self._change_value is not None:
            self.changes[self._change] = "".join(self._change_value).strip()
            self._change, self._change_value = None, None

    def handle_data(self, data: str) -> None:
        if self._kpi_value is not None:
            self._kpi_value.append(data)
        if self._change_value is not None:
            self._change_value.append(data)


def read_report(path: Path) -> _ReportReader:
    """The report's priority rows, theme cards, tiles and changes (attributes as strings)."""
    reader = _ReportReader()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader


def _integer(text: str | None) -> int | None:
    """``"3 970"`` (thin spaces) or ``"191.0"`` -> int; None when not a number."""
    if text is None:
        return None
    digits = re.sub(r"[\s\u202f\u00a0,]", "", str(text))
    try:
        value = float(digits)
    except ValueError:
        return None
    return None if math.isnan(value) else int(round(value))


def _close(a: Any, b: Any, *, tol: float = 1e-6) -> bool:
    fa, fb = fmt.as_float(a), fmt.as_float(b)
    if fa is None or fb is None:
        return fa is None and fb is None
    return abs(fa - fb) <= tol


def _exports(out_dir: Path) -> dict[str, pd.DataFrame]:
    found: dict[str, pd.DataFrame] = {}
    if (out_dir / "priorities.json").exists():
        doc = json.loads((out_dir / "priorities.json").read_text(encoding="utf-8"))
        found["priorities.json"] = pd.DataFrame(doc.get("priorities", []))
    if (out_dir / "priorities.csv").exists():
        found["priorities.csv"] = pd.read_csv(out_dir / "priorities.csv", encoding="utf-8-sig")
    if (out_dir / "priorities.xlsx").exists():
        found["priorities.xlsx"] = pd.read_excel(out_dir / "priorities.xlsx", sheet_name="priorities")
    return found


def _compare_lists(reference: pd.DataFrame, other: pd.DataFrame, where: str) -> list[str]:
    """Rank, records and negativity per theme of ``other`` against the reference list."""
    findings: list[str] = []
    ref = reference.set_index("theme_id")
    oth = other.assign(theme_id=other["theme_id"].astype(int)).set_index("theme_id")
    if set(ref.index) != set(oth.index):
        findings.append(f"{where}: ranks {len(oth)} themes, the reference list {len(ref)}")
    for tid in ref.index.intersection(oth.index):
        for column in ("rank", "n_records", "negativity", "impact"):
            if column in ref and column in oth and not _close(ref.at[tid, column], oth.at[tid, column], tol=1e-4):
                findings.append(
                    f"{where}: theme {tid} {column} {oth.at[tid, column]!r} against {ref.at[tid, column]!r}"
                )
    return findings


def _check_report(report: _ReportReader, reference: pd.DataFrame) -> list[str]:
    findings: list[str] = []
    ref = reference.set_index("theme_id")
    if set(report.priority_rows) != set(ref.index):
        findings.append(f"report priority table: {len(report.priority_rows)} themes, the exports {len(ref)}")
    for tid, row in report.priority_rows.items():
        if tid not in ref.index:
            continue
        if _integer(row.get("data-n-records")) != _integer(str(ref.at[tid, "n_records"])):
            findings.append(
                f"report priority table: theme {tid} {row.get('data-n-records')} records, "
                f"exports {ref.at[tid, 'n_records']}"
            )
        if not _close(row.get("data-negativity"), ref.at[tid, "negativity"], tol=1e-4):
            findings.append(f"report priority table: theme {tid} negativity {row.get('data-negativity')}")
        card = report.cards.get(tid)
        if card is None:
            continue  # cards are capped; the capped ones are listed by name
        if _integer(card.get("data-n-records")) != _integer(str(ref.at[tid, "n_records"])):
            findings.append(
                f"report theme card: theme {tid} {card.get('data-n-records')} records, "
                f"priority table {ref.at[tid, 'n_records']}"
            )
        neg, rated = _integer(card.get("data-n-negative")), _integer(card.get("data-n-rated"))
        negativity = fmt.as_float(ref.at[tid, "negativity"])
        if neg is not None and rated and negativity is not None and abs(neg / rated - negativity) > 1e-4:
            findings.append(
                f"report theme card: theme {tid} {neg} of {rated} negative, priority table {negativity:.4f}"
            )
    return findings


def _store_frames(db_path: Path, run_id: str | None) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        runs = con.execute("SELECT * FROM runs ORDER BY started_at").df()
        run = runs.loc[runs["run_id"] == run_id] if run_id else runs.tail(1)
        row = run.iloc[-1].to_dict() if not run.empty else {}
        night = row.get("night")
        priorities = (
            con.execute("SELECT * FROM priorities WHERE night = ?", [night]).df() if night is not None else None
        )
        themes = con.execute("SELECT theme_id, kind, status, parent_id FROM themes").df()
        events = con.execute("SELECT run_id, event, theme_id FROM theme_events").df()
    finally:
        con.close()
    return {"run": row, "priorities": priorities, "themes": themes, "events": events, "n_runs": len(runs)}


def _check_store(store: dict[str, Any], reference: pd.DataFrame, report: _ReportReader | None) -> list[str]:
    findings: list[str] = []
    priorities = store["priorities"]
    if priorities is not None:
        findings += _compare_lists(reference, priorities, "store priorities")
    run = store["run"]
    summary = json.loads(run.get("summary") or "{}") if isinstance(run.get("summary"), str) else {}
    stats = summary.get("ingest") or summary.get("stats") or {}
    if report is not None:
        shown = {k: _integer(v) for k, v in report.kpis.items()}
        read, kept = shown.get("Rows read"), shown.get("Rows kept")
        dropped, quarantined = shown.get("Duplicates dropped"), shown.get("Rows quarantined")
        if None not in (read, kept, dropped, quarantined) and read != kept + dropped + quarantined:  # type: ignore[operator]
            findings.append(
                f"report: rows read {read} != kept {kept} + duplicates {dropped} + quarantined {quarantined}"
            )
        if (
            read is not None
            and run.get("n_read") is not None
            and not pd.isna(run["n_read"])
            and read != int(run["n_read"])
        ):
            findings.append(f"report: rows read {read}, store runs.n_read {run['n_read']}")
        if stats and read is not None and stats.get("rows_read") not in (None, read):
            findings.append(f"report: rows read {read}, run summary {stats.get('rows_read')}")
        themes = store["themes"]
        live_leaves = int((themes["status"].isin(LIVE_STATUSES) & (themes["kind"] != "parent")).sum())
        if "Themes" in shown and shown["Themes"] != live_leaves:
            findings.append(f"report: {shown['Themes']} themes, store {live_leaves} live leaf themes")
        events = store["events"]
        if store["n_runs"] == 1 and "New themes" in report.changes:
            leaf_ids = set(themes.loc[themes["kind"] != "parent", "theme_id"])
            born = events.loc[(events["event"] == "birth") & events["theme_id"].isin(leaf_ids)]
            retired = events.loc[(events["event"] == "retire") & events["theme_id"].isin(leaf_ids)]
            if _integer(report.changes["New themes"]) != len(born):
                findings.append(f"report: {report.changes['New themes']} new themes, store {len(born)} births")
            if len(born) - len(retired) != live_leaves:
                findings.append(f"store: {len(born)} born - {len(retired)} retired != {live_leaves} live themes")
    return findings


def check_consistency(db_path: Path | str, out_dir: Path | str, *, run_id: str | None = None) -> list[str]:
    """Every place a night's number is shown, compared; returns the disagreements (empty = one story).

    Parameters
    ----------
    db_path : path
        The DuckDB store the night wrote.
    out_dir : path
        The night's output folder (``report.html``, ``priorities.*``).
    run_id : str, optional
        The run to check in the store; the latest when omitted.
    """
    out = Path(out_dir)
    exports = _exports(out)
    if "priorities.json" not in exports:
        return [f"{out}: no priorities.json to compare against"]
    reference = exports["priorities.json"]
    findings: list[str] = []
    for name, frame in exports.items():
        if name != "priorities.json":
            findings += _compare_lists(reference, frame, name)
    report = read_report(out / "report.html") if (out / "report.html").exists() else None
    if report is not None and not reference.empty:
        findings += _check_report(report, reference.assign(theme_id=reference["theme_id"].astype(int)))
    if report is not None:
        missing = sorted(report.alerted_new - set(report.emerging))
        if missing:
            findings.append(f"report: new-theme alerts for themes {missing} missing from the emerging list")
    findings += _check_store(_store_frames(Path(db_path), run_id), reference, report)
    return findings


def summarise(findings: Iterable[str]) -> str:
    """One line per disagreement, or a sentence saying there is none."""
    lines = list(findings)
    return "\n".join(lines) if lines else "report, exports and store agree"
