"""Readers: every supported input as chunks of raw strings.

Each reader yields DataFrames of at most ``chunk_size`` rows whose values are ``str`` or ``None``
(typed values from Excel, Parquet, JSON or SQL are rendered as text, dates in ISO 8601) and whose
index is the 1-based row number in the input (header excluded; the line number for JSONL). Keeping
everything as text until :mod:`voc.ingest.mapping` means one set of parsing rules, and one set of
quarantine reasons, for every format. A reader always yields at least one (possibly empty) frame so
that a missing column is reported even for an empty export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from voc.config import SourceSettings
from voc.ingest.encoding import detect_encoding
from voc.ingest.errors import IngestError

log = logging.getLogger(__name__)

_NO_DELIMITER = "\x1f"

_SUFFIX_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}


def source_label(source: SourceSettings) -> str:
    """What ``source_file`` shows: the path, or the SQL URL with its password masked."""
    if source.path:
        return str(source.path)
    return mask_url(source.url or "")


def mask_url(url: str) -> str:
    """SQLAlchemy URL with the password replaced by ``***`` (it ends up in stored rows and logs)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL must still not leak what looks like a password
        return "<unparsable SQL URL>"


def resolve_format(source: SourceSettings) -> str:
    """The reader to use: ``source.format`` unless "auto", then SQL for url+query, else by suffix."""
    if source.format != "auto":
        return source.format
    if source.url and source.query and not source.path:
        return "sql"
    suffix = Path(source.path or "").suffix.lower()
    if suffix not in _SUFFIX_FORMATS:
        raise IngestError(
            f"cannot tell the format from the suffix '{suffix}'; set `format` to one of "
            f"csv, xlsx, json, jsonl, parquet", file=source_label(source)
        )
    return _SUFFIX_FORMATS[suffix]


def read_source(source: SourceSettings, *, chunk_size: int = 50_000) -> Iterator[pd.DataFrame]:
    """Yield ``source`` as chunks of raw strings indexed by 1-based row number.

    Raises
    ------
    IngestError
        Naming the file (or masked URL) when it is missing, unreadable or not what its format says.
    """
    fmt = resolve_format(source)
    label = source_label(source)
    if fmt != "sql":
        path = Path(source.path or "")
        if not path.is_file():
            raise IngestError("file not found", file=label)
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_json, "jsonl": _read_jsonl,
               "parquet": _read_parquet, "sql": _read_sql}
    try:
        yield from readers[fmt](source, chunk_size)
    except IngestError:
        raise
    except Exception as exc:  # any library error becomes one that names the input
        message = f"cannot read as {fmt}: {type(exc).__name__}: {exc}"
        if source.url:
            message = _scrub_password(message, source.url)
        raise IngestError(message, file=label) from exc


# --- raw-string rendering -------------------------------------------------------------------


