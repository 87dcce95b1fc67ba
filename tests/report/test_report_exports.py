"""Exports: CSV, XLSX, JSON (against its schema) and SQL round trips."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from voc.report import write_exports, write_sql
from voc.report.exports import load_schema, priorities_document
from voc.schemas import PRIORITY_COLUMNS

LETTERS = "zażółć äö їє"


@pytest.fixture()
def exported(ctx, tmp_path):
    ctx.priorities.loc[ctx.priorities["rank"] == 2, "why"] = f"letters {LETTERS}"
    return ctx, write_exports(ctx, tmp_path)


def _validator() -> jsonschema.Validator:
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_exports_are_written(exported, tmp_path):
    _, paths = exported
    assert set(paths) == {"csv", "xlsx", "json"}
    assert all(p.parent == tmp_path and p.stat().st_size > 0 for p in paths.values())


def test_csv_keeps_letters_for_excel(exported):
    ctx, paths = exported
    raw = paths["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to pick UTF-8
    back = pd.read_csv(paths["csv"], encoding="utf-8-sig")
    assert list(back.columns[:2]) == ["run_id", "night"]
    assert list(back.columns[2 : 2 + len(PRIORITY_COLUMNS)]) == list(PRIORITY_COLUMNS)
    row = back.loc[back["rank"] == 2].iloc[0]
    assert row["why"] == f"letters {LETTERS}"
    assert set(back["theme_label"]) >= {"Spóźniona dostawa", "Laskutusvirhe ja äöå", "Довгі черги на лінії"}
    assert back["rank"].tolist() == sorted(ctx.priorities["rank"])
    assert (back["run_id"] == ctx.run_id).all()


def test_csv_defuses_formulas(exported, synthetic):
    _, paths = exported
    back = pd.read_csv(paths["csv"], encoding="utf-8-sig")
    assert "'" + synthetic.FORMULA_LABEL in set(back["theme_label"])
    assert not back["theme_label"].astype(str).str.match(r"^[=+@]").any()


def test_xlsx_sheets_filters_frozen_header_widths(exported, synthetic):
    ctx, paths = exported
    book = openpyxl.load_workbook(paths["xlsx"])
    assert {"priorities", "themes", "silent signals", "alerts"} <= set(book.sheetnames)
    for name in ("priorities", "themes", "silent signals", "alerts"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
    pr = book["priorities"]
    header = [c.value for c in pr[1]]
    assert header[:2] == ["run_id", "night"]
    why_col = openpyxl.utils.get_column_letter(header.index("why") + 1)
    rank_col = openpyxl.utils.get_column_letter(header.index("rank") + 1)
    assert pr.column_dimensions[why_col].width > 3 * pr.column_dimensions[rank_col].width
    assert pr.max_row == len(ctx.priorities) + 1
    labels = {c.value: c.data_type for c in pr[openpyxl.utils.get_column_letter(header.index("theme_label") + 1)][1:]}
    assert labels[synthetic.FORMULA_LABEL] == "s"  # text, never a live formula
    assert f"letters {LETTERS}" in [c.value for c in pr[why_col]]
    signals = pd.read_excel(paths["xlsx"], sheet_name="silent signals")
    expected = sum(len(t) for t in ctx.signals.values())
    assert len(signals) == expected and set(signals["signal"]) == {n for n, t in ctx.signals.items() if len(t)}
    themes = pd.read_excel(paths["xlsx"], sheet_name="themes")
    assert themes["keywords"].str.contains("pl: ").any()


def test_xlsx_with_empty_optional_tables(ctx, tmp_path):
    ctx.alerts = pd.DataFrame()
    ctx.signals = {}
    paths = write_exports(ctx, tmp_path)
    book = openpyxl.load_workbook(paths["xlsx"])
    assert [c.value for c in book["alerts"][1]][:2] == ["kind", "theme_id"]
    assert book["silent signals"].freeze_panes == "A2"


def test_json_validates_against_documented_schema(exported):
    ctx, paths = exported
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    _validator().validate(doc)
    assert [p["rank"] for p in doc["priorities"]] == sorted(ctx.priorities["rank"])
    assert doc["priorities"][1]["why"] == f"letters {LETTERS}"
    assert LETTERS in paths["json"].read_text(encoding="utf-8")  # letters, not \\u escapes
    # NaN becomes null, never the invalid JSON token NaN
    third = doc["priorities"][2]
    assert third["trend_pct"] is None and "NaN" not in paths["json"].read_text(encoding="utf-8")
    assert doc["priorities"][0]["keywords"]["pl"]
    assert doc["run"]["run_id"] == ctx.run_id and doc["run"]["night"] == "2026-10-24"


def test_schema_documents_exactly_the_priority_columns():
    schema = load_schema()
    item = schema["$defs"]["priority"]
    assert item["required"] == list(PRIORITY_COLUMNS)
    assert all(item["properties"][c].get("description") or c in ("rank",) for c in PRIORITY_COLUMNS)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["priorities"][0].update(rank=0),
        lambda d: d["priorities"][0].pop("why"),
        lambda d: d["priorities"][0].update(priority_score=1.5),
        lambda d: d.update(schema_version="2.0"),
    ],
)
def test_schema_rejects_broken_documents(ctx, mutate):
    doc = json.loads(json.dumps(priorities_document(ctx)))
    _validator().validate(doc)
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(doc)


def test_sql_export_replaces_rows_of_the_same_run(ctx, tmp_path):
    url = f"sqlite:///{tmp_path / 'out.db'}"
    assert write_sql(ctx, url, table="prio") == len(ctx.priorities)
    write_sql(ctx, url, table="prio")  # the same night again: no duplicates
    other = ctx.run | {"run_id": "next-night"}
    ctx2 = type(ctx)(**{**ctx.__dict__, "run": other})
    ctx2.priorities = ctx.priorities.head(2)
    write_sql(ctx2, url, table="prio")
    engine = sa.create_engine(url)
    back = pd.read_sql_table("prio", engine)
    engine.dispose()
    assert back.groupby("run_id").size().to_dict() == {ctx.run_id: len(ctx.priorities), "next-night": 2}
    assert "Довгі черги на лінії" in set(back["theme_label"])
    assert {"rank", "why", "exported_at"} <= set(back.columns)
    mine = back[back["run_id"] == ctx.run_id].sort_values("rank")
    assert np.allclose(mine["priority_score"], ctx.priorities.sort_values("rank")["priority_score"])


def test_write_exports_also_writes_sql(ctx, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    write_exports(ctx, tmp_path, sql_url=url, sql_table="voc_priorities")
    engine = sa.create_engine(url)
    assert len(pd.read_sql_table("voc_priorities", engine)) == len(ctx.priorities)
    engine.dispose()


def test_sql_error_names_table_and_masks_password(ctx, tmp_path):
    url = f"sqlite:///{tmp_path / 'y.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE prio (something TEXT)"))
    engine.dispose()
    with pytest.raises(RuntimeError, match="prio.*no run_id"):
        write_sql(ctx, url, table="prio")


def test_messy_inputs_still_export_valid_files(ctx, tmp_path):
    ctx.priorities["n_customers"] = pd.array([5, None, 3, None, 1], dtype="Int64")
    ctx.priorities.loc[0, "why"] = "control \x01 char and\nnewline"
    ctx.themes["keywords"] = [{"pl": ["paczka"]}, None, "not json", {}, {"de": ["preis"]}]
    ctx.themes["born_at"] = pd.to_datetime(ctx.themes["born_at"]).dt.tz_localize("Europe/Warsaw")
    ctx.alerts["created_at"] = pd.to_datetime(ctx.alerts["created_at"]).dt.tz_localize("UTC")
    ctx.themes["centroid"] = [np.ones(4, dtype=np.float32) for _ in range(len(ctx.themes))]
    paths = write_exports(ctx, tmp_path)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    _validator().validate(doc)
    assert [p["n_customers"] for p in doc["priorities"]] == [5, None, 3, None, 1]
    assert doc["priorities"][0]["keywords"] == {"pl": ["paczka"]} and "keywords" not in doc["priorities"][1]
    book = openpyxl.load_workbook(paths["xlsx"])
    assert book["themes"].max_row == len(ctx.themes) + 1
    assert "centroid" not in [c.value for c in book["themes"][1]]
    back = pd.read_csv(paths["csv"], encoding="utf-8-sig")
    assert back.loc[0, "why"] == "control \x01 char and\nnewline"


def test_xlsx_says_what_each_count_means_beside_it(exported):
    ctx, paths = exported
    about = pd.read_excel(paths["xlsx"], sheet_name="about")
    notes = dict(zip(about["item"], about["note"]))
    assert "mention" in notes["column: n_records"] and "n_negative" in notes["column: negativity"]
    metric = ctx.priorities["impact_metric"].dropna().iloc[0]
    assert notes[f"column: impact ({metric})"]
    sheet = openpyxl.load_workbook(paths["xlsx"])["priorities"]
    header = [c.value for c in sheet[1]]
    impact = sheet.cell(row=2, column=header.index("impact") + 1)
    assert impact.number_format == "+0.00;-0.00;0.00"
