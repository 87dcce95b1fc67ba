"""Large inputs are read in chunks: the same records as one read, faults on their absolute row,
and the memory a read holds set by the chunk, not by the file."""

from __future__ import annotations

import json
import tracemalloc

import pandas as pd
import pytest

from voc.config import ColumnMapping, IngestSettings, SourceSettings
from voc.ingest import IngestError, ingest_source
from voc.ingest.readers import read_source

MAPPING = ColumnMapping(text="comment", id="id", date="date", score="nps", score_type="nps")
TEXTS = [
    "The courier left the parcel in the rain",
    "Die App stürzt beim Bezahlen ab",
    "Obsługa klienta była bardzo pomocna",
    "ok",
]


def _rows(n: int) -> list[dict]:
    return [
        {"id": f"r{i}", "comment": f"{TEXTS[i % 4]} #{i % 6}", "date": f"2024-03-{1 + i % 28:02d}", "nps": str(i % 11)}
        for i in range(1, n + 1)
    ]


def _ingest(source: SourceSettings, chunk_size: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    batches = list(ingest_source(source, settings=IngestSettings(chunk_size=chunk_size)))
    records = pd.concat([b.records for b in batches], ignore_index=True)
    quarantine = pd.concat([b.quarantine for b in batches], ignore_index=True)
    return records, quarantine[["source_file", "source_row", "column", "reason"]], len(batches)


def _csv(tmp_path) -> tuple[SourceSettings, dict[int, str]]:
    """29 data rows; rows 9 (unclosed quote), 17 (bad date) and 22 (bytes not UTF-8) are faulty."""
    header = "id,comment,date,nps\n"
    lines = [f"{r['id']},{r['comment']},{r['date']},{r['nps']}\n".encode() for r in _rows(29)]
    lines[8] = b'r9,"the quote, never closed,2024-03-09,5\n'
    lines[16] = b"r17,Late again,31/02/2024,3\n"
    lines[21] = b"r22,Caf\xe9 was cold,2024-03-22,2\n"
    path = tmp_path / "export.csv"
    path.write_bytes(header.encode() + b"".join(lines))
    return SourceSettings(path=str(path), columns=MAPPING), {9: "quote", 17: "date", 22: "bytes"}


def _jsonl(tmp_path) -> tuple[SourceSettings, dict[int, str]]:
    """Line 13 is not JSON, line 20 is blank; the score key first appears on line 15."""
    lines = []
    for i, row in enumerate(_rows(30), start=1):
        if i < 15:
            row = {k: v for k, v in row.items() if k != "nps"}  # an export that leaves out empty fields
        lines.append(json.dumps(row, ensure_ascii=False))
    lines[12] = '{"id": "r13", "comment": '
    lines[19] = ""
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SourceSettings(path=str(path), columns=MAPPING), {13: "JSON"}


def _parquet(tmp_path) -> tuple[SourceSettings, dict[int, str]]:
    """Row 11 has a score outside the NPS scale; written as one row group."""
    frame = pd.DataFrame(_rows(31))
    frame.loc[10, "nps"] = "42"
    path = tmp_path / "export.parquet"
    frame.to_parquet(path)
    return SourceSettings(path=str(path), columns=MAPPING), {11: "score"}


@pytest.mark.parametrize("make", [_csv, _jsonl, _parquet], ids=["csv", "jsonl", "parquet"])
def test_a_file_read_in_chunks_gives_the_records_of_one_read(tmp_path, make):
    source, faults = make(tmp_path)
    whole, whole_quarantine, n_whole = _ingest(source, chunk_size=10_000)
    chunked, chunked_quarantine, n_chunked = _ingest(source, chunk_size=4)
    assert n_whole == 1 and n_chunked >= 7
    pd.testing.assert_frame_equal(chunked, whole)
    pd.testing.assert_frame_equal(chunked_quarantine, whole_quarantine)
    # each fault is quarantined on its row of the file, whichever chunk held it
    assert sorted(chunked_quarantine["source_row"]) == sorted(faults)
    for row, words in faults.items():
        reason = chunked_quarantine.loc[chunked_quarantine["source_row"] == row, "reason"].iloc[0]
        assert words.lower() in reason.lower(), (row, reason)
    assert (chunked_quarantine["source_file"] == source.path).all()
    data_rows = {_csv: 29, _jsonl: 29, _parquet: 31}[make]  # the JSONL's blank line is no row
    assert len(chunked) == data_rows - len(faults)


def test_a_mapped_column_missing_from_the_whole_jsonl_is_named_after_reading(tmp_path):
    source, _ = _jsonl(tmp_path)
    wrong = source.model_copy(update={"columns": MAPPING.model_copy(update={"date": "created"})})
    for chunk_size in (4, 10_000):
        with pytest.raises(IngestError, match="date column 'created' not found") as caught:
            list(ingest_source(wrong, settings=IngestSettings(chunk_size=chunk_size)))
        assert caught.value.file == source.path and caught.value.column == "created"


def test_a_bad_header_names_the_file_and_row_zero(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,comm\xe9nt\n" + b"".join(f"r{i},fine {i}\n".encode() for i in range(40)))
    with pytest.raises(IngestError) as caught:
        list(read_source(SourceSettings(path=str(path), encoding="utf-8"), chunk_size=4))
    assert (caught.value.file, caught.value.row) == (str(path), 0)


def _peak_bytes_reading(source: SourceSettings, chunk_size: int) -> int:
    """Peak Python and Arrow memory while every chunk of ``source`` is read and dropped."""
    import pyarrow as pa

    arrow_before = pa.total_allocated_bytes()
    arrow_peak = 0
    tracemalloc.start()
    try:
        for _ in read_source(source, chunk_size=chunk_size):
            arrow_peak = max(arrow_peak, pa.total_allocated_bytes() - arrow_before)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return python_peak + arrow_peak


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_peak_memory_of_a_read_follows_the_chunk_not_the_file(tmp_path, fmt):
    peaks = []
    for n in (2_000, 16_000):
        frame = pd.DataFrame(_rows(n)).assign(comment=lambda f: f["comment"] + " " + "x" * 200)
        path = tmp_path / f"export_{n}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        elif fmt == "jsonl":
            frame.to_json(path, orient="records", lines=True, force_ascii=False)
        else:
            # one row group holding the whole file; the reader holds one page per column at a
            # time (writers' default page is 1 MiB, larger than these test files)
            frame.to_parquet(path, data_page_size=32 * 1024, dictionary_pagesize_limit=32 * 1024)
        del frame  # its strings live in Arrow memory, which the measure counts
        peaks.append(_peak_bytes_reading(SourceSettings(path=str(path), columns=MAPPING), chunk_size=500))
    small, large = peaks
    # eight times the rows, not eight times the memory (a whole-file read would be ~8x)
    assert large < 1.6 * small, peaks
