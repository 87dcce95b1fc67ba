"""The analyst's HTML report and the exported priority lists of one run.

Build a :class:`ReportContext` from the run's tables, then::

    write_report(ctx, out / "report.html")
    write_exports(ctx, out, sql_url=settings.export_sql_url, sql_table=settings.export_sql_table)
"""

from voc.report.context import ReportContext, check_context
from voc.report.exports import write_exports, write_sql
from voc.report.html import render_report, write_report
from voc.report.summary import summary_markdown

__all__ = [
    "ReportContext",
    "check_context",
    "render_report",
    "summary_markdown",
    "write_exports",
    "write_report",
    "write_sql",
]
