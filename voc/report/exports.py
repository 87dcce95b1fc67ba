"""Export the run's priority list for people and tools outside the report.

* ``priorities.csv``  UTF-8 with a byte-order mark, so Excel opens Polish, Finnish and Ukrainian
  letters correctly instead of guessing a code page.
* ``priorities.xlsx`` one sheet per view (priorities, themes, silent signals, alerts, about) with
  an autofilter, a frozen header and column widths fitted to the content.
* ``priorities.json`` the list with its run, documented by ``priorities.schema.json``.
* optionally a SQL table (any SQLAlchemy URL) holding the list of every run, one run replaced at
  a time so re-running a night does not duplicate it.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``)
are prefixed with an apostrophe in the CSV; in the XLSX they are written as plain strings.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from voc.metrics.drivers import IMPACT_DEFINITIONS
from voc.report import formatting as fmt
from voc.report.context import ALERT_COLUMNS, SIGNAL_NAMES, ReportContext, check_context
from voc.schemas import PRIORITY_COLUMNS

#: The JSON schema documenting ``priorities.json``.
SCHEMA_PATH: Final = Path(__file__).with_name("priorities.schema.json")
SCHEMA_VERSION: Final = "1.0"

#: Theme columns joined onto each priority row when the themes table has them.
THEME_CONTEXT_COLUMNS: Final[tuple[str, ...]] = ("parent_label", "area", "pillar", "journey_stage")

_INT_COLUMNS: Final = ("rank", "theme_id", "n_records", "n_customers")
_FORMULA_START: Final = re.compile(r"^[=+\-@\t\r]")
#: Excel number formats of known columns: values stay exact, only their display changes.
_NUMBER_FORMATS: Final = {
    "share": "0.0%",
    "negativity": "0.0%",
    "score_pct": "0.0",
    "priority_score": "0.000",
    "mean_sentiment": "+0.00;-0.00;0.00",
    "trend_pct": "+0.0;-0.0;0.0",
    "trend_p_value": "0.0000",
    "nps_impact": "+0.0;-0.0;0.0",
    "impact": "+0.00;-0.00;0.00",
    "churn_uplift": "0.00",
    "revenue_at_risk": "#,##0",
    "cost_to_serve": "#,##0",
    "taxonomy_confidence": "0.00",
    "p_value": "0.0000",
    "expected": "0.0",
}
_WIDE_COLUMNS: Final = {"why": 80, "message": 70, "verbatims": 90, "text": 70, "keywords": 60, "note": 90}


# --- frames ----------------------------------------------------------------------------------


def _theme_context(ctx: ReportContext) -> pd.DataFrame:
    cols = [c for c in THEME_CONTEXT_COLUMNS if c in ctx.themes]
    return ctx.themes.drop_duplicates("theme_id")[["theme_id", *cols]]


def priority_frame(ctx: ReportContext) -> pd.DataFrame:
    """The priority list as exported: run id and night, :data:`PRIORITY_COLUMNS`, theme context.

    Returns
    -------
    DataFrame
        Columns ``run_id``, ``night``, then :data:`voc.schemas.PRIORITY_COLUMNS` (missing ones
        filled with NaN), then :data:`THEME_CONTEXT_COLUMNS` present in ``ctx.themes``; sorted
        by rank.
    """
    pr = ctx.priorities.copy()
    for col in PRIORITY_COLUMNS:
        if col not in pr:
            pr[col] = np.nan
    pr = pr[list(PRIORITY_COLUMNS)].sort_values("rank", kind="stable")
    pr = pr.merge(_theme_context(ctx), on="theme_id", how="left")
    for col in _INT_COLUMNS:
        pr[col] = pd.to_numeric(pr[col], errors="coerce").astype("Int64")
    night = ctx.run.get("night")
    pr.insert(0, "night", pd.Timestamp(night).date() if not fmt.is_missing(night) else None)
    pr.insert(0, "run_id", ctx.run_id)
    return pr.reset_index(drop=True)


def _flat_keywords(raw: Any) -> str:
    data = raw if isinstance(raw, dict) else _loads(raw, {})
    if isinstance(data, list):
        data = {"": data}
    return "; ".join(f"{k}: {', '.join(map(str, v))}" if k else ", ".join(map(str, v)) for k, v in data.items())


def _flat_verbatims(raw: Any) -> str:
    items = raw if isinstance(raw, list) else _loads(raw, [])
    lines = []
    for v in items:
        if isinstance(v, dict):
            lines.append(f"[{v.get('language') or '?'}] {v.get('text', '')} ({v.get('record_id') or '-'})")
        else:
            lines.append(str(v))
    return "\n".join(lines)


def _loads(raw: Any, default: Any) -> Any:
    if fmt.is_missing(raw) or not str(raw).strip():
        return default
    try:
        return json.loads(str(raw))
    except ValueError:
        return default


def _array_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding vectors (e.g. theme centroids): machine data, not for a spreadsheet."""
    out = []
    for col in frame.columns:
        if frame[col].dtype == object:
            first = frame[col].dropna().head(1)
            if len(first) and isinstance(first.iloc[0], np.ndarray):
                out.append(col)
    return out


