"""Column mapping, value parsing and the quarantine rules."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from voc.config import ColumnMapping
from voc.ingest import IngestError, ingest_frame
from voc.ingest.mapping import map_chunk, parse_dates, parse_number, parse_score, stable_record_id


def _map(frame: pd.DataFrame, mapping: ColumnMapping, **kw):
    raw = frame.astype(object).where(frame.notna(), None)
    return map_chunk(
        raw, columns=mapping, source_name="src", source_file="in.csv", rows=np.arange(1, len(frame) + 1), **kw
    )


def test_missing_text_column_names_file_column_and_existing_columns():
    frame = pd.DataFrame({"id": ["1"], "comment": ["hi"]})
    with pytest.raises(IngestError) as info:
        ingest_frame(frame, columns=ColumnMapping(text="body"), source_name="s", source_file="export.csv")
    message = str(info.value)
    assert "export.csv" in message and "'body'" in message
    assert "['id', 'comment']" in message


def test_other_missing_mapped_column_fails_too():
    with pytest.raises(IngestError, match="date column 'when' not found"):
        ingest_frame(pd.DataFrame({"text": ["a"]}), columns=ColumnMapping(date="when"), source_name="s")


def test_score_column_without_type_is_a_configuration_error():
    with pytest.raises(IngestError, match="score_type"):
        ingest_frame(pd.DataFrame({"text": ["a"], "s": ["1"]}), columns=ColumnMapping(score="s"), source_name="s")


def test_quarantine_reasons_name_file_row_and_column(feedback_frame, mapping, warm_detector):
    batch = ingest_frame(feedback_frame, columns=mapping, source_name="shop", source_file="shop.csv")
    q = batch.quarantine
    assert set(q["source_file"]) == {"shop.csv"}
    by_row = {int(r): (c, reason) for r, c, reason in zip(q["source_row"], q["column"], q["reason"])}
    assert by_row[3][0] == "comment" and by_row[3][1].startswith("empty text")
    assert by_row[4] == ("date", "unparseable date '31/02/2024'")
    assert by_row[6] == ("nps", "score 11 outside nps 0-10")
    assert json.loads(q.loc[q["source_row"] == 6, "raw"].iloc[0])["comment"] == "Die Lieferung kam zu spät"
    # the rest is processed; the score-only answer (row 2) is kept with empty text
    assert batch.records["source_row"].tolist() == [1, 2, 5]
    assert batch.records.loc[1, "text"] == "" and batch.records.loc[1, "score"] == 9
    assert batch.stats["quarantined"] == 3 and batch.stats["rows_read"] == 6


def test_quarantined_raw_row_is_redacted(mapping):
    frame = pd.DataFrame(
        {"comment": ["Pisz na jan.kowalski@example.pl"], "id": ["1"], "date": ["bad date"], "nps": ["5"], "cust": ["c"]}
    )
    batch = ingest_frame(frame, columns=mapping, source_name="s")
    raw = json.loads(batch.quarantine["raw"].iloc[0])
    assert "example.pl" not in raw["comment"] and "[EMAIL]" in raw["comment"]


def test_dates_iso_day_first_offsets_and_explicit_format():
    values = pd.Series(
        [
            "2024-03-05",
            "2024-03-05T23:30:00+02:00",
            "05.03.2024",
            "05/03/2024 14:30",
            None,
            "soon",
            "2026-13-05T09:00:00",
            "5 March 2024",
        ],
        dtype=object,
    )
    parsed = parse_dates(values)
    assert str(parsed.dtype) == "datetime64[us]"
    assert parsed.iloc[0] == pd.Timestamp("2024-03-05")
    assert parsed.iloc[1] == pd.Timestamp("2024-03-05 21:30")  # stored as naive UTC
    assert parsed.iloc[2] == pd.Timestamp("2024-03-05")  # day first, not 3 May
    assert parsed.iloc[3] == pd.Timestamp("2024-03-05 14:30")
    assert pd.isna(parsed.iloc[4]) and pd.isna(parsed.iloc[5])
    assert pd.isna(parsed.iloc[6])  # month 13 is not read as day 13
    assert parsed.iloc[7] == pd.Timestamp("2024-03-05")
    us = parse_dates(pd.Series(["03/05/2024"], dtype=object), date_format="%m/%d/%Y")
    assert us.iloc[0] == pd.Timestamp("2024-03-05")


def test_score_type_per_row():
    frame = pd.DataFrame(
        {
            "text": ["a", "b", "c", "d", "e"],
            "s": ["9", "5", "7", "6", "3"],
            "kind": ["NPS", "csat", "ces", "csat", "weird"],
        }
    )
    mapped = _map(frame, ColumnMapping(score="s", score_type_column="kind"))
    assert mapped.fields["score_type"].tolist()[:3] == ["nps", "csat", "ces"]
    reasons = {pos: reason for pos, _, reason in mapped.problems}
    assert reasons == {3: "score 6 outside csat 1-5", 4: "unknown score type 'weird'"}


def test_churn_value_segments_and_channel():
    frame = pd.DataFrame(
        {
            "text": ["a"] * 8,
            "churn": ["tak", "nie", "kyllä", "ei", "так", "ні", "ja", "nein"],
            "value": ["1 234,50 zł", "€1,234.50", "99", "", "abc", "7,5", "12.000,00", None],
            "seg": list("ABCDEFGH"),
            "seg2": list("abcdefgh"),
            "ch": ["Email"] * 8,
        }
    )
    mapped = _map(frame, ColumnMapping(churn="churn", value="value", segments=["seg", "seg2"], channel="ch"))
    f = mapped.fields
    assert f["churned"].tolist() == [True, False, True, False, True, False, True, False]
    assert f["customer_value"].iloc[0] == pytest.approx(1234.5)
    assert f["customer_value"].iloc[1] == pytest.approx(1234.5)
    assert f["customer_value"].iloc[5] == pytest.approx(7.5)
    assert f["customer_value"].iloc[6] == pytest.approx(12000.0)
    assert np.isnan(f["customer_value"].iloc[3]) and np.isnan(f["customer_value"].iloc[4])
    assert f["segment"].tolist() == list("ABCDEFGH")
    assert json.loads(f["extra"].iloc[2]) == {"seg2": "c"}
    assert set(f["channel"]) == {"email"}


def test_parse_number_rejects_text():
    assert parse_number("n/a") is None and parse_number(None) is None
    assert parse_number("-3.25") == -3.25


def test_parse_score_is_strict():
    assert [parse_score(v) for v in ["9", " 7,5 ", "4/5", "9 / 10", "ten", "9.5.1", None]] == [
        9.0,
        7.5,
        4.0,
        9.0,
        None,
        None,
        None,
    ]


def test_record_ids_from_column_else_stable_and_distinct():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "id": ["X-1", "", "X-3"]})
    ids = _map(frame, ColumnMapping(id="id")).fields["record_id"].tolist()
    assert ids[0] == "X-1" and ids[2] == "X-3"
    assert ids[1] == stable_record_id("src", 2)
    assert stable_record_id("src", 2) != stable_record_id("src", 3) != stable_record_id("other", 3)


@pytest.mark.parametrize("placeholder", ["1970-01-01", "1970-01-01T00:00:00Z", "1900-01-01"])
def test_an_exports_stand_in_for_no_date_is_quarantined_not_read_as_1970(placeholder):
    frame = pd.DataFrame({"text": ["Seat was fine.", "Legroom was poor."], "when": ["2015-07-20", placeholder]})
    batch = ingest_frame(frame, columns=ColumnMapping(date="when"), source_name="s", source_file="seat.csv")
    assert batch.records["text"].tolist() == ["Seat was fine."]
    reason = batch.quarantine.loc[batch.quarantine["source_row"] == 2, "reason"].iloc[0]
    assert batch.quarantine["column"].tolist() == ["when"] and reason.startswith("placeholder date")
