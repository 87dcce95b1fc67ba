"""Plotly figures of the report, each built from one plain table.

Every function takes a DataFrame and returns a :class:`plotly.graph_objects.Figure`, or ``None``
when the table holds nothing to draw, so the template can say "no data" instead of showing an
empty frame. Values are passed to Plotly as Python lists (not numpy arrays) so the figure JSON
holds plain arrays that any reader of the page, including the browser tests, can inspect.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from voc.metrics.periods import choose_period, period_start
from voc.report.time_axis import time_ticks

#: Colours shared with the stylesheet (``assets/report.css``).
NEGATIVE: Final = "#d1495b"
NEUTRAL: Final = "#9aa5b1"
POSITIVE: Final = "#2a9d8f"
ACCENT: Final = "#3454d1"
MUTED: Final = "#5f6b7a"
SERIES: Final[tuple[str, ...]] = ("#3454d1", "#e07a1f", "#2a9d8f", "#8e44ad", "#d1495b", "#5f6b7a", "#c9a227")

METRIC_LABELS: Final[dict[str, str]] = {
    "nps": "NPS (points)",
    "csat": "CSAT (% satisfied)",
    "ces": "CES (mean, 1–7)",
    "ces_easy": "CES (% easy)",
    "stars": "Stars (mean, 1–5)",
}

#: Scale of each metric: intervals are clipped to it, since a value outside cannot occur.
METRIC_BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "nps": (-100, 100),
    "csat": (0, 100),
    "ces_easy": (0, 100),
    "ces": (1, 7),
    "stars": (1, 5),
}

#: Dimension values that mark the overall (not per-segment) series of a metric.
OVERALL: Final[frozenset[str]] = frozenset({"all", "overall", "total", ""})

_FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _layout(**extra: object) -> dict[str, object]:
    """A light, shared look; a small explicit layout instead of a heavy built-in template."""
    base: dict[str, object] = {
        "template": None,
        "font": {"family": _FONT, "size": 12, "color": "#1f2933"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 48, "r": 16, "t": 36, "b": 40},
        "hoverlabel": {"font": {"family": _FONT}},
        "showlegend": False,
    }
    base.update(extra)
    return base


def _grid_axes(fig: go.Figure) -> None:
    fig.update_xaxes(showgrid=False, linecolor="#d5dbe3", ticks="outside", tickcolor="#d5dbe3")
    fig.update_yaxes(gridcolor="#eef1f5", zerolinecolor="#d5dbe3", linecolor="#d5dbe3")


def _safe(value: object) -> str:
    """Escape text Plotly shows: its labels understand a few HTML tags (``<b>``, ``<a>``), and
    theme labels come from customers' words, so tags must arrive as text. Plotly decodes the
    entities back for display."""
    return html.escape(str(value), quote=False).replace("%{", "%&#123;")


def _floats(values: pd.Series) -> list[float | None]:
    out = pd.to_numeric(values, errors="coerce").astype(float)
    return [None if np.isnan(v) else float(v) for v in out]


def overall_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """Rows of the overall series (dimension ``all``), sorted by metric and period."""
    if metrics is None or metrics.empty:
        return pd.DataFrame(columns=["metric", "period_start", "n", "value", "ci_low", "ci_high"])
    dim = metrics["dimension"].fillna("").astype(str).str.lower()
    out = metrics.loc[dim.isin(OVERALL)].copy()
    out["period_start"] = pd.to_datetime(out["period_start"], errors="coerce")
    return out.sort_values(["metric", "period_start"], kind="stable")


def metrics_trend_figure(metrics: pd.DataFrame) -> go.Figure | None:
    """NPS, CSAT and CES per period with confidence intervals, one small panel per metric.

    Panels, not one shared axis, because the scales differ (NPS -100..100, CES 1..7). Periods
    flagged ``small_sample`` are drawn hollow so nobody reads a trend into five answers.
    """
    overall = overall_metrics(metrics)
    overall = overall.loc[overall["period_start"].notna()]
    names = [m for m in METRIC_LABELS if m in set(overall["metric"])]
    names += sorted(set(overall["metric"]) - set(names))
    if not names:
        return None
    fig = make_subplots(
        rows=1, cols=len(names), subplot_titles=[METRIC_LABELS.get(m, m) for m in names], horizontal_spacing=0.07
    )
    small_any: dict[str, bool] = {}
    for col, name in enumerate(names, start=1):
        part = overall.loc[overall["metric"] == name]
        value = _floats(part["value"])
        low = _floats(part["ci_low"]) if "ci_low" in part else [None] * len(part)
        high = _floats(part["ci_high"]) if "ci_high" in part else [None] * len(part)
        small = (
            part["small_sample"].fillna(False).astype(bool).tolist() if "small_sample" in part else [False] * len(part)
        )
        small_any[name] = any(small)
        lo_b, hi_b = METRIC_BOUNDS.get(name, (-np.inf, np.inf))
        low = [None if x is None else max(x, lo_b) for x in low]
        high = [None if x is None else min(x, hi_b) for x in high]
        plus = [None if h is None or v is None else h - v for h, v in zip(high, value)]
        minus = [None if lo is None or v is None else v - lo for lo, v in zip(low, value)]
        fig.add_trace(
            go.Scatter(
                x=[d.strftime("%Y-%m-%d") for d in part["period_start"]],
                y=value,
                mode="lines+markers",
                name=METRIC_LABELS.get(name, name),
                line={"color": SERIES[(col - 1) % len(SERIES)], "width": 2},
                marker={
                    "size": 7,
                    "color": ["#ffffff" if s else SERIES[(col - 1) % len(SERIES)] for s in small],
                    "line": {"width": 2, "color": SERIES[(col - 1) % len(SERIES)]},
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": plus,
                    "arrayminus": minus,
                    "color": "#b8c2cc",
                    "thickness": 1.2,
                    "width": 3,
                },
                customdata=[
                    [int(n) if pd.notna(n) else 0, "small sample" if s else ""] for n, s in zip(part["n"], small)
                ],
                hovertemplate="%{x}<br>%{y:.1f} (n=%{customdata[0]}) %{customdata[1]}<extra></extra>",
            ),
            row=1,
            col=col,
        )
    fig.update_layout(**_layout(height=280, margin={"l": 40, "r": 16, "t": 40, "b": 40}))
    fig.update_annotations(font={"size": 13, "color": "#1f2933"})
    _grid_axes(fig)
    # Narrow panels: a few unrotated ticks read better than many slanted dates; each names its
    # year where the axis enters one, so seven years never read as seven "Jan 01".
    values, labels = time_ticks(overall["period_start"], max_ticks=4 if len(names) > 3 else 6)
    fig.update_xaxes(tickangle=0, tickmode="array", tickvals=values, ticktext=labels)
    if any(small_any.values()):
        fig.add_annotation(
            text=f"hollow points: fewer answers than the minimum sample ({_grain_words(overall)})",
            xref="paper",
            yref="paper",
            x=0,
            y=-0.2,
            showarrow=False,
            xanchor="left",
            font={"size": 11, "color": "#52606d"},
        )
    return fig


def _grain_words(overall: pd.DataFrame) -> str:
    """ "one point per month" from the series' ``period`` column, "one point per period" without it."""
    grains = overall["period"].dropna().astype(str).unique() if "period" in overall else []
    return f"one point per {grains[0]}" if len(grains) == 1 else "one point per period"


