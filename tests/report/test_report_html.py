"""The HTML report: every section, escaping, self-containment and the "no data" paths."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from voc.report import ReportContext, render_report, write_report
from voc.report.html import script_json

SECTIONS = ("overview", "priorities", "themes", "unsaid", "alerts", "cx", "map", "quality", "method")
PLOTLY_HEADER = "* plotly.js v"


class _Collector(HTMLParser):
    """Tags, attributes and the raw text of every <script> element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    return parser


def _section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}"')
    return html[start : html.index("</section>", start)]


@pytest.fixture()
def html(rendered_full) -> str:
    return rendered_full


def test_every_section_renders_with_data(html):
    for name in SECTIONS:
        body = _section(html, name)
        # "Non-responders" is empty on purpose in the fixture; nothing else may say "no data".
        empties = re.findall(r'<p class="empty">([^<]*)</p>', body)
        assert empties == (["Nothing found tonight."] if name == "unsaid" else []), (name, empties)


def test_priority_rows_carry_sort_values_and_why(ctx, html):
    rows = re.findall(r'<tr data-theme="(-?\d+)"[^>]*data-n-records="([^"]+)"', html)
    assert [int(t) for t, _ in rows] == ctx.priorities.sort_values("rank")["theme_id"].tolist()
    assert [float(n) for _, n in rows] == ctx.priorities.sort_values("rank")["n_records"].astype(float).tolist()
    for why in ctx.priorities["why"]:
        assert why.split(" — ")[0] in html


def test_customer_text_is_escaped_everywhere(synthetic, html):
    for hostile in (synthetic.XSS_SCRIPT, synthetic.XSS_IMG, synthetic.XSS_CLOSE):
        assert hostile not in html
    assert "&lt;script&gt;window.__xss = 1;" in html
    assert "&lt;img src=x onerror=" in html
    parsed = _parse(html)
    assert not [a for t, a in parsed.tags if t == "img"]
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]
    # Script elements are exactly ours: Plotly, one JSON block per figure, the report script.
    kinds = [a.get("type") for a, _ in parsed.scripts]
    assert kinds.count(None) == 2
    assert all(k in (None, "application/json") for k in kinds)
    for attrs, text in parsed.scripts:
        if attrs.get("type") == "application/json":
            json.loads(text)


def test_hostile_theme_label_stays_inside_figure_json(ctx, synthetic):
    ctx.themes.loc[0, "label"] = synthetic.XSS_CLOSE
    html = render_report(ctx)
    parsed = _parse(html)
    figures = [json.loads(t) for a, t in parsed.scripts if a.get("type") == "application/json"]
    texts = [tr.get("text") for f in figures for tr in f["data"] if tr.get("text")]
    assert any("&lt;/script&gt;" in str(t) for t in texts)  # Plotly labels get the escaped text
    assert html.count("</script>") == len(parsed.scripts)


def test_plotly_is_inlined_once_and_nothing_is_fetched(html):
    assert html.count(PLOTLY_HEADER) == 1
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        for key in ("src", "href", "srcset", "action", "poster", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, key, value)
    outside = "".join(t for a, t in parsed.scripts if a.get("type") == "application/json")
    assert "http://" not in outside.replace("http://example.invalid", "") and "https://" not in outside
    assert "<link" not in html and "@import" not in html


def test_long_verbatims_are_collapsed(ctx, html):
    long = next(t for t in json.loads(ctx.themes.loc[0, "verbatims"]) if len(t["text"]) > 300)["text"]
    block = html[html.index("<details><summary>") :]
    assert long in block[: block.index("</details>")]


def test_quotes_link_to_their_record_rows(ctx, html):
    for item in json.loads(ctx.themes.loc[1, "verbatims"]):
        anchor = f"rec-1-{item['record_id']}"
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html


def test_minimal_context_says_no_data(minimal_ctx):
    html = render_report(minimal_ctx)
    assert PLOTLY_HEADER not in html  # no figure, so no 4 MB of JavaScript
    for name in ("cx", "map", "quality", "alerts"):
        assert '<p class="empty">' in _section(html, name), name
    assert "No survey scores in this run:" in html


def test_missing_required_column_names_it(ctx):
    with pytest.raises(ValueError, match=r"priorities lacks columns \['why'\]"):
        ReportContext(
            run=ctx.run, records=ctx.records, themes=ctx.themes, priorities=ctx.priorities.drop(columns=["why"])
        )


