"""Whole nights through `voc run --engine plain` on files the tests write: the simplest inputs
produce outputs, reruns are idempotent, edits are versions, outputs are safe to open."""

from __future__ import annotations

import openpyxl
import pandas as pd


def test_text_only_file_into_a_new_store_makes_a_night(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "comments.csv", ["id", "text"], [[str(i), kit.comment(i)] for i in range(24)])
    result = cli.run(file, args=["--id-column", "id"])
    assert result.exit_code == 0, result.output
    kit.assert_night_outputs(cli.out)
    assert len(cli.records()) == 24
    run = cli.query("SELECT status, n_read, n_new FROM runs")
    assert run.to_dict("records") == [{"status": "succeeded", "n_read": 24, "n_new": 24}]
    # the score sections explain themselves instead of crashing the night
    assert "No survey scores in this run:" in (cli.out / "report.html").read_text(encoding="utf-8")


def test_header_only_file_makes_an_empty_night(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "empty.csv", ["id", "text"], [])
    result = cli.run(file)
    assert result.exit_code == 0, result.output
    kit.assert_night_outputs(cli.out)
    assert len(cli.records()) == 0
    assert cli.query("SELECT status, n_read FROM runs").iloc[0].tolist() == ["succeeded", 0]


def test_all_quarantined_file_still_writes_quarantine_csv(cli, kit, tmp_path):
    rows = [[str(i), "", "2026-01-02", "11"] for i in range(6)]  # no text, and NPS 11
    file = kit.write_csv(tmp_path / "bad.csv", ["id", "text", "date", "nps"], rows)
    result = cli.run(file, args=["--id-column", "id", "--score-column", "nps", "--score-type", "nps"])
    assert result.exit_code == 0, result.output
    kit.assert_night_outputs(cli.out)
    quarantine = pd.read_csv(cli.out / "quarantine.csv")
    assert sorted(quarantine["source_row"].unique()) == [1, 2, 3, 4, 5, 6]
    assert cli.query("SELECT n_quarantined FROM runs").iloc[0, 0] == 6


def test_rerunning_a_night_is_idempotent(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "f.csv", kit.FULL_HEADER, kit.clean_rows(20))
    assert cli.run(file, args=kit.FULL_ARGS).exit_code == 0
    first = cli.records().sort_values("record_id").reset_index(drop=True)
    second_run = cli.run(file, args=kit.FULL_ARGS)
    assert second_run.exit_code == 0, second_run.output
    runs = cli.query("SELECT n_read, n_new FROM runs ORDER BY started_at")
    assert runs.to_dict("records") == [{"n_read": 20, "n_new": 20}, {"n_read": 20, "n_new": 0}]
    assert cli.query("SELECT count(*) FROM feedback").iloc[0, 0] == 20
    again = cli.records().sort_values("record_id").reset_index(drop=True)
    pd.testing.assert_series_equal(first["text"], again["text"])


def test_edited_text_under_a_known_id_is_a_new_version(cli, kit, tmp_path):
    rows = kit.clean_rows(20)
    file = kit.write_csv(tmp_path / "f.csv", kit.FULL_HEADER, rows)
    assert cli.run(file, args=kit.FULL_ARGS, night="2026-01-30").exit_code == 0
    rows[3][1] = "EDIT: the invoice shows a wrong amount and I was charged twice"
    file = kit.write_csv(tmp_path / "f.csv", kit.FULL_HEADER, rows)
    result = cli.run(file, args=kit.FULL_ARGS, night="2026-01-31")
    assert result.exit_code == 0, result.output
    stored = cli.query("SELECT text, version FROM feedback WHERE record_id = '3'").iloc[0]
    assert stored["text"].startswith("EDIT:") and stored["version"] == 2
    old = cli.query("SELECT text, version FROM feedback_versions WHERE record_id = '3'")
    assert old["version"].tolist() == [1] and old["text"].iloc[0] == kit.comment(3)
    # re-analysed: its units are the new text's, and the night counts it as new work
    units = cli.query("SELECT text FROM units WHERE record_id = '3'")["text"].str.cat(sep=" ")
    assert "invoice" in units and "courier" not in units
    assert cli.query("SELECT n_new FROM runs ORDER BY started_at DESC LIMIT 1").iloc[0, 0] == 1
    out = cli.records().set_index("record_id")
    assert out.loc["3", "text"].startswith("EDIT:") and pd.notna(out.loc["3", "sentiment"])
    assert "New versions of edited records" in (cli.out / "report.html").read_text(encoding="utf-8")