def records_over_time_figure(records: pd.DataFrame, *, by: str | None = None) -> go.Figure | None:
    """Records per day, stacked by ``by``; by default the source, or the record type when there
    is a single source (a one-colour stack says nothing)."""
    if records is None or records.empty or "created_at" not in records:
        return None
    if by is None:
        by = next(
            (c for c in ("source", "source_type", "channel") if c in records and records[c].nunique() > 1),
            "source" if "source" in records else None,
        )
    if by is None or by not in records:
        return None
    dates = pd.to_datetime(records["created_at"], errors="coerce")
    # one bar per day on a few weeks, per week, month or quarter on longer histories: never
    # thousands of one-record bars
    grain = choose_period(dates, min_n=1)
    frame = pd.DataFrame({"day": dates, "group": records[by].fillna("unknown").astype(str)})
    frame = frame.dropna(subset=["day"])
    if frame.empty:
        return None
    frame["day"] = period_start(frame["day"], grain)
    counts = frame.groupby(["day", "group"]).size().unstack(fill_value=0).sort_index()
    fig = go.Figure()
    order = counts.sum().sort_values(ascending=False).index
    for i, group in enumerate(order):
        fig.add_trace(
            go.Bar(
                x=[d.strftime("%Y-%m-%d") for d in counts.index],
                y=counts[group].astype(int).tolist(),
                name=_safe(group),
                marker={"color": SERIES[i % len(SERIES)]},
                hovertemplate=f"{grain} of %{{x}}<br>{_safe(group)}: %{{y}}<extra></extra>",
            )
        )
    fig.update_layout(
        **_layout(
            barmode="stack", height=260, showlegend=True, bargap=0.15, legend={"orientation": "h", "y": 1.12, "x": 0}
        )
    )
    _grid_axes(fig)
    values, labels = time_ticks(counts.index)
    fig.update_xaxes(tickangle=0, tickmode="array", tickvals=values, ticktext=labels)
    return fig


