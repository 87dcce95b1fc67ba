"""One story: the report, the exports and the store agree on every number, on real nights.

The nights are the pipeline's own (``tests/conftest.py``): the generated demo sample, the same texts
spread over seven years with survey scores, and a complaints file with only id, date and text.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from voc.report.consistency import check_consistency, read_report

pytestmark = pytest.mark.xdist_group("demo_run")

NIGHTS = ["demo_run", "long_history_run", "no_score_run"]


def _paths(result) -> tuple[Path, Path]:
    out = result.paths["report"].parent
    return out / "voc.duckdb", out


@pytest.mark.parametrize("night", NIGHTS)
def test_report_exports_and_store_agree(night, request):
    result = request.getfixturevalue(night)
    db, out = _paths(result)
    assert check_consistency(db, out, run_id=result.run_id) == []


@pytest.mark.parametrize("night", NIGHTS)
def test_every_ranked_theme_card_shows_the_priority_tables_counts(night, request):
    result = request.getfixturevalue(night)
    _, out = _paths(result)
    report = read_report(out / "report.html")
    priorities = pd.DataFrame(json.loads((out / "priorities.json").read_text(encoding="utf-8"))["priorities"])
    assert len(report.priority_rows) == len(priorities) > 0
    compared = 0
    for row in priorities.to_dict("records"):
        card = report.cards.get(int(row["theme_id"]))
        if card is None:
            continue
        compared += 1
        assert float(card["data-n-records"]) == row["n_records"]
        assert int(card["data-n-rated"]) == row["n_negative"] + row["n_neutral"] + row["n_positive"]
        assert int(card["data-n-negative"]) == row["n_negative"]
    assert compared >= min(len(priorities), 5)


def test_a_disagreement_is_found_and_named(demo_run, tmp_path):
    db, out = _paths(demo_run)
    copy = tmp_path / "out"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("voc.duckdb*"))
    csv = pd.read_csv(copy / "priorities.csv", encoding="utf-8-sig")
    theme = int(csv.loc[0, "theme_id"])
    csv.loc[0, "n_records"] += 1
    csv.to_csv(copy / "priorities.csv", index=False, encoding="utf-8-sig")
    html = (copy / "report.html").read_text(encoding="utf-8")
    second = int(csv.loc[1, "theme_id"])
    marker = f'data-theme="{second}" data-search='
    assert marker in html
    head, tail = html.split(marker, 1)
    tail = tail.replace('data-n-records="', 'data-n-records="9', 1)
    (copy / "report.html").write_text(head + marker + tail, encoding="utf-8")

    findings = check_consistency(db, copy, run_id=demo_run.run_id)
    assert any(f.startswith("priorities.csv") and f"theme {theme} n_records" in f for f in findings)
    assert any(f.startswith("report theme card") and f"theme {second}" in f for f in findings)


def test_rows_and_themes_add_up_in_the_report(demo_run):
    _, out = _paths(demo_run)
    report = read_report(out / "report.html")
    shown = {k: int(v.replace("\u202f", "")) for k, v in report.kpis.items() if v.replace("\u202f", "").isdigit()}
    assert shown["Rows read"] == shown["Rows kept"] + shown["Duplicates dropped"] + shown["Rows quarantined"]
    night = json.loads((out / "night.json").read_text(encoding="utf-8"))
    assert shown["Themes"] == night["n_themes"] == night["n_ranked_themes"] + night["n_context_themes"]
    assert int(report.changes["New themes"]) == night["n_themes"]  # a first night: every theme is new


def test_a_long_history_is_drawn_and_quoted_at_a_grain_with_enough_answers(long_history_run):
    _, out = _paths(long_history_run)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Records per day." not in html and ("Records per month." in html or "Records per quarter." in html)
    assert "(n=1)" not in html.split('id="priorities"')[0]  # no one-answer period in the headline


def test_a_file_without_scores_is_ranked_by_sentiment_and_shows_no_empty_money(no_score_run):
    _, out = _paths(no_score_run)
    priorities = pd.DataFrame(json.loads((out / "priorities.json").read_text(encoding="utf-8"))["priorities"])
    assert set(priorities["impact_metric"]) == {"sentiment"}
    assert priorities["impact"].notna().any()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Sentiment impact" in html
    for silent in ("Cost to serve", "Revenue at risk", "Money in", "No data in this run."):
        assert silent not in html, silent
