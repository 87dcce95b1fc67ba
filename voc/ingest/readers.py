"""Readers: every supported input as chunks of raw strings.

Each reader yields DataFrames of at most ``chunk_size`` rows whose values are ``str`` or ``None``
(typed values from Excel, Parquet, JSON or SQL are rendered as text, dates in ISO 8601) and whose
index is the 1-based row number in the input (header excluded; the line number for JSONL). Keeping
everything as text until :mod:`voc.ingest.mapping` means one set of parsing rules, and one set of
quarantine reasons, for every format. A reader always yields at least one (possibly empty) frame so
that a missing column is reported even for an empty export.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import json
import logging
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.config import SourceSettings
from voc.ingest.encoding import detect_encoding
from voc.ingest.errors import IngestError

log = logging.getLogger(__name__)

# free-text answers can be long (a pasted e-mail thread); the csv module's default limit is 128 KiB
csv.field_size_limit(2**31 - 1)

_NO_DELIMITER = "\x1f"

_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
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
    path = Path(source.path or "")
    if path.is_dir():
        raise IngestError("is a folder, not a file; list the files in it as separate inputs", file=source_label(source))
    sniffed = _sniff_binary_format(path)
    suffix = path.suffix.lower()
    if sniffed and _SUFFIX_FORMATS.get(suffix) != sniffed:
        log.warning("format taken from the content, not the suffix", extra={"file": str(path), "format": sniffed})
        return sniffed
    if suffix not in _SUFFIX_FORMATS:
        raise IngestError(
            f"cannot tell the format from the suffix '{suffix}'; set `format` to one of "
            f"csv, xlsx, json, jsonl, parquet",
            file=source_label(source),
        )
    return _SUFFIX_FORMATS[suffix]


def _sniff_binary_format(path: Path) -> str | None:
    """xlsx or parquet when the file's first bytes say so (a workbook renamed ``.csv``), else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return None
    if head == b"PK\x03\x04":
        return "xlsx"
    if head == b"PAR1":
        return "parquet"
    return None


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
    readers = {
        "csv": _read_csv,
        "xlsx": _read_xlsx,
        "json": _read_json,
        "jsonl": _read_jsonl,
        "parquet": _read_parquet,
        "sql": _read_sql,
    }
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


def _frame(
    rows: list[list[Any]] | list[dict[str, Any]], columns: list[str], first_row: int | list[int]
) -> pd.DataFrame:
    index = (
        pd.RangeIndex(first_row, first_row + len(rows), name="source_row")
        if isinstance(first_row, int)
        else pd.Index(first_row, name="source_row", dtype="int64")
    )
    if rows and isinstance(rows[0], dict):
        data = {c: [to_raw(r.get(c)) for r in rows] for c in columns}
    else:
        data = {c: [to_raw(r[i]) if i < len(r) else None for r in rows] for i, c in enumerate(columns)}
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()}, columns=columns).set_axis(index)


# --- encodings ----------------------------------------------------------------------------


def _open_text(source: SourceSettings) -> tuple[io.TextIOWrapper, str]:
    # surrogateescape: a stray byte invalid in the encoding spoils its own row (quarantined by
    # the reader), not the whole file
    encoding = source.encoding or detect_encoding(source.path or "")
    return open(source.path or "", encoding=encoding, errors="surrogateescape", newline=""), encoding


_BAD_BYTES = re.compile("[\udc80-\udcff]")


def has_bad_bytes(text: str) -> bool:
    """True when ``text`` holds bytes that were not valid in the file's encoding (surrogate escapes)."""
    return _BAD_BYTES.search(text) is not None


def _bad_bytes_reason(encoding: str) -> str:
    return (
        f"bytes not valid in {encoding} (a corrupted or mixed-encoding line); "
        "set `encoding` if the whole file is affected"
    )


# --- formats --------------------------------------------------------------------------------


class _LineFeed:
    """Physical lines for :func:`csv.reader`, remembering those of the current record.

    Lines swallowed by a broken quote are pushed back and parsed again as rows of their own.
    """

    def __init__(self, fh: Any):
        self._fh = fh
        self._back: collections.deque[str] = collections.deque()
        self.taken: list[str] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = self._back.popleft() if self._back else next(self._fh)
        self.taken.append(line)
        return line

    def push_back(self, lines: list[str]) -> None:
        self._back.extendleft(reversed(lines))