def theme_frame(ctx: ReportContext) -> pd.DataFrame:
    """Themes with keywords and verbatims flattened to readable text for a spreadsheet."""
    th = ctx.themes.drop(columns=_array_columns(ctx.themes))
    if "keywords" in th:
        th["keywords"] = th["keywords"].map(_flat_keywords)
    if "verbatims" in th:
        th["verbatims"] = th["verbatims"].map(_flat_verbatims)
    return th.drop(columns=[c for c in ("x", "y") if c in th])


def signal_frame(ctx: ReportContext) -> pd.DataFrame:
    """All "what customers don't say" tables stacked, each row tagged with its ``signal``."""
    parts = []
    names = list(SIGNAL_NAMES) + [n for n in ctx.signals if n not in SIGNAL_NAMES]
    for name in names:
        table = ctx.signals.get(name)
        if table is None or table.empty:
            continue
        parts.append(table.assign(signal=name)[["signal", *[c for c in table.columns if c != "signal"]]])
    if not parts:
        return pd.DataFrame({"signal": pd.Series(dtype="object")})
    return pd.concat(parts, ignore_index=True, sort=False)


#: What the list's counts mean (:mod:`voc.report.counts`), written beside them in the workbook.
COLUMN_DEFINITIONS: Final[dict[str, str]] = {
    "n_records": "records that mention the theme (at least one sentence assigned to it), up to the night",
    "n_customers": "unique customers among them; a record without a customer id counts as its own customer",
    "share": "n_records / records with a comment",
    "negativity": "n_negative / (n_negative + n_neutral + n_positive): the share of those mentions that are negative",
    "n_negative": "mentions with sentiment below -0.15 (n_neutral: -0.15 to +0.15, n_positive: above +0.15)",
}


def _about_frame(ctx: ReportContext) -> pd.DataFrame:
    rows = [("run_id", ctx.run_id), ("night", fmt.date(ctx.run.get("night")))]
    if not fmt.is_missing(ctx.run.get("finished_at")):
        rows.append(("finished_at", fmt.datetime(ctx.run.get("finished_at"))))
    rows += [(f"column: {k}", v) for k, v in COLUMN_DEFINITIONS.items()]
    metric = next((str(m) for m in ctx.priorities.get("impact_metric", pd.Series(dtype=object)).dropna()), None)
    if metric in IMPACT_DEFINITIONS:
        rows.append((f"column: impact ({metric})", IMPACT_DEFINITIONS[metric]))
    rows += [(f"signal: {k}", v) for k, v in ctx.signal_notes.items()]
    return pd.DataFrame(rows, columns=["item", "note"])


# --- csv -------------------------------------------------------------------------------------