def test_future_dated_rows_are_quarantined_not_hidden(cli, kit, tmp_path):
    rows = kit.clean_rows(12)
    rows[2][2] = "2026-03-15"
    file = kit.write_csv(tmp_path / "f.csv", kit.FULL_HEADER, rows)
    assert cli.run(file, args=kit.FULL_ARGS).exit_code == 0
    assert "2" not in set(cli.query("SELECT record_id FROM feedback")["record_id"])
    assert len(cli.records()) == 11
    quarantine = pd.read_csv(cli.out / "quarantine.csv")
    assert quarantine["reason"].str.contains("after the night 2026-01-31").any()
    # the night it belongs to reads it
    assert cli.run(file, args=kit.FULL_ARGS, night="2026-03-31").exit_code == 0
    assert "2" in set(cli.records()["record_id"])


def test_personal_data_in_customer_ids_and_segments_never_reaches_outputs(cli, kit, tmp_path):
    rows = kit.clean_rows(16)
    rows[1][4] = "anna.nowak@example.com"
    rows[2][4] = "+48 601 234 567"
    rows[3][5] = "PL61 1090 1014 0000 0712 1981 2874"
    file = kit.write_csv(tmp_path / "f.csv", kit.FULL_HEADER, rows)
    assert cli.run(file, args=kit.FULL_ARGS).exit_code == 0
    secrets = ("anna.nowak", "601 234 567", "1090 1014")
    records = cli.records()
    stored = cli.query("SELECT customer_id, segment FROM feedback")
    report = (cli.out / "report.html").read_text(encoding="utf-8")
    for secret in secrets:
        assert not records.astype(str).apply(lambda c, s=secret: c.str.contains(s, regex=False)).any().any(), secret
        assert not stored.astype(str).apply(lambda c, s=secret: c.str.contains(s, regex=False)).any().any(), secret
        assert secret not in report
    ids = records.set_index("record_id")["customer_id"]
    assert ids["1"].startswith("cust-") and ids["0"] == "C0000"


def test_formula_like_text_stays_text_in_csv_and_xlsx_exports(kit, tmp_path):
    from voc.config import load_settings
    from voc.pipeline import run_pipeline
    from voc.report import write_exports

    prefixes = ("=", "+", "-", "@")
    rows = [[str(i), f"{prefixes[i % 4]}{kit.comment(i)}", f"2026-01-{1 + i % 28:02d}"] for i in range(40)]
    rows.append(["97", "=cmd|' /C calc'!A0", "not a date"])  # quarantined: its raw row lands in quarantine.csv
    file = kit.write_csv(tmp_path / "f.csv", ["id", "text", "date"], rows)
    settings = load_settings(
        db_path=tmp_path / "v.duckdb",
        out_dir=tmp_path / "out",
        sources=[{"path": str(file), "columns": {"text": "text", "id": "id", "date": "date"}}],
    )
    result = run_pipeline(settings, night=__import__("datetime").date(2026, 1, 31))
    context = result.catalog["context"]
    assert not context.priorities.empty
    # a label that starts like a formula, as an analyst's rename could make it
    context.priorities.loc[context.priorities.index[0], "theme_label"] = "=1+1 label"
    paths = write_exports(context, tmp_path / "again")
    cells = []
    for path in (paths["csv"], result.paths["quarantine"]):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        cells += [v for col in frame.columns for v in frame[col]]
    assert any(v.startswith("'=1+1") for v in cells)
    assert not [v for v in cells if v.startswith(prefixes) and not _is_number(v)]
    book = openpyxl.load_workbook(paths["xlsx"])
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert "=1+1 label" in texts  # kept as the text it is, as a string cell


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_every_row_read_is_accounted_for_in_the_run(cli, kit, tmp_path):
    rows = kit.clean_rows(20)
    rows.append(list(rows[0]))  # exact repeat: a counted duplicate
    rows.append(["5", "another text for id 5", "2026-01-03", "3", "C0005", "retail"])  # quarantined
    rows.append(["77", "", "2026-01-03", "", "C0077", "retail"])  # empty: quarantined
    file = kit.write_csv(tmp_path / "f.csv", kit.FULL_HEADER, rows)
    assert cli.run(file, args=kit.FULL_ARGS).exit_code == 0
    run = cli.query("SELECT n_read, n_new, n_quarantined FROM runs").iloc[0]
    assert (run["n_read"], run["n_new"], run["n_quarantined"]) == (23, 20, 2)
    assert len(cli.records()) == 20
    html = (cli.out / "report.html").read_text(encoding="utf-8")
    assert "Duplicates dropped" in html and "Rows quarantined" in html


def test_a_single_scored_record_makes_a_night(cli, kit, tmp_path):
    file = kit.write_csv(tmp_path / "one.csv", kit.FULL_HEADER, kit.clean_rows(1))
    result = cli.run(file, args=kit.FULL_ARGS)
    assert result.exit_code == 0, result.output
    kit.assert_night_outputs(cli.out)
    assert len(cli.records()) == 1