def _csv_records(
    fh: Any, delimiter: str, width: Callable[[], int | None], *, literal_quotes: bool = False
) -> Iterator[tuple[list[str] | None, str | None, str]]:
    """(values, problem, raw text) per CSV record; a broken record gives (None, reason, its first line).

    A record is broken when it spans several lines and its quotes do not pair up or it has the
    wrong number of fields: an unclosed quote swallowed the lines after it. Its first line goes
    to quarantine and the swallowed lines are read again, so one stray quote costs one row; when
    that first line alone has the header's number of fields, its quote is taken literally and the
    row is kept. ``literal_quotes`` reads every quote as text (exports that never quote).
    """
    feed = _LineFeed(fh)
    quoting = csv.QUOTE_NONE if literal_quotes else csv.QUOTE_MINIMAL
    reader = csv.reader(feed, delimiter=delimiter, strict=False, quoting=quoting)
    while True:
        feed.taken = []
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            lines, reader = feed.taken, csv.reader(feed, delimiter=delimiter, strict=False, quoting=quoting)
            if len(lines) > 1:
                feed.push_back(lines[1:])
            yield None, f"unreadable CSV line ({exc})", lines[0] if lines else ""
            continue
        lines = list(feed.taken)
        expected = width()
        if (
            len(lines) > 1
            and expected is not None
            and (sum(line.count('"') for line in lines) % 2 == 1 or len(values) != expected)
        ):
            feed.push_back(lines[1:])
            alone = _unquoted_fields(lines[0], delimiter)
            if len(alone) == expected:
                yield alone, None, lines[0]
            else:
                yield None, "unclosed quote: the row ends inside a quoted field", lines[0]
            continue
        yield values, None, "".join(lines)


def _unquoted_fields(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])


def _uses_literal_quotes(sample: str, delimiter: str) -> bool:
    """True for an export that never quotes: quotes are part of the text.

    Seen in TSV dumps of forum and social-media text: every line has the header's number of
    fields when quotes are ignored, yet some line holds an odd number of them. Read as CSV
    quoting, such a quote would swallow the lines after it into one field.
    """
    lines = [line for line in sample.splitlines()[:-1] if line.strip()]  # the last may be cut off
    if len(lines) < 3 or '"' not in sample:
        return False
    width = len(_unquoted_fields(lines[0], delimiter))
    if width < 2 or not any(line.count('"') % 2 for line in lines[1:]):
        return False
    if not all(len(_unquoted_fields(line, delimiter)) == width for line in lines):
        return False
    # and read with quoting, the quotes break records (a real multi-line quoted comment does not)
    feed = _LineFeed(iter([line + "\n" for line in lines]))
    reader = csv.reader(feed, delimiter=delimiter, strict=False)
    while True:
        feed.taken = []
        try:
            values = next(reader)
        except (StopIteration, csv.Error):
            return False
        if len(feed.taken) > 1 and (len(values) != width or sum(t.count('"') for t in feed.taken) % 2):
            return True