def guard_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with ``= + - @`` (or a tab/CR) get a leading apostrophe.

    A verbatim such as ``=HYPERLINK(...)`` or ``-1 star, awful`` must stay text when an analyst
    opens the CSV in a spreadsheet (CSV injection). XLSX needs no prefix: its cells are written
    as typed strings (``strings_to_formulas`` off), which a spreadsheet never evaluates.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and _FORMULA_START.match(v) else v)
    return out


def write_csv(ctx: ReportContext, path: Path) -> Path:
    """``priorities.csv``: :func:`priority_frame` as UTF-8 with BOM."""
    path = Path(path)
    frame = priority_frame(ctx)
    floats = frame.select_dtypes("float").columns
    # Six decimals are plenty for a priority list and spare readers 0.30666666666666664.
    frame[floats] = frame[floats].round(6)
    guard_formulas(frame).to_csv(path, index=False, encoding="utf-8-sig")
    return path


# --- xlsx ------------------------------------------------------------------------------------


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel cannot hold time zones or Python containers; convert them, keep everything else."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif s.dtype == object:
            out[col] = s.map(
                lambda v: (
                    json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (dict, list, tuple, set)) else v
                )
            )
    return out


def _width(frame: pd.DataFrame, col: str) -> float:
    if col in _WIDE_COLUMNS:
        return _WIDE_COLUMNS[col]
    if pd.api.types.is_float_dtype(frame[col]):
        return float(max(len(str(col)) + 2, 12))
    sample = frame[col].head(200).map(lambda v: "" if fmt.is_missing(v) else str(v))
    longest = max([len(str(col)), *sample.map(len).tolist()]) if len(sample) else len(str(col))
    return float(min(max(longest + 2, 8), 50))


def _write_sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, fmts: dict[str, Any]) -> None:
    frame = _excel_ready(frame)
    frame.to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    for i, col in enumerate(frame.columns):
        sheet.write_string(0, i, str(col), fmts["header"])
        cell_format = fmts["wrap"] if col in _WIDE_COLUMNS else fmts.get(f"num:{col}")
        sheet.set_column(i, i, _width(frame, col), cell_format)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))


def write_xlsx(ctx: ReportContext, path: Path) -> Path:
    """``priorities.xlsx``: sheets priorities, themes, silent signals, alerts and about."""
    path = Path(path)
    alerts = (
        ctx.alerts if ctx.alerts is not None and len(ctx.alerts.columns) else pd.DataFrame(columns=list(ALERT_COLUMNS))
    )
    sheets = {
        "priorities": priority_frame(ctx),
        "themes": theme_frame(ctx),
        "silent signals": signal_frame(ctx),
        "alerts": alerts,
        "about": _about_frame(ctx),
    }
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    with pd.ExcelWriter(
        path,
        engine="xlsxwriter",
        datetime_format="yyyy-mm-dd hh:mm",
        date_format="yyyy-mm-dd",
        engine_kwargs={"options": options},
    ) as writer:
        book = writer.book
        fmts = {
            "header": book.add_format(
                {"bold": True, "bg_color": "#E8EDFB", "bottom": 1, "text_wrap": True, "valign": "top"}
            ),
            "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        } | {f"num:{col}": book.add_format({"num_format": f, "valign": "top"}) for col, f in _NUMBER_FORMATS.items()}
        for name, frame in sheets.items():
            _write_sheet(writer, name, frame, fmts)
    return path


# --- json ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: numpy scalars unwrapped, NaN/NaT -> None, times as ISO text."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if fmt.is_missing(value):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
        # Times in the pipeline are naive UTC; say so, as RFC 3339 requires an offset.
        return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def priority_records(ctx: ReportContext) -> list[dict[str, Any]]:
    """Rows of ``priorities.json`` (see ``priorities.schema.json``)."""
    themes = {r["theme_id"]: r for r in ctx.themes.drop_duplicates("theme_id").to_dict("records")}
    rows = []
    for r in priority_frame(ctx).drop(columns=["run_id", "night"]).to_dict("records"):
        row = {k: _plain(v) for k, v in r.items()}
        row["theme_label"] = "" if row["theme_label"] is None else str(row["theme_label"])
        row["why"] = "" if row["why"] is None else str(row["why"])
        theme = themes.get(r["theme_id"], {})
        keywords = (
            _loads(theme.get("keywords"), {}) if not isinstance(theme.get("keywords"), dict) else theme["keywords"]
        )
        if isinstance(keywords, dict) and keywords:
            row["keywords"] = {str(k): [str(w) for w in v] for k, v in keywords.items() if isinstance(v, list)}
        verbatims = (
            _loads(theme.get("verbatims"), []) if not isinstance(theme.get("verbatims"), list) else theme["verbatims"]
        )
        if verbatims:
            row["verbatims"] = [
                {
                    "record_id": None if fmt.is_missing(v.get("record_id")) else str(v.get("record_id")),
                    "language": v.get("language"),
                    "text": str(v.get("text", "")),
                }
                for v in verbatims
                if isinstance(v, dict)
            ]
        rows.append(row)
    return rows


def priorities_document(ctx: ReportContext) -> dict[str, Any]:
    """The whole ``priorities.json`` document as Python data."""
    run = {
        k: _plain(v)
        for k, v in ctx.run.items()
        if k in ("run_id", "night", "started_at", "finished_at", "n_new_records")
    }
    run["run_id"] = ctx.run_id
    if run.get("night"):
        run["night"] = str(run["night"])[:10]
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "currency": str((ctx.run.get("settings") or {}).get("currency", "EUR")),
        "run": run,
        "priorities": priority_records(ctx),
    }


