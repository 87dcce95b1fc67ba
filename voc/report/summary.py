"""A short markdown summary of a run, for a run log or an orchestrator's artifact page.

Plain text, no HTML: the places that show it render markdown, and customers' words never appear
in it (only theme labels, counts and reasons), so it is safe to show anywhere.
"""

from __future__ import annotations

from pathlib import Path

from voc.report import formatting as fmt
from voc.report.context import ReportContext
from voc.report.view_overview import headline_figures


def _cell(value: object) -> str:
    # Pipes and newlines would break the table; brackets and tags could become links or images.
    text = fmt.cell(value).replace("\n", " ")
    for char in "\\|[]<>`*_":
        text = text.replace(char, "\\" + char)
    return text


def summary_markdown(ctx: ReportContext, *, report_path: Path | str | None = None, top: int = 10) -> str:
    """Headline figures, the top priorities and the alerts of a run as markdown.

    Parameters
    ----------
    ctx : ReportContext
    report_path : path, optional
        Linked at the top when given.
    top : int
        Priority rows listed.
    """
    lines = [f"# Voice of the customer — night of {fmt.date(ctx.run.get('night'))}", ""]
    if report_path is not None:
        lines += [f"Report: `{Path(report_path)}`", ""]
    counts = ctx.run.get("theme_counts") or {}
    n_themes = counts.get("n_themes", len(ctx.themes))
    ranked = f" ({fmt.number(counts['n_ranked_themes'])} ranked)" if "n_ranked_themes" in counts else ""
    lines.append(
        f"- run `{ctx.run_id}`, {fmt.number(ctx.run.get('n_new_records'))} new records, "
        f"{fmt.number(n_themes)} themes{ranked}"
    )
    # the report's own headline figures: the same value, interval, n and period as its tiles
    for h in headline_figures(ctx.metrics):
        interval = f", 95 % interval {h['interval']}" if h["interval"] else ""
        small = ", small sample" if h["small"] else ""
        value = "too few answers" if h["withheld"] else h["value"]
        lines.append(f"- {h['label']}: {value} (n={h['n']}, {h['scope']}{interval}{small})")
    for key, value in ctx.changes.items():
        lines.append(f"- {fmt.humanize(key)}: {_cell(value)}")
    lines += ["", "## Fix first", ""]
    pr = ctx.priorities.sort_values("rank").head(top)
    if pr.empty:
        lines.append("No themes ranked.")
    else:
        lines += ["| # | Theme | Records | Why |", "|---:|---|---:|---|"]
        lines += [
            f"| {_cell(r['rank'])} | {_cell(r['theme_label'])} | {_cell(r.get('n_records'))} | {_cell(r['why'])} |"
            for r in pr.to_dict("records")
        ]
    lines += ["", "## Alerts", ""]
    if ctx.alerts is None or ctx.alerts.empty:
        lines.append("No alerts.")
    else:
        lines += [
            f"- **{_cell(r.get('kind'))}** {_cell(r.get('theme_label'))}: {_cell(r.get('message'))}"
            for r in ctx.alerts.to_dict("records")
        ]
    return "\n".join(lines) + "\n"
