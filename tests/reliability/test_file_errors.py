"""File-level problems through `voc run`: exit status 2, one plain sentence naming the file,
option or column, no traceback (unless --verbose), and nothing stored is lost."""

from __future__ import annotations

import zipfile

import pandas as pd


def test_impossible_night_names_the_option(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["text"], [["hello"]])
    kit.assert_one_sentence(cli.run(file, night="2026-13-45"), "--night", "2026-13-45", "YYYY-MM-DD")


def test_db_pointing_at_a_csv_is_refused_and_left_untouched(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["text"], [["hello"]])
    target = kit.write_csv(tmp_path / "notes.csv", ["a"], [["1"]])
    before = target.read_bytes()
    kit.assert_one_sentence(cli.run(file, db=target), "notes.csv", "not a DuckDB database")
    assert target.read_bytes() == before


def test_db_that_is_a_corrupt_file_is_refused(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["text"], [["hello"]])
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"\x00garbage" * 200)
    kit.assert_one_sentence(cli.run(file, db=broken), "broken.duckdb", "not a DuckDB database")


def test_directory_as_input_says_so(cli, kit, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    kit.assert_one_sentence(cli.run(folder), "exports", "folder")


def test_missing_input_file_is_named(cli, kit, tmp_path):
    kit.assert_one_sentence(cli.run(tmp_path / "nope.csv"), "nope.csv", "not found")


def test_missing_text_column_names_it_and_the_columns(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["comment", "when"], [["hi", "2026-01-01"]])
    kit.assert_one_sentence(cli.run(file, text="body"), "f.csv", "'body'", "comment")


def test_repeated_column_name_is_ambiguous_not_guessed(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["text", "text"], [["The app crashes", "en"], ["Slow delivery", "en"]])
    kit.assert_one_sentence(cli.run(file), "f.csv", "more than one column named 'text'")
    assert not cli.db.exists() or cli.query("SELECT count(*) FROM feedback").iloc[0, 0] == 0


def test_empty_file_names_the_file(cli, kit, tmp_path):
    file = tmp_path / "zero.csv"
    file.write_bytes(b"")
    kit.assert_one_sentence(cli.run(file), "zero.csv", "empty")


def test_unknown_encoding_option_is_named(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["text"], [["hello"]])
    kit.assert_one_sentence(cli.run(file, args=["--encoding", "klingon-8"]), "--encoding", "klingon-8")


def test_verbose_shows_the_traceback_quiet_does_not(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["comment"], [["hi"]])
    quiet = cli.run(file)
    loud = cli.run(file, args=["--verbose"])
    assert quiet.exit_code == loud.exit_code == 2
    assert "Traceback" not in quiet.output and "Traceback" in loud.output


def test_missing_column_in_a_workbook_names_its_sheets(cli, kit, tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"notes": ["x"]}).to_excel(writer, sheet_name="Intro", index=False)
        pd.DataFrame({"comment": ["hi"]}).to_excel(writer, sheet_name="Data", index=False)
    kit.assert_one_sentence(cli.run(path), "book.xlsx", "sheet 'Intro'", "sheet 'Data'", "--sheet")


def test_unknown_sheet_lists_the_sheets(cli, kit, tmp_path):
    path = tmp_path / "book.xlsx"
    pd.DataFrame({"text": ["hi"]}).to_excel(path, sheet_name="Answers", index=False)
    kit.assert_one_sentence(cli.run(path, args=["--sheet", "Feedback"]), "no sheet 'Feedback'", "Answers")


def test_invalid_setting_in_the_config_names_the_field(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", ["text"], [["hello"]])
    config = tmp_path / "voc.yaml"
    config.write_text("ingest:\n  chunk_size: -5\n", encoding="utf-8")
    kit.assert_one_sentence(cli.run(file, args=["--config", str(config)]), "ingest.chunk_size")


def test_nothing_to_read_is_one_sentence(cli, kit):
    kit.assert_one_sentence(cli.run(), "nothing to read")


def test_failed_night_keeps_the_previous_night(cli, kit, tmp_path):
    good = kit.write_csv(tmp_path / "good.csv", ["id", "text"], [[str(i), kit.comment(i)] for i in range(12)])
    assert cli.run(good, args=["--id-column", "id"]).exit_code == 0
    before = cli.query("SELECT record_id, text FROM feedback ORDER BY record_id")
    bad = kit.write_csv(tmp_path / "bad.csv", ["id", "body"], [["1", "x"]])
    kit.assert_one_sentence(cli.run(bad, args=["--id-column", "id"]), "bad.csv")
    pd.testing.assert_frame_equal(before, cli.query("SELECT record_id, text FROM feedback ORDER BY record_id"))


def test_workbook_renamed_csv_is_read_as_a_workbook(cli, kit, tmp_path):
    real = tmp_path / "real.xlsx"
    pd.DataFrame({"id": [str(i) for i in range(12)], "text": [kit.comment(i) for i in range(12)]}).to_excel(
        real, index=False
    )
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(real.read_bytes())
    assert zipfile.is_zipfile(renamed)
    ingested = kit.ingest(renamed, columns={"text": "text", "id": "id"})
    assert ingested.records["text"].tolist() == [kit.comment(i) for i in range(12)]