def _read_csv(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    path = source.path or ""
    fh, encoding = _open_text(source)
    with fh:
        sample = fh.read(64_000)
        fh.seek(0)
        delimiter = _sniff_delimiter(sample, tab=Path(path).suffix.lower() == ".tsv")
        header: list[str] | None = None
        batch: list[list[Any]] = []
        problems: dict[int, tuple[str, str]] = {}
        rows: list[int] = []
        row_no = 0
        literal = _uses_literal_quotes(sample, delimiter)
        if literal:
            log.info("quotes read as text", extra={"file": path})
        for values, problem, raw in _csv_records(
            # late binding on purpose: the reader asks for the width of the header read so far
            fh,
            delimiter,
            lambda: len(header) if header else None,  # noqa: B023
            literal_quotes=literal,
        ):
            if header is None:
                if problem or not values or all(not v.strip() for v in values):
                    continue  # blank lines above the header
                if has_bad_bytes("".join(values)):
                    raise IngestError(f"the header row has {_bad_bytes_reason(encoding)}", file=path, row=0)
                header = _header(values)
                duplicates = _duplicates(values)
                continue
            if problem is None and not values:
                continue  # blank line, as pandas and spreadsheets skip them
            row_no += 1
            if problem is None and has_bad_bytes(raw):
                problem = _bad_bytes_reason(encoding)
            elif problem is None and len(values) > len(header):
                problem = f"{len(values)} fields where the header has {len(header)} (an unquoted delimiter in a value?)"
            if problem is not None:
                problems[row_no] = ("", problem)
                values = [raw.rstrip("\r\n").encode("utf-8", "surrogateescape").decode("utf-8", "replace")]
            batch.append(values)
            rows.append(row_no)
            if len(batch) == chunk_size:
                yield _with_problems(_frame(batch, header, rows), problems, duplicates)
                batch, rows, problems = [], [], {}
        if header is None:
            raise IngestError("the file is empty (no header row)", file=path)
        if batch or row_no == 0 or problems:
            yield _with_problems(_frame(batch, header, rows), problems, duplicates)


def _duplicates(names: list[Any]) -> list[str]:
    """Header names that occur more than once (after trimming): a mapping to them is ambiguous."""
    cleaned = [str(v).strip() for v in names if v is not None and str(v).strip()]
    return sorted({n for n in cleaned if cleaned.count(n) > 1})


def _with_problems(frame: pd.DataFrame, problems: dict[int, tuple[str, str]], duplicates: list[str]) -> pd.DataFrame:
    """Attach row faults found while reading (row -> (column, reason)) and ambiguous header names."""
    frame.attrs["read_problems"] = dict(problems)
    frame.attrs["duplicate_columns"] = list(duplicates)
    return frame


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
    """Every sheet holding the text column (or the one ``source.sheet`` names), rows numbered on
    across sheets so derived ids stay unique; ``source_file`` names the sheet when there are several."""
    from openpyxl import load_workbook

    path = source.path or ""
    # a file object, closed below: openpyxl refuses a workbook whose name ends in .csv
    handle = open(path, "rb")  # noqa: SIM115
    book = load_workbook(handle, read_only=True, data_only=True)
    try:
        sheets = [_pick_sheet(book, source)] if source.sheet is not None else list(book.worksheets)
        found: dict[str, list[str]] = {}
        data_sheets = []
        for sheet in sheets:
            header = _sheet_header(sheet)
            if header is None:
                continue
            found[sheet.title] = _header(header)
            if source.sheet is not None or source.columns.text in found[sheet.title]:
                data_sheets.append((sheet, header))
        if not found:
            raise IngestError("the workbook is empty (no sheet has a header row)", file=path)
        if not data_sheets:
            listing = "; ".join(f"sheet '{k}': {v}" for k, v in found.items())
            raise IngestError(
                f"text column '{source.columns.text}' not found in any sheet ({listing}); "
                "set `sheet` (--sheet) or the column name",
                file=path,
                column=source.columns.text,
            )
        skipped = [name for name in found if name not in {s.title for s, _ in data_sheets}]
        if skipped:
            log.warning("sheets without the text column skipped", extra={"file": path, "sheets": skipped})
        first = 1
        for sheet, header_values in data_sheets:
            label = f"{path}[{sheet.title}]" if len(data_sheets) > 1 else None
            names, duplicates = _header(header_values), _duplicates(header_values)
            yielded = False
            for batch, start in _sheet_rows(sheet, chunk_size, first):
                frame = _with_problems(_frame(batch, names, start), {}, duplicates)
                frame.attrs["sheet"] = sheet.title
                if label:
                    frame.attrs["source_file"] = label
                first = start + len(batch)
                yielded = True
                yield frame
            if not yielded:
                yield _with_problems(_frame([], names, first), {}, duplicates)
    finally:
        book.close()
        handle.close()


def _sheet_header(sheet: Any) -> list[Any] | None:
    for values in sheet.iter_rows(values_only=True):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # leading blank rows above the header are common in hand-made sheets
        return [to_raw(v) for v in values]
    return None


def _sheet_rows(sheet: Any, chunk_size: int, first: int) -> Iterator[tuple[list[list[Any]], int]]:
    """(rows, number of the first) below the header, in chunks; trailing blank rows dropped."""
    header_seen = False
    batch: list[list[Any]] = []
    blanks: list[list[Any]] = []
    start = first
    for values in sheet.iter_rows(values_only=True):
        blank = all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
        if not header_seen:
            header_seen = not blank
            continue
        if blank:
            blanks.append(list(values))  # kept only if a row with data follows
            continue
        batch.extend(blanks)
        blanks = []
        batch.append(list(values))
        if len(batch) >= chunk_size:
            yield batch, start
            start += len(batch)
            batch = []
    if batch:
        yield batch, start


def _pick_sheet(book: Any, source: SourceSettings) -> Any:
    if isinstance(source.sheet, int):
        try:
            return book.worksheets[source.sheet]
        except IndexError:
            raise IngestError(
                f"no sheet number {source.sheet}; the workbook has {len(book.worksheets)} "
                f"(numbered from 0: {book.sheetnames})",
                file=source.path,
            ) from None
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


def _read_json(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    fh, _ = _open_text(source)
    with fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise IngestError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=source.path
            ) from exc
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise IngestError('expected a list of objects or {"records": [...]}', file=source.path)
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise IngestError(f"expected an object, found {type(item).__name__}", file=source.path, row=i + 1)
    columns = list(dict.fromkeys(k for item in data for k in item))
    for start in range(0, max(len(data), 1), chunk_size):
        yield _frame(data[start : start + chunk_size], columns, start + 1)


def _read_jsonl(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    """One object per line; a line that is not a JSON object goes to quarantine, the rest is read.

    Keys may first appear deep in the file (exports leave out null fields), so every chunk carries
    the mapped columns, empty where not seen yet, and a mapped column absent from the whole file
    is reported once the file is read: chunks of any size give the same records.
    """
    from voc.ingest.mapping import check_columns, mapped_columns

    fh, encoding = _open_text(source)
    mapped = [name for _, name in mapped_columns(source.columns)]
    columns: dict[str, None] = {}
    batch: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: dict[int, tuple[str, str]] = {}
    yielded = False
    with fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            problem = None
            item: Any = None
            if has_bad_bytes(line):
                problem = _bad_bytes_reason(encoding)
            else:
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    problem = f"invalid JSON: {exc.msg} at character {exc.pos + 1}"
                else:
                    if not isinstance(item, dict):
                        problem = f"expected an object, found {type(item).__name__}"
            if problem is not None:
                problems[line_no] = ("", problem)
                item = {_RAW_LINE: line.rstrip("\r\n").encode("utf-8", "surrogateescape").decode("utf-8", "replace")}
            else:
                columns.update(dict.fromkeys(item))
            batch.append(item)
            lines.append(line_no)
            if len(batch) == chunk_size:
                yield _jsonl_frame(batch, _with_mapped(columns, mapped), lines, problems)
                yielded, batch, lines, problems = True, [], [], {}
    if columns:
        check_columns(list(columns), source.columns, file=source_label(source))
    if batch or not yielded:
        yield _jsonl_frame(batch, _with_mapped(columns, mapped), lines, problems)


def _with_mapped(columns: dict[str, None], mapped: list[str]) -> dict[str, None]:
    """The keys seen so far plus the mapped ones not seen yet (none while no line was an object)."""
    return {**columns, **dict.fromkeys(mapped)} if columns else columns


#: Where a broken JSON line keeps its text until the quarantine stores it.
_RAW_LINE = "\x00raw_line"


def _jsonl_frame(
    batch: list[dict[str, Any]], columns: dict[str, None], lines: list[int], problems: dict[int, tuple[str, str]]
) -> pd.DataFrame:
    names = list(columns) or [_RAW_LINE]
    rows = []
    for item in batch:
        if _RAW_LINE in item:  # the broken line's text in the first column, for the quarantine
            rows.append({names[0]: item[_RAW_LINE]})
        else:
            rows.append(item)
    return _with_problems(_frame(rows, names, lines), problems, [])


def _read_parquet(source: SourceSettings, chunk_size: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    # no pre-buffering, a 64 KiB read buffer per column: a row group is decoded page by page as batches are
    # taken, so memory follows ``chunk_size`` even for a file written as one huge row group
    file = pq.ParquetFile(source.path or "", pre_buffer=False, buffer_size=1 << 16)
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
            columns = _header([str(k) for k in result.keys()])  # noqa: SIM118  a SQL result iterates rows
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
