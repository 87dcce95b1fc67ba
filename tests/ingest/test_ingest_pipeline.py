"""The public entry points end to end on small files."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from voc.config import ColumnMapping, IngestSettings, SourceSettings
from voc.ingest import IngestBatch, IngestError, empty_quarantine, empty_records, ingest_frame, ingest_source
from voc.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS

EXPECTED_DTYPES = {
    "source_row": "int64",
    "created_at": "datetime64[us]",
    "score": "float64",
    "customer_value": "float64",
    "churned": "boolean",
    "n_redactions": "int32",
    "text": "str",
}


def _check_schema(batch: IngestBatch) -> None:
    assert tuple(batch.records.columns) == RECORD_COLUMNS
    assert tuple(batch.quarantine.columns) == QUARANTINE_COLUMNS
    for name, dtype in EXPECTED_DTYPES.items():
        assert str(batch.records[name].dtype) == dtype, name


def test_ingest_source_csv_end_to_end(tmp_path, feedback_frame, mapping, source_for, warm_detector):
    path = tmp_path / "shop.csv"
    feedback_frame.to_csv(path, index=False, encoding="cp1250", sep=";")
    batches = list(ingest_source(source_for(path, mapping, name="shop")))
    assert len(batches) == 1
    batch = batches[0]
    _check_schema(batch)
    records = batch.records
    assert set(records["source"]) == {"shop"} and set(records["source_file"]) == {str(path)}
    assert records.loc[0, "text"].endswith("zażółć gęślą jaźń")
    assert records.loc[0, "language"] == "pl"
    assert records.loc[1, "language"] == "und"  # score-only answer: no text, no language
    assert records["score_type"].tolist() == ["nps", "nps", "nps"]
    assert records["text_hash"].str.len().eq(40).all()


def test_dedup_works_across_chunks(tmp_path, source_for, warm_detector):
    path = tmp_path / "dups.csv"
    pd.DataFrame(
        {"text": ["Paczka nie dotarła na czas"] * 3 + ["Inny problem z fakturą"], "cust": ["c1", "c2", "c1", "c1"]}
    ).to_csv(path, index=False)
    batches = list(
        ingest_source(source_for(path, ColumnMapping(customer="cust")), settings=IngestSettings(chunk_size=2))
    )
    assert [b.stats["duplicates_dropped"] for b in batches] == [0, 1]
    assert pd.concat([b.records for b in batches])["source_row"].tolist() == [1, 2, 4]


def test_short_text_in_later_chunk_takes_source_majority(tmp_path, source_for, warm_detector):
    path = tmp_path / "fi.csv"
    pd.DataFrame({"text": ["Tilaus saapui myöhässä eikä kukaan vastannut", "Kiitos"]}).to_csv(path, index=False)
    batches = list(ingest_source(source_for(path, ColumnMapping()), settings=IngestSettings(chunk_size=1)))
    assert [b.records["language"].iloc[0] for b in batches] == ["fi", "fi"]


def test_record_ids_are_stable_across_two_reads(tmp_path, source_for, warm_detector):
    path = tmp_path / "noid.jsonl"
    path.write_text('{"text": "Aplikacja się zawiesza"}\n{"text": "Brak faktury"}\n', encoding="utf-8")
    source = source_for(path, ColumnMapping())
    first = pd.concat([b.records for b in ingest_source(source)])
    second = pd.concat([b.records for b in ingest_source(source)])
    assert first["record_id"].tolist() == second["record_id"].tolist()
    assert first["record_id"].nunique() == 2
    # the same rows under another source name get other ids
    renamed = pd.concat([b.records for b in ingest_source(source_for(path, ColumnMapping(), name="other"))])
    assert set(renamed["record_id"]).isdisjoint(first["record_id"])


def test_ingest_frame_offsets_rows_for_partitions(warm_detector):
    frame = pd.DataFrame({"text": ["Długo czekałem na kuriera", "Wszystko w porządku, dziękuję"]})
    whole = ingest_frame(frame, columns=ColumnMapping(), source_name="s")
    part = ingest_frame(frame.iloc[1:], columns=ColumnMapping(), source_name="s", first_row=2)
    assert part.records["record_id"].tolist() == whole.records["record_id"].tolist()[1:]
    assert part.records["source_row"].tolist() == [2]


def test_ingest_frame_accepts_typed_values(warm_detector):
    frame = pd.DataFrame(
        {
            "text": ["Great support, thank you so much"],
            "score": [9.0],
            "when": pd.to_datetime(["2024-03-01 12:00"]),
            "churn": [True],
        }
    )
    batch = ingest_frame(
        frame, columns=ColumnMapping(score="score", score_type="nps", date="when", churn="churn"), source_name="s"
    )
    row = batch.records.iloc[0]
    assert row["score"] == 9.0 and row["created_at"] == pd.Timestamp("2024-03-01 12:00") and bool(row["churned"])


def test_redaction_happens_before_anything_leaves(warm_detector):
    frame = pd.DataFrame({"text": ["Karta 4111 1111 1111 1111 obciążona dwa razy, dzwoń 600 700 800"]})
    batch = ingest_frame(frame, columns=ColumnMapping(), source_name="s")
    assert batch.records.loc[0, "text"] == "Karta [CARD] obciążona dwa razy, dzwoń [PHONE]"
    assert batch.records.loc[0, "n_redactions"] == 2 and batch.stats["redactions"] == 2


def test_sql_source_masks_password_in_source_file(tmp_path, warm_detector):
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table fb (body text)")
        conn.execute("insert into fb values ('Obsługa była bardzo miła i pomocna')")
    source = SourceSettings(
        url=f"sqlite:///{db}", query="select body from fb", columns=ColumnMapping(text="body"), name="crm"
    )
    (batch,) = ingest_source(source)
    assert batch.records.loc[0, "source_file"] == f"sqlite:///{db}"
    assert batch.records.loc[0, "source"] == "crm"


def test_missing_text_column_fails_before_any_batch(tmp_path, source_for):
    path = tmp_path / "wrong.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"wrong\.csv.*'text'.*\['id', 'body'\]"):
        next(ingest_source(source_for(path, ColumnMapping())))


def test_empty_tables_have_the_schema():
    assert tuple(empty_records().columns) == RECORD_COLUMNS and empty_records().empty
    assert str(empty_records()["created_at"].dtype) == "datetime64[us]"
    assert tuple(empty_quarantine().columns) == QUARANTINE_COLUMNS
