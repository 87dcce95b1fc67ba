"""Each reader on small files written here; letters must survive every encoding."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from voc.config import SourceSettings
from voc.ingest import IngestError
from voc.ingest.readers import detect_encoding, mask_url, read_source

POLISH = "zażółć gęślą jaźń"
GERMAN = "Größe, Übergabe, schön, Straße"
UKRAINIAN = "Доставка була швидкою, дякую"


def _rows(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"x{i}" for i in range(len(texts))], "text": texts, "score": ["5"] * len(texts)})


def _read_all(source: SourceSettings, chunk_size: int = 1000) -> pd.DataFrame:
    return pd.concat(list(read_source(source, chunk_size=chunk_size)))


@pytest.mark.parametrize(
    ("encoding", "texts"),
    [
        ("utf-8", [POLISH, GERMAN, UKRAINIAN]),
        ("utf-8-sig", [POLISH, GERMAN, UKRAINIAN]),
        (
            "cp1250",
            [
                f"Zamówienie: {POLISH}",
                "Kurier zgubił paczkę, żenująca obsługa, proszę o zwrot pieniędzy",
                "Świetny sklep, polecam każdemu",
            ],
        ),
        (
            "latin-1",
            [
                f"Lieferung: {GERMAN}",
                "Die Größe war falsch und die Rücksendung dauerte zu lange",
                "Schöne Ware, schnelle Übergabe",
            ],
        ),
    ],
)
def test_csv_encodings_keep_letters(tmp_path, encoding, texts):
    path = tmp_path / f"in_{encoding}.csv"
    _rows(texts).to_csv(path, index=False, encoding=encoding)
    frame = _read_all(SourceSettings(path=str(path)))
    assert frame["text"].tolist() == texts
    assert frame.index.tolist() == [1, 2, 3]


def test_cp1250_is_not_read_as_latin1(tmp_path):
    path = tmp_path / "pl.csv"
    path.write_bytes(f'text\n{POLISH}\n"Łódź, Gdańsk i Kraków"\n'.encode("cp1250"))
    assert detect_encoding(path) in {"cp1250", "iso8859-2"}
    frame = _read_all(SourceSettings(path=str(path)))
    assert frame["text"].tolist() == [POLISH, "Łódź, Gdańsk i Kraków"]


def test_semicolon_csv_and_quoted_newlines(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text('id;text\n1;"first line\nsecond; line"\n2;plain\n', encoding="utf-8")
    frame = _read_all(SourceSettings(path=str(path)))
    assert list(frame.columns) == ["id", "text"]
    assert frame["text"].tolist() == ["first line\nsecond; line", "plain"]


def test_single_column_csv_keeps_commas(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("comment\nGood, fast; cheap\nSlow, bad\n", encoding="utf-8")
    frame = _read_all(SourceSettings(path=str(path)))
    assert list(frame.columns) == ["comment"]
    assert frame["comment"].tolist() == ["Good, fast; cheap", "Slow, bad"]


def test_csv_chunks_number_rows_across_chunks(tmp_path):
    path = tmp_path / "many.csv"
    _rows([f"text {i}" for i in range(7)]).to_csv(path, index=False)
    chunks = list(read_source(SourceSettings(path=str(path)), chunk_size=3))
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [int(c.index[0]) for c in chunks] == [1, 4, 7]
    assert chunks[2]["text"].iloc[0] == "text 6"


def test_header_only_csv_still_yields_columns(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("id,comment\n", encoding="utf-8")
    chunks = list(read_source(SourceSettings(path=str(path))))
    assert len(chunks) == 1 and list(chunks[0].columns) == ["id", "comment"] and chunks[0].empty


def test_xlsx_renders_typed_cells_as_text(tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame(
        {
            "text": [POLISH, UKRAINIAN],
            "score": [9, 7.5],
            "when": pd.to_datetime(["2024-03-01 10:00", "2024-03-02 00:00"]),
        }
    ).to_excel(path, index=False, sheet_name="Answers")
    frame = _read_all(SourceSettings(path=str(path), sheet="Answers"))
    assert frame["text"].tolist() == [POLISH, UKRAINIAN]
    assert frame["score"].tolist() == ["9", "7.5"]
    assert pd.Timestamp(frame["when"].iloc[0]) == pd.Timestamp("2024-03-01 10:00")
    with pytest.raises(IngestError, match="no sheet 'Nope'"):
        _read_all(SourceSettings(path=str(path), sheet="Nope"))


@pytest.mark.parametrize("wrapped", [False, True])
def test_json_list_and_records(tmp_path, wrapped):
    items = [{"text": POLISH, "score": 9, "tags": ["a", "b"]}, {"text": GERMAN, "extra": None}]
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"records": items} if wrapped else items, ensure_ascii=False), encoding="utf-8")
    frame = _read_all(SourceSettings(path=str(path)))
    assert frame["text"].tolist() == [POLISH, GERMAN]
    assert frame["score"].tolist() == ["9", None]
    assert json.loads(frame["tags"].iloc[0]) == ["a", "b"]


def test_json_rejects_non_objects(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"text": "ok"}, 3]', encoding="utf-8")
    with pytest.raises(IngestError, match=r"bad\.json, row 2"):
        _read_all(SourceSettings(path=str(path)))


def test_jsonl_uses_line_numbers(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"text": POLISH}, ensure_ascii=False) + "\n\n" + json.dumps({"text": UKRAINIAN, "n": 2}) + "\n",
        encoding="utf-8",
    )
    frame = _read_all(SourceSettings(path=str(path)))
    assert frame["text"].tolist() == [POLISH, UKRAINIAN]
    assert frame.index.tolist() == [1, 3]
    assert frame["n"].tolist() == [None, "2"]


def test_jsonl_bad_line_is_a_row_problem_not_a_file_error(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "a"}\n{"text": \n{"text": "c"}\n', encoding="utf-8")
    frame = _read_all(SourceSettings(path=str(path)))
    assert frame.index.tolist() == [1, 2, 3]
    assert frame.loc[3, "text"] == "c"


def test_parquet_in_batches(tmp_path):
    path = tmp_path / "in.parquet"
    pd.DataFrame({"text": [POLISH, GERMAN, UKRAINIAN], "score": [1.0, None, 3.0]}).to_parquet(path)
    chunks = list(read_source(SourceSettings(path=str(path)), chunk_size=2))
    frame = pd.concat(chunks)
    assert frame["text"].tolist() == [POLISH, GERMAN, UKRAINIAN]
    assert frame["score"].tolist() == ["1", None, "3"]
    assert frame.index.tolist() == [1, 2, 3]


def test_sql_sqlite_query(tmp_path):
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table fb (id integer, body text, score real)")
        conn.executemany("insert into fb values (?, ?, ?)", [(1, POLISH, 9), (2, UKRAINIAN, None), (3, "x", 4)])
    source = SourceSettings(url=f"sqlite:///{db}", query="select id, body, score from fb where id < 3 order by id")
    frame = _read_all(source, chunk_size=1)
    assert frame["body"].tolist() == [POLISH, UKRAINIAN]
    assert frame["score"].tolist() == ["9", None]
    assert frame.index.tolist() == [1, 2]


def test_sql_errors_do_not_leak_password(tmp_path):
    source = SourceSettings(url=f"sqlite:///{tmp_path}/x.db", query="select * from missing_table")
    with pytest.raises(IngestError) as info:
        _read_all(source)
    assert "missing_table" in str(info.value)
    assert (
        mask_url("postgresql+psycopg://bob:s3cret@db.example.com/voc")
        == "postgresql+psycopg://bob:***@db.example.com/voc"
    )
    remote = SourceSettings(url="postgresql+psycopg://bob:s3cret@127.0.0.1:1/voc", query="select 1")
    with pytest.raises(IngestError) as info:
        _read_all(remote)
    assert "bob:***@127.0.0.1" in str(info.value) and "s3cret" not in str(info.value)


def test_missing_file_and_unknown_suffix_name_the_file(tmp_path):
    with pytest.raises(IngestError, match="nothing.csv: file not found"):
        _read_all(SourceSettings(path=str(tmp_path / "nothing.csv")))
    odd = tmp_path / "data.xyz"
    odd.write_text("text\nhello\n")
    with pytest.raises(IngestError, match=r"data\.xyz.*suffix '\.xyz'"):
        _read_all(SourceSettings(path=str(odd)))


def test_undecodable_bytes_are_flagged_on_their_row(tmp_path):
    path = tmp_path / "forced.csv"
    path.write_bytes("text\nżółw\nok\n".encode())
    chunks = list(read_source(SourceSettings(path=str(path), encoding="ascii")))
    assert list(chunks[0].attrs["read_problems"]) == [1]
    assert chunks[0].loc[2, "text"] == "ok"