def _sentiment_colour(values: Sequence[float | None]) -> list[float]:
    return [0.0 if v is None else max(-1.0, min(1.0, v)) for v in values]


def theme_map_figure(themes: pd.DataFrame) -> go.Figure | None:
    """Intertopic map: themes at their 2-D position, sized by volume, coloured by sentiment.

    Needs ``x`` and ``y`` (e.g. a 2-D projection of theme centroids); close themes talk about
    close things.
    """
    if themes is None or themes.empty or not {"x", "y"} <= set(themes.columns):
        return None
    frame = themes.loc[
        pd.to_numeric(themes["x"], errors="coerce").notna() & pd.to_numeric(themes["y"], errors="coerce").notna()
    ]
    if frame.empty:
        return None
    volume = pd.to_numeric(frame.get("n_records", pd.Series(1, index=frame.index)), errors="coerce").fillna(1)
    size = (np.sqrt(volume.clip(lower=1)) / np.sqrt(max(volume.max(), 1)) * 46 + 8).round(1)
    sentiment = _floats(frame["mean_sentiment"]) if "mean_sentiment" in frame else [None] * len(frame)
    fig = go.Figure(
        go.Scatter(
            x=_floats(frame["x"]),
            y=_floats(frame["y"]),
            mode="markers+text",
            text=[_safe(v) for v in frame["label"]],
            textposition="top center",
            cliponaxis=False,
            textfont={"size": 11, "color": MUTED},
            customdata=[
                [int(t), int(v), "–" if s is None else f"{s:+.2f}"]
                for t, v, s in zip(frame["theme_id"], volume, sentiment)
            ],
            hovertemplate="<b>%{text}</b><br>theme %{customdata[0]}<br>%{customdata[1]} records"
            "<br>sentiment %{customdata[2]}<extra></extra>",
            marker={
                "size": size.tolist(),
                "color": _sentiment_colour(sentiment),
                "cmin": -1,
                "cmax": 1,
                "colorscale": [[0, NEGATIVE], [0.5, "#e6e9ee"], [1, POSITIVE]],
                "showscale": True,
                "colorbar": {"title": {"text": "sentiment"}, "thickness": 10, "len": 0.7},
                "line": {"width": 1, "color": "#ffffff"},
                "opacity": 0.9,
            },
        )
    )
    fig.update_layout(**_layout(height=460))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def theme_hierarchy_figure(themes: pd.DataFrame) -> go.Figure | None:
    """Treemap of parent themes and their children, sized by records.

    Drawn only when at least one theme has a parent; themes without one sit at the top level.
    """
    if themes is None or themes.empty or "parent_id" not in themes:
        return None
    parents = pd.to_numeric(themes["parent_id"], errors="coerce")
    if parents.notna().sum() == 0:
        return None
    known = set(pd.to_numeric(themes["theme_id"], errors="coerce").dropna().astype(int))
    # One explicit root: without it Plotly draws an implicit, dark one around everything.
    ids: list[str] = ["root"]
    labels: list[str] = ["All themes"]
    parent_of: list[str] = [""]
    values: list[int] = [0]
    # Parents that are not themes themselves still need a box to hang their children on.
    for pid, plabel in (
        themes.loc[parents.notna(), ["parent_id", "parent_label"]].drop_duplicates("parent_id").itertuples(index=False)
    ):
        if int(pid) not in known:
            ids.append(f"t{int(pid)}")
            labels.append(_safe(plabel) if pd.notna(plabel) else f"theme {int(pid)}")
            parent_of.append("root")
            values.append(0)
    volume = pd.to_numeric(themes.get("n_records", pd.Series(1, index=themes.index)), errors="coerce").fillna(0)
    for tid, label, pid, n in zip(themes["theme_id"], themes["label"], parents, volume):
        ids.append(f"t{int(tid)}")
        labels.append(_safe(label))
        parent_of.append("root" if pd.isna(pid) or int(pid) == int(tid) else f"t{int(pid)}")
        values.append(int(n))
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parent_of,
            values=values,
            branchvalues="remainder",
            hovertemplate="<b>%{label}</b><br>%{value} records<extra></extra>",
            marker={
                "colorscale": [[0, "#dfe6fa"], [1, ACCENT]],
                "colors": values,
                "line": {"color": "#ffffff", "width": 2},
            },
            root={"color": "#ffffff"},
            pathbar={"visible": False},
            tiling={"pad": 3},
            textfont={"family": _FONT, "size": 13},
        )
    )
    fig.update_layout(**_layout(height=420, margin={"l": 4, "r": 4, "t": 8, "b": 4}))
    return fig


