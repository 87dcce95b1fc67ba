"""Row-level faults through the pipeline's ingest node: the row goes to quarantine with file,
row, column and reason, and the rest of the file is processed."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from voc.config import load_settings


def _reasons(ingested) -> dict[int, str]:
    q = ingested.quarantine
    return dict(zip(q["source_row"].astype(int), q["reason"]))


def test_one_bad_byte_costs_one_row(kit, tmp_path):
    rows = [[str(i), kit.comment(i)] for i in range(30)]
    data = kit.write_csv(tmp_path / "f.csv", ["id", "text"], rows).read_bytes()
    data = data.replace(b"(order 1004)", b"(order \xff\xfe)")
    (tmp_path / "f.csv").write_bytes(data)
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "id": "id"})
    assert list(_reasons(ingested)) == [5] and "bytes not valid in utf-8" in _reasons(ingested)[5]
    assert len(ingested.records) == 29 and "Przesyłka" in " ".join(ingested.records["text"])
    assert kit.accounted(ingested)


def test_broken_quote_costs_one_row(kit, tmp_path):
    lines = ["id,text"] + [f"{i},{kit.comment(i).replace(',', ';')}" for i in range(20)]
    lines[4] = '3,"this quote is never closed, delivery late'
    (tmp_path / "f.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "id": "id"})
    assert list(_reasons(ingested)) == [4] and "unclosed quote" in _reasons(ingested)[4]
    assert sorted(ingested.records["record_id"].astype(int)) == [i for i in range(20) if i != 3]


def test_stray_quote_on_a_complete_line_is_kept_as_text(kit, tmp_path):
    lines = ["id,text"] + [f'{i},"{kit.comment(i)}"' for i in range(20)]
    lines[8] = '7,"no closing quote here'
    (tmp_path / "f.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "id": "id"})
    assert ingested.quarantine.empty and len(ingested.records) == 20
    assert ingested.records.set_index("record_id").loc["7", "text"] == '"no closing quote here'
    assert ingested.records.set_index("record_id").loc["8", "text"] == kit.comment(8)


def test_export_that_never_quotes_keeps_every_line(kit, tmp_path):
    rows = [f"{i}\t{kit.comment(i)}" for i in range(20)]
    rows[3] = '3\t"Kuriozalne" — kurier zostawił paczkę u sąsiada'
    rows[9] = '9\tHe said "never again and left'
    (tmp_path / "f.tsv").write_text("id\ttext\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.tsv", columns={"text": "text", "id": "id"})
    assert len(ingested.records) == 20 and ingested.quarantine.empty
    assert ingested.records.set_index("record_id").loc["9", "text"] == 'He said "never again and left'


def test_multi_line_quoted_comment_is_one_record(kit, tmp_path):
    (tmp_path / "f.csv").write_text('id,text\n1,"Great app.\nBut, slow to start"\n2,ok fine\n', encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "id": "id"})
    assert ingested.records["text"].tolist() == ["Great app. But, slow to start", "ok fine"]
    assert ingested.quarantine.empty


def test_row_with_too_many_fields_is_quarantined(kit, tmp_path):
    (tmp_path / "f.csv").write_text(
        "id,text\n1,fine comment\n2,price 5,99 was wrong,extra\n3,also fine\n", encoding="utf-8"
    )
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "id": "id"})
    assert "4 fields where the header has 2" in _reasons(ingested)[2]
    assert ingested.records["record_id"].tolist() == ["1", "3"]


def test_broken_json_lines_are_quarantined(kit, tmp_path):
    lines = [json.dumps({"id": str(i), "text": kit.comment(i)}) for i in range(10)]
    lines[2] = '{"id": "2", "text": "unterminated'
    lines[5] = '["not", "an", "object"]'
    (tmp_path / "f.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.jsonl", columns={"text": "text", "id": "id"})
    reasons = _reasons(ingested)
    assert "invalid JSON" in reasons[3] and "expected an object" in reasons[6]
    assert len(ingested.records) == 8 and kit.accounted(ingested)


def test_a_file_of_only_broken_json_lines_is_a_night_of_quarantine(kit, tmp_path):
    (tmp_path / "f.jsonl").write_text("{oops\n{also broken\n", encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.jsonl", columns={"text": "text"})
    assert len(ingested.records) == 0 and sorted(_reasons(ingested)) == [1, 2]


@pytest.mark.parametrize(
    ("scale", "value", "kept"),
    [
        ("nps", "7.5", False),
        ("nps", "7,5", False),
        ("csat", "4.5", False),
        ("ces", "2.2", False),
        ("stars", "4.5", True),
        ("nps", "7", True),
        ("nps", "11", False),
    ],
)
def test_scores_must_be_on_their_scale(kit, tmp_path, scale, value, kept):
    kit.write_csv(tmp_path / "f.csv", ["text", "score"], [["The courier was late", value], ["fine", "3"]])
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "score": "score", "score_type": scale})
    assert (1 not in _reasons(ingested)) == kept, _reasons(ingested)


def test_empty_blank_and_null_texts_are_quarantined(kit, tmp_path):
    rows = [
        {"id": "1", "text": "real comment about slow delivery"},
        {"id": "2", "text": ""},
        {"id": "3", "text": "   \u200b "},
        {"id": "4", "text": None},
        {"id": "5"},
    ]
    (tmp_path / "f.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.jsonl", columns={"text": "text", "id": "id"})
    reasons = _reasons(ingested)
    assert ingested.records["record_id"].tolist() == ["1"]
    assert reasons[2] == "empty text" and reasons[3] == "empty text (only spaces or invisible characters)"
    assert reasons[4] == reasons[5] == "empty text (null)"


def test_score_only_answers_are_kept_or_quarantined_by_setting(kit, tmp_path):
    kit.write_csv(tmp_path / "f.csv", ["text", "nps"], [["", "2"], ["slow delivery", "3"]])
    mapping = {"text": "text", "score": "nps", "score_type": "nps"}
    kept = kit.ingest(tmp_path / "f.csv", columns=dict(mapping))
    assert len(kept.records) == 2 and kept.stats["score_only"] == 1
    strict = kit.ingest(tmp_path / "f.csv", columns=dict(mapping), ingest_settings={"keep_score_only": False})
    assert len(strict.records) == 1 and "score-only" in _reasons(strict)[1]


def test_repeated_id_same_text_is_a_counted_duplicate(kit, tmp_path):
    kit.write_csv(tmp_path / "f.csv", ["id", "text"], [["1", "late parcel"], ["2", "app crash"], ["1", "late parcel"]])
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "id": "id"})
    assert len(ingested.records) == 2 and ingested.stats["duplicates_dropped"] == 1 and kit.accounted(ingested)


def test_repeated_id_with_another_text_is_quarantined_naming_the_first(kit, tmp_path):
    kit.write_csv(tmp_path / "f.csv", ["id", "text"], [["1", "late parcel"], ["2", "app crash"], ["1", "rude agent"]])
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "id": "id"})
    assert ingested.records["text"].tolist() == ["late parcel", "app crash"]
    assert _reasons(ingested)[3] == "id '1' repeats row 1 with a different text"


def test_long_text_is_stored_whole(kit, tmp_path):
    long = ("The parcel arrived late and the box was damaged. " * 2100).strip()
    assert len(long) > 100_000
    kit.write_csv(tmp_path / "f.csv", ["text"], [[long], ["short one"]])
    ingested = kit.ingest(tmp_path / "f.csv")
    assert ingested.records["text"].iloc[0] == long


def test_blank_lines_are_skipped_not_counted(kit, tmp_path):
    (tmp_path / "f.csv").write_text("text\n\nfirst comment\n\n\nsecond comment\n", encoding="utf-8")
    ingested = kit.ingest(tmp_path / "f.csv")
    assert ingested.stats["rows_read"] == 2 and ingested.records["source_row"].tolist() == [1, 2]


def test_unparseable_date_names_row_column_and_value(kit, tmp_path):
    kit.write_csv(tmp_path / "f.csv", ["text", "when"], [["late parcel", "2026-02-30"], ["ok", "15.01.2026"]])
    ingested = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "date": "when"})
    q = ingested.quarantine.iloc[0]
    assert (q["source_row"], q["column"], q["reason"]) == (1, "when", "unparseable date '2026-02-30'")
    assert str(q["source_file"]).endswith("f.csv")


def test_every_sheet_of_a_workbook_is_read(kit, tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"text": ["january one", "january two"]}).to_excel(writer, sheet_name="Jan", index=False)
        pd.DataFrame({"text": ["february one"]}).to_excel(writer, sheet_name="Feb", index=False)
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="Notes", index=False)
    ingested = kit.ingest(path)
    assert ingested.records["text"].tolist() == ["january one", "january two", "february one"]
    assert ingested.records["source_row"].tolist() == [1, 2, 3]
    assert ingested.records["source_file"].str.endswith("[Feb]").tolist() == [False, False, True]
    only = kit.ingest(path, sheet="Feb")
    assert only.records["text"].tolist() == ["february one"]


def test_forced_encoding_reads_a_legacy_file(kit, tmp_path):
    kit.write_csv(tmp_path / "f.csv", ["text"], [["Zażółć gęślą jaźń, przesyłka spóźniona"]], encoding="cp1250")
    ingested = kit.ingest(tmp_path / "f.csv", encoding="cp1250")
    assert ingested.records["text"].tolist() == ["Zażółć gęślą jaźń, przesyłka spóźniona"]


def test_personal_data_in_channel_journey_and_extra_segments_is_redacted(kit, tmp_path):
    kit.write_csv(
        tmp_path / "f.csv",
        ["text", "channel", "stage", "seg1", "seg2"],
        [["late parcel", "mail from jan@example.com", "call 601 234 567", "vip", "IBAN PL61109010140000071219812874"]],
    )
    columns = {"text": "text", "channel": "channel", "journey_stage": "stage", "segments": ["seg1", "seg2"]}
    record = kit.ingest(tmp_path / "f.csv", columns=columns).records.iloc[0]
    flat = " ".join(str(record[c]) for c in ("channel", "journey_stage", "segment", "extra"))
    assert "jan@example.com" not in flat and "601 234 567" not in flat and "PL61109010140000071219812874" not in flat
    assert "[EMAIL]" in flat and record["segment"] == "vip"


def test_hashed_customer_ids_still_join_the_customer_list(kit, tmp_path):
    from voc.config import load_settings
    from voc.pipeline.nodes import load_customers

    kit.write_csv(tmp_path / "f.csv", ["text", "cust"], [["late parcel", "anna@example.com"], ["fine", "C-77"]])
    kit.write_csv(
        tmp_path / "customers.csv", ["customer_id", "segment"], [["anna@example.com", "vip"], ["C-77", "retail"]]
    )
    records = kit.ingest(tmp_path / "f.csv", columns={"text": "text", "customer": "cust"}).records
    customers = load_customers(load_settings(customers_path=str(tmp_path / "customers.csv")))
    assert set(records["customer_id"]) == set(customers["customer_id"])
    assert "anna@example.com" not in set(records["customer_id"])
    redacted = kit.ingest(
        tmp_path / "f.csv", columns={"text": "text", "customer": "cust"}, ingest_settings={"customer_ids": "redact"}
    ).records
    assert redacted["customer_id"].tolist() == ["[EMAIL]", "C-77"]


_FINN = load_settings().shared_data_root / "finnsentiment_fi" / "finnsentiment.tsv"


@pytest.mark.slow
@pytest.mark.skipif(not _FINN.exists(), reason="public data sets not present")
def test_real_export_with_literal_quotes_keeps_every_line(kit):
    """FinnSentiment's TSV never quotes; its forum text has stray quotes that CSV quoting would
    read as the start of a field swallowing the following lines (pandas reads 22,523 of 25,636)."""
    lines = sum(1 for line in _FINN.open(encoding="utf-8") if line.strip()) - 1
    ingested = kit.ingest(_FINN, columns={"text": "text"}, night=None)
    assert ingested.stats["rows_read"] == lines and kit.accounted(ingested)
