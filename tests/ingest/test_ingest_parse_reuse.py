"""A source read again parses only rows it has not parsed before, with the same records as a fresh read.

A nightly export usually is last night's rows plus a day's; language detection and redaction of
the old rows would be done again for nothing. Blocks of rows are kept between reads by content
(:class:`voc.pipeline.fingerprint.ParseCache`): these tests check that what comes out is exactly
what a read without the cache gives (records, quarantine, counts), that only new or changed
blocks are parsed, and that the night's date is applied after reuse.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

import voc.ingest as ingest_module
from voc.config import ColumnMapping, IngestSettings, SourceSettings
from voc.ingest import ingest_source
from voc.ingest.blocks import BLOCK_ROWS
from voc.pipeline.fingerprint import ParseCache

MAPPING = ColumnMapping(text="comment", id="id", date="date", score="nps", score_type="nps")
COMMENTS = [
    "The courier left the parcel in the rain, call me at +48 601 234 567",
    "Die App stürzt beim Bezahlen ab",
    "Obsługa klienta była bardzo pomocna",
    "Toimitus kesti kaksi viikkoa",
    "ok",
]


def _write(path, n: int, *, first_row: int = 1, changed: int | None = None) -> SourceSettings:
    rows = []
    for i in range(first_row, first_row + n):
        comment = f"{COMMENTS[i % len(COMMENTS)]} #{i}"
        if i == changed:
            comment = "Edited: the refund never came"
        rows.append({"id": f"r{i}", "comment": comment, "date": f"2024-03-{1 + i % 28:02d}", "nps": str(i % 11)})
    pd.DataFrame(rows).to_csv(path, index=False)
    return SourceSettings(path=str(path), columns=MAPPING)


def _read(source, *, cache=None, settings=None, not_after=None):
    settings = settings or IngestSettings(chunk_size=3_000)
    batches = list(ingest_source(source, settings=settings, parsed_cache=cache, not_after=not_after))
    records = pd.concat([b.records for b in batches], ignore_index=True)
    quarantine = pd.concat([b.quarantine for b in batches], ignore_index=True)
    stats: dict[str, int] = {}
    for b in batches:
        for key, value in b.stats.items():
            stats[key] = stats.get(key, 0) + value
    return records, quarantine, stats


@pytest.fixture
def parsed_rows(monkeypatch):
    """Counts the input rows that were actually parsed."""
    counted = {"rows": 0}
    real = ingest_module.parse_chunk

    def counting(raw, **kwargs):
        counted["rows"] += len(raw)
        return real(raw, **kwargs)

    monkeypatch.setattr(ingest_module, "parse_chunk", counting)
    return counted


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2] == b[2]


def test_a_second_read_parses_nothing_and_gives_the_same_records(tmp_path, parsed_rows):
    source = _write(tmp_path / "export.csv", 2 * BLOCK_ROWS + 100)
    fresh = _read(source)
    assert parsed_rows["rows"] == 2 * BLOCK_ROWS + 100
    cache = ParseCache(tmp_path / "cache")
    first = _read(source, cache=cache)
    parsed_rows["rows"] = 0
    again = _read(source, cache=ParseCache(tmp_path / "cache"))
    assert parsed_rows["rows"] == 0
    _same(fresh, first)
    _same(fresh, again)
    assert fresh[2]["redactions"] > 0  # the phone numbers were redacted, and stay redacted when reused
    assert not again[0]["text"].str.contains("601 234 567").any()


def test_a_grown_export_parses_only_the_blocks_that_changed(tmp_path, parsed_rows):
    n = 2 * BLOCK_ROWS + 100
    _read(_write(tmp_path / "export.csv", n), cache=ParseCache(tmp_path / "cache"))
    # the next night's export: one old row edited, 300 rows appended
    grown = _write(tmp_path / "export.csv", n + 300, changed=BLOCK_ROWS + 5)
    parsed_rows["rows"] = 0
    reused = _read(grown, cache=ParseCache(tmp_path / "cache"))
    # the block holding the edit and the last block (grown) are parsed; the first block is not
    assert parsed_rows["rows"] == BLOCK_ROWS + (n + 300 - 2 * BLOCK_ROWS)
    _same(_read(grown), reused)
    assert (reused[0]["text"] == "Edited: the refund never came").sum() == 1
    # only what this read used is kept: the superseded blocks are gone
    assert len(list((tmp_path / "cache").glob("*.pkl"))) == 3


def test_other_parse_settings_do_not_reuse(tmp_path, parsed_rows):
    source = _write(tmp_path / "export.csv", 500)
    _read(source, cache=ParseCache(tmp_path / "cache"))
    parsed_rows["rows"] = 0
    unredacted = IngestSettings(chunk_size=3_000, redact=False)
    reused = _read(source, cache=ParseCache(tmp_path / "cache"), settings=unredacted)
    assert parsed_rows["rows"] == 500
    assert reused[0]["text"].str.contains("601 234 567").any()


def test_the_nights_date_applies_to_reused_blocks(tmp_path):
    source = _write(tmp_path / "export.csv", 600)
    _read(source, cache=ParseCache(tmp_path / "cache"))  # kept without a night
    night_end = datetime(2024, 3, 15)
    reused = _read(source, cache=ParseCache(tmp_path / "cache"), not_after=night_end)
    _same(_read(source, not_after=night_end), reused)
    late = reused[1]
    assert len(late) > 0 and late["reason"].str.contains("after the night").all()
    assert (reused[0]["created_at"] < pd.Timestamp(night_end)).all()


def test_blocks_of_a_source_not_read_for_weeks_are_removed(tmp_path):
    import os
    import time

    from voc.pipeline.fingerprint import PARSED_KEEP_DAYS

    cache = tmp_path / "cache"
    _read(_write(tmp_path / "monday.csv", 50), cache=ParseCache(cache))
    monday = list(cache.glob("*.pkl"))
    weeks_ago = time.time() - (PARSED_KEEP_DAYS + 1) * 86_400
    for file in monday:
        os.utime(file, (weeks_ago, weeks_ago))
    _read(_write(tmp_path / "tuesday.csv", 50), cache=ParseCache(cache))
    left = set(cache.glob("*.pkl"))
    assert left and not left & set(monday)


def test_one_file_read_as_two_sources_keeps_the_blocks_of_both(tmp_path, parsed_rows):
    path = tmp_path / "export.csv"
    _write(path, 300)
    sources = [SourceSettings(path=str(path), name=name, columns=MAPPING) for name in ("shop", "app")]
    for source in sources:
        _read(source, cache=ParseCache(tmp_path / "cache"))
    parsed_rows["rows"] = 0
    for source in sources:
        _read(source, cache=ParseCache(tmp_path / "cache"))
    assert parsed_rows["rows"] == 0


def test_an_unwritable_cache_only_costs_speed(tmp_path):
    source = _write(tmp_path / "export.csv", 300)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    _same(_read(source), _read(source, cache=ParseCache(blocked)))
