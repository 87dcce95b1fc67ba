"""Render the self-contained HTML report of one run.

One file, no external requests: the stylesheet, the script and Plotly's JavaScript are inlined
(Plotly once, however many figures there are), so the report opens offline and can be mailed.
Customers' text reaches the page only through Jinja2's autoescape or through JSON whose ``<``,
``>`` and ``&`` are written as ``\\u003c``-style escapes, so a verbatim holding ``</script>`` or
an ``onerror=`` attribute stays text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup

from voc.report import figures
from voc.report.context import ReportContext, check_context
from voc.report.view import build_view

_HERE: Final = Path(__file__).parent
log = logging.getLogger(__name__)

#: Characters that could end a <script> element or start an HTML comment/entity inside JSON.
_JSON_ESCAPES: Final[dict[str, str]] = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(text: str) -> Markup:
    """JSON text made safe to sit inside ``<script type="application/json">``.

    JSON never holds ``<``, ``>`` or ``&`` outside strings, and inside strings the ``\\uXXXX``
    form decodes to the same character, so the data are unchanged while the HTML parser can no
    longer see a closing tag.
    """
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return Markup(text)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@cache
def _asset(name: str) -> Markup:
    text = (_HERE / "assets" / name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"asset {name} must not contain a closing script/style tag")
    return Markup(text)


@lru_cache(maxsize=1)
def _plotly_js() -> Markup:
    from plotly.offline import get_plotlyjs

    text = get_plotlyjs()
    # The bundle holds no closing tag today; guard anyway, since it is inlined verbatim.
    return Markup(text.replace("</script", "<\\/script"))


def _build(name: str, func: Callable[[Any], go.Figure | None], data: Any) -> go.Figure | None:
    # A chart that cannot be drawn from odd data must not cost the analyst the whole report.
    try:
        return func(data)
    except Exception:
        log.warning("report figure %s could not be drawn", name, exc_info=True)
        return None


def _figures(ctx: ReportContext) -> dict[str, dict[str, Any]]:
    built = {
        "metrics_trend": _build("metrics_trend", figures.metrics_trend_figure, ctx.metrics),
        "records_over_time": _build("records_over_time", figures.records_over_time_figure, ctx.records),
        "theme_map": _build("theme_map", figures.theme_map_figure, ctx.themes),
        "theme_hierarchy": _build("theme_hierarchy", figures.theme_hierarchy_figure, ctx.themes),
        "cx_scores": _build("cx_scores", figures.cx_scores_figure, ctx.cx_scores),
    }
    return {
        name: {"id": f"fig-{name.replace('_', '-')}", "json": script_json(fig.to_json())}
        for name, fig in built.items()
        if fig is not None
    }


def _version() -> str:
    try:
        return version("voc")
    except PackageNotFoundError:
        return "dev"


def render_report(ctx: ReportContext) -> str:
    """The report of one run as HTML text.

    Parameters
    ----------
    ctx : ReportContext
        The run's tables; only ``run``, ``records``, ``themes`` and ``priorities`` are required.

    Returns
    -------
    str
        A complete HTML document with no external references.
    """
    check_context(ctx)
    view = build_view(ctx)
    figs = _figures(ctx)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            **view,
            figures=figs,
            plotly_js=_plotly_js() if figs else Markup(""),
            css=_asset("report.css"),
            js=_asset("report.js"),
            voc_version=_version(),
        )
    )


def write_report(ctx: ReportContext, path: Path) -> Path:
    """Render and write the report to ``path`` (UTF-8), creating parent folders.

    The file is written next to its target and moved into place, so a reader never opens half a
    report.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_report(ctx), encoding="utf-8")
    tmp.replace(path)
    return path