def test_write_report_is_utf8_and_complete(ctx, tmp_path):
    path = write_report(ctx, tmp_path / "sub" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "Довгі черги на лінії" in text and "Laskutusvirhe ja äöå" in text
    assert not list(path.parent.glob(".*.tmp"))


def test_sampled_records_are_flagged(ctx):
    ctx.run["records_sampled"] = True
    ctx.run["n_records"] = 10_000
    html = _section(render_report(ctx), "overview")
    assert "sample of 150 records" in html and "10\u202f000" in html


@pytest.mark.parametrize("text", ["</script><b>x</b>", "a\u2028b & <!-- c", '{"k": "<\\/"}'])
def test_script_json_round_trips_and_hides_tags(text):
    encoded = str(script_json(json.dumps({"v": text})))
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert json.loads(encoded) == {"v": text}


def test_metric_headline_shows_latest_period_and_change(ctx, html):
    m = ctx.metrics
    nps = m[(m["metric"] == "nps") & (m["dimension"] == "all")].sort_values("period_start")
    html = _section(html, "overview")
    latest, previous = nps["value"].iloc[-1], nps["value"].iloc[-2]
    block = html[html.index('data-metric="nps"') :]
    assert f"{latest:.1f}" in block[:400]
    assert f"{latest - previous:+.1f}".replace("-", "−") in block[:600]


def test_empty_optional_tables_with_columns_render(ctx):
    ctx.alerts = ctx.alerts.iloc[0:0]
    ctx.cx_scores = ctx.cx_scores.iloc[0:0]
    ctx.metrics = ctx.metrics.iloc[0:0]
    ctx.theme_volumes = pd.DataFrame()
    html = render_report(ctx)
    assert "No alerts in this run." in html and "not mapped to CX areas" in html


def test_messy_but_valid_inputs_render(ctx):
    """What other steps may hand over: nullable dtypes, dict keywords, gaps, unknown themes."""
    ctx.themes["keywords"] = [{"pl": ["paczka"]}, None, "not json", {}, {"de": ["preis"]}]
    ctx.themes["curated"] = pd.array([True, None, False, None, True], dtype="boolean")
    ctx.themes = ctx.themes.drop(columns=["status", "born_at", "x", "y"])
    ctx.priorities["n_records"] = ctx.priorities["n_records"].astype("Int64")
    ctx.priorities.loc[4, ["why", "mean_sentiment"]] = [None, np.nan]
    ctx.priorities.loc[3, "theme_id"] = 999  # ranked but missing from the themes table
    last = ctx.metrics["period_start"] == ctx.metrics["period_start"].max()
    ctx.metrics.loc[last, "small_sample"] = np.bool_(True)
    ctx.records.loc[::7, ["channel", "language", "created_at"]] = [None, None, pd.NaT]
    ctx.themes["centroid"] = [np.ones(4, dtype=np.float32) for _ in range(len(ctx.themes))]
    ctx.run = {"run_id": "r1", "night": "2026-10-24", "refit": False, "sentiment": {"head": "anchors"}}
    html = render_report(ctx)
    assert "Refit" in _section(html, "method") and "head: anchors" in _section(html, "method")
    assert "paczka" in html and "preis" in html
    overview = _section(html, "overview")
    # the small latest period is not the headline: the newest period with enough answers is
    nps = ctx.metrics[(ctx.metrics["metric"] == "nps") & (ctx.metrics["dimension"] == "all")]
    sufficient = nps.loc[~nps["small_sample"]].sort_values("period_start").iloc[-1]
    block = overview[overview.index('data-metric="nps"') :][:800]
    assert f"{sufficient['value']:.1f}" in block and "<b>small sample</b>" not in block
    assert sufficient["period_start"].strftime("%Y-%m-%d") in block
    assert 'data-theme="999"' in html
    assert ">nan<" not in html.lower() and "None" not in _section(html, "priorities")


def test_a_figure_that_fails_is_left_out_not_fatal(ctx, monkeypatch, caplog):
    from voc.report import figures

    def broken(_):
        raise ValueError("odd data")

    monkeypatch.setattr(figures, "theme_map_figure", broken)
    html = render_report(ctx)
    assert 'id="fig-theme-map"' not in html and 'id="fig-theme-hierarchy"' in html
    assert "theme_map could not be drawn" in caplog.text