_LEVEL_TITLES: Final[dict[str, str]] = {"area": "CX areas", "pillar": "CX pillars", "journey_stage": "Journey stages"}


def cx_scores_figure(cx_scores: pd.DataFrame) -> go.Figure | None:
    """CX areas, pillars (and journey stages) as a percentage each, one panel per level.

    Panels are stacked, not side by side, so long category names keep their room. A category
    with no rated mention has no bar and says "no data".
    """
    if cx_scores is None or cx_scores.empty:
        return None
    present = list(dict.fromkeys(cx_scores["level"].astype(str)))
    levels = [lv for lv in _LEVEL_TITLES if lv in present] + [lv for lv in present if lv not in _LEVEL_TITLES]
    counts = [int((cx_scores["level"] == lv).sum()) for lv in levels]
    height = 70 * len(levels) + 28 * sum(counts) + 40
    # About 64 px between panels for the x ticks of one and the title of the next.
    spacing = min(0.3, 64 / height) if len(levels) > 1 else 0.0
    fig = make_subplots(
        rows=len(levels),
        cols=1,
        row_heights=[max(c, 1) for c in counts],
        subplot_titles=[_LEVEL_TITLES.get(lv, lv.replace("_", " ").capitalize()) for lv in levels],
        vertical_spacing=spacing,
    )
    for row, level in enumerate(levels, start=1):
        part = cx_scores.loc[cx_scores["level"] == level].sort_values("score_pct", na_position="first")
        score = _floats(part["score_pct"])
        fig.add_trace(
            go.Bar(
                x=[0.0 if s is None else s for s in score],
                y=[_safe(n) for n in part["name"]],
                orientation="h",
                marker={
                    "color": [
                        NEUTRAL if s is None else (NEGATIVE if s < 50 else ("#e0a31f" if s < 70 else POSITIVE))
                        for s in score
                    ]
                },
                text=["no data" if s is None else f"{s:.0f} %" for s in score],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{text}<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_xaxes(range=[0, 110], row=row, col=1, ticksuffix=" %")
    fig.update_layout(**_layout(height=max(height, 220), bargap=0.25, margin={"l": 190, "r": 40, "t": 36, "b": 28}))
    fig.update_annotations(font={"size": 13}, x=0, xanchor="left")
    _grid_axes(fig)
    return fig


__all__ = [
    "METRIC_LABELS",
    "cx_scores_figure",
    "metrics_trend_figure",
    "overall_metrics",
    "records_over_time_figure",
    "theme_hierarchy_figure",
    "theme_map_figure",
]