def write_json(ctx: ReportContext, path: Path) -> Path:
    """``priorities.json``: :func:`priorities_document`, UTF-8, letters kept as they are."""
    path = Path(path)
    path.write_text(
        json.dumps(priorities_document(ctx), ensure_ascii=False, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return path


def load_schema() -> dict[str, Any]:
    """The JSON schema of ``priorities.json``."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# --- sql -------------------------------------------------------------------------------------


def _mask(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def write_sql(ctx: ReportContext, url: str, *, table: str = "voc_priorities") -> int:
    """Replace this run's rows of ``table`` with its priority list; other runs stay.

    The delete and the insert share one transaction, so a reader sees the old rows or the new
    ones, never none. The table is created on first use.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    RuntimeError
        Naming the (password-masked) URL and table when the database refuses the write.
    """
    import sqlalchemy as sa

    frame = priority_frame(ctx)
    frame["exported_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if sa.inspect(conn).has_table(table):
                target = sa.Table(table, sa.MetaData(), autoload_with=conn)
                if "run_id" not in target.c:
                    raise RuntimeError(
                        f"table {table!r} at {_mask(url)} has no run_id column; "
                        "name another table with export_sql_table"
                    )
                conn.execute(target.delete().where(target.c.run_id == ctx.run_id))
            frame.to_sql(table, conn, if_exists="append", index=False)
    except sa.exc.SQLAlchemyError as err:
        raise RuntimeError(f"could not write priorities to table {table!r} at {_mask(url)}: {err}") from err
    finally:
        engine.dispose()
    return len(frame)


# --- all -------------------------------------------------------------------------------------


def write_exports(
    ctx: ReportContext, out_dir: Path, *, sql_url: str | None = None, sql_table: str = "voc_priorities"
) -> dict[str, Path]:
    """Write ``priorities.csv``, ``priorities.xlsx`` and ``priorities.json`` into ``out_dir``.

    Parameters
    ----------
    ctx : ReportContext
    out_dir : Path
        Created when missing.
    sql_url : str, optional
        SQLAlchemy URL; when given the priority list also replaces this run's rows of
        ``sql_table`` (see :func:`write_sql`).
    sql_table : str

    Returns
    -------
    dict of str to Path
        Keys ``csv``, ``xlsx``, ``json``.
    """
    check_context(ctx)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": write_csv(ctx, out / "priorities.csv"),
        "xlsx": write_xlsx(ctx, out / "priorities.xlsx"),
        "json": write_json(ctx, out / "priorities.json"),
    }
    if sql_url:
        write_sql(ctx, sql_url, table=sql_table)
    return paths