def to_raw(value: Any) -> str | None:
    """One cell as text: None/NaN/NaT -> None, dates -> ISO 8601, whole floats without ".0"."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def to_raw_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``frame`` as object dtype holding ``str`` or ``None``; index kept."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        out[str(name)] = pd.Series([to_raw(v) for v in col.tolist()], index=frame.index, dtype=object)
    return pd.DataFrame(out, index=frame.index, columns=[str(c) for c in frame.columns])


def _frame(rows: list[list[Any]] | list[dict[str, Any]], columns: list[str], first_row: int | list[int]) -> pd.DataFrame:
    index = (pd.RangeIndex(first_row, first_row + len(rows), name="source_row")
             if isinstance(first_row, int) else pd.Index(first_row, name="source_row", dtype="int64"))
    if rows and isinstance(rows[0], dict):
        data = {c: [to_raw(r.get(c)) for r in rows] for c in columns}
    else:
        data = {c: [to_raw(r[i]) if i < len(r) else None for r in rows] for i, c in enumerate(columns)}
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()}, columns=columns).set_axis(index)


# --- encodings ----------------------------------------------------------------------------


def _open_text(source: SourceSettings) -> tuple[io.TextIOWrapper, str]:
    encoding = source.encoding or detect_encoding(source.path or "")
    return open(source.path or "", encoding=encoding, errors="strict", newline=""), encoding


# --- formats --------------------------------------------------------------------------------


def _read_csv(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    fh, encoding = _open_text(source)
    with fh:
        sample = fh.read(64_000)
        fh.seek(0)
        delimiter = _sniff_delimiter(sample, tab=Path(source.path or "").suffix.lower() == ".tsv")
        reader = pd.read_csv(
            fh, sep=delimiter, dtype=str, keep_default_na=False, na_filter=False,
            chunksize=chunk_size, skipinitialspace=False, on_bad_lines="error", engine="c",
        )
        first = 1
        yielded = False
        try:
            for chunk in reader:
                chunk.index = pd.RangeIndex(first, first + len(chunk), name="source_row")
                first += len(chunk)
                yielded = True
                yield to_raw_frame(chunk)
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"not valid {encoding} after the sampled lines ({exc.reason}); set `encoding`",
                file=source.path, row=first,
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise IngestError("the file is empty (no header row)", file=source.path) from exc
        if not yielded:
            header = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
            yield _frame([], list(header), 1)


def _sniff_delimiter(sample: str, *, tab: bool) -> str:
    """The delimiter that splits the header line most; a header with none means one column.

    Judged on the header alone because free-text answers are full of commas and semicolons
    that a whole-sample sniffer takes for delimiters.
    """
    if tab:
        return "\t"
    header = sample.splitlines()[0] if sample else ""
    splits = {d: len(next(csv.reader([header], delimiter=d), [])) - 1 for d in (",", ";", "\t", "|")}
    best = max(splits, key=lambda d: splits[d])
    # a single-column export: use a separator that never occurs in text so commas stay in it
    return best if splits[best] > 0 else _NO_DELIMITER


def _read_xlsx(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(source.path or "", read_only=True, data_only=True)
    try:
        sheet = _pick_sheet(book, source)
        rows = sheet.iter_rows(values_only=True)
        header: list[str] | None = None
        batch: list[list[Any]] = []
        first = 1
        row_no = 0
        for values in rows:
            if header is None:
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue  # leading blank rows above the header are common in hand-made sheets
                header = _header([to_raw(v) for v in values])
                continue
            row_no += 1
            batch.append(list(values))
            if len(batch) == chunk_size:
                yield _frame(batch, header, first)
                first, batch = row_no + 1, []
        if header is None:
            raise IngestError("the sheet is empty (no header row)", file=source.path)
        batch = _drop_trailing_blank(batch)
        if batch or first == 1:
            yield _frame(batch, header, first)
    finally:
        book.close()


def _pick_sheet(book: Any, source: SourceSettings) -> Any:
    if source.sheet is None:
        return book.worksheets[0]
    if isinstance(source.sheet, int):
        try:
            return book.worksheets[source.sheet]
        except IndexError:
            raise IngestError(f"no sheet number {source.sheet}; the workbook has {len(book.worksheets)}",
                              file=source.path) from None
    if source.sheet not in book.sheetnames:
        raise IngestError(f"no sheet '{source.sheet}'; sheets: {book.sheetnames}", file=source.path)
    return book[source.sheet]


def _header(values: list[str | None]) -> list[str]:
    names = [v.strip() if v and v.strip() else f"column_{i + 1}" for i, v in enumerate(values)]
    seen: dict[str, int] = {}
    out = []
    for name in names:  # duplicate headers would make columns ambiguous
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


def _drop_trailing_blank(batch: list[list[Any]]) -> list[list[Any]]:
    # openpyxl reports formatted-but-empty rows at the end of a sheet
    while batch and all(v is None or (isinstance(v, str) and not v.strip()) for v in batch[-1]):
        batch.pop()
    return batch


def _read_json(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    fh, _ = _open_text(source)
    with fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise IngestError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                              file=source.path) from exc
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise IngestError('expected a list of objects or {"records": [...]}', file=source.path)
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise IngestError(f"expected an object, found {type(item).__name__}", file=source.path, row=i + 1)
    columns = list(dict.fromkeys(k for item in data for k in item))
    for start in range(0, max(len(data), 1), chunk_size):
        yield _frame(data[start:start + chunk_size], columns, start + 1)


def _read_jsonl(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    fh, _ = _open_text(source)
    columns: dict[str, None] = {}
    batch: list[dict[str, Any]] = []
    lines: list[int] = []
    yielded = False
    with fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(f"invalid JSON: {exc.msg}", file=source.path, row=line_no) from exc
            if not isinstance(item, dict):
                raise IngestError(f"expected an object, found {type(item).__name__}", file=source.path, row=line_no)
            columns.update(dict.fromkeys(item))
            batch.append(item)
            lines.append(line_no)
            if len(batch) == chunk_size:
                yield _frame(batch, list(columns), lines)
                yielded, batch, lines = True, [], []
    if batch or not yielded:
        yield _frame(batch, list(columns), lines)


def _read_parquet(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(source.path or "")
    first = 1
    yielded = False
    for batch in file.iter_batches(batch_size=chunk_size):
        frame = batch.to_pandas()
        frame.index = pd.RangeIndex(first, first + len(frame), name="source_row")
        first += len(frame)
        yielded = True
        yield to_raw_frame(frame)
    if not yielded:
        yield _frame([], list(file.schema_arrow.names), 1)


def _read_sql(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    from sqlalchemy import create_engine, text

    if not (source.url and source.query):
        raise IngestError("a SQL source needs both `url` and `query`", file=source_label(source))
    engine = create_engine(source.url)
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(text(source.query))
            columns = _header([str(k) for k in result.keys()])
            first = 1
            yielded = False
            while rows := result.fetchmany(chunk_size):
                yield _frame([list(r) for r in rows], columns, first)
                first += len(rows)
                yielded = True
            if not yielded:
                yield _frame([], columns, 1)
    finally:
        engine.dispose()


def _scrub_password(message: str, url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:
        return message.replace(url, "<SQL URL>")
    return message.replace(str(password), "***") if password else message


