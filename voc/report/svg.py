"""Tiny inline SVG charts for places where a Plotly figure per item would be far too heavy.

A report can hold a hundred theme cards; one Plotly figure each would cost seconds of page load.
An SVG polyline costs a few hundred bytes and is built from numbers only, so it carries no
customer text and needs no escaping beyond the title, which is escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from markupsafe import Markup


def sparkline(
    values: Sequence[float], *, width: int = 120, height: int = 28, title: str = "", colour: str = "#3454d1"
) -> Markup:
    """Polyline of ``values`` (oldest first) with the last point marked.

    Parameters
    ----------
    values : sequence of float, shape (n_periods,)
        Counts per period; at least two points are needed for a line.
    width, height : int
        Size in CSS pixels.
    title : str
        Tooltip text (escaped).

    Returns
    -------
    Markup
        ``<svg>`` markup, or an empty string when fewer than two values are given.
    """
    points = [float(v) for v in values]
    if len(points) < 2:
        return Markup("")
    pad = 3.0
    low, high = min(points), max(points)
    span = high - low or 1.0
    step = (width - 2 * pad) / (len(points) - 1)
    coords = [(pad + i * step, height - pad - (v - low) / span * (height - 2 * pad)) for i, v in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    area = f"{coords[0][0]:.1f},{height - pad:.1f} {path} {coords[-1][0]:.1f},{height - pad:.1f}"
    last_x, last_y = coords[-1]
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>'
        f'<polygon points="{area}" fill="{colour}" fill-opacity="0.10" stroke="none"/>'
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6" '
        f'stroke-linejoin="round" stroke-linecap="round"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.4" fill="{colour}"/></svg>'
    )
