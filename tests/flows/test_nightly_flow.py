"""The voc-nightly flow end to end on a small generated sample, twice (idempotence)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

pytestmark = [pytest.mark.flow, pytest.mark.xdist_group("prefect")]

CONTRACT_FILES = (
    "records.parquet",
    "themes.parquet",
    "priorities.csv",
    "priorities.xlsx",
    "priorities.json",
    "report.html",
)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory):
    from voc.sample import write_sample

    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, n_records=500, seed=3)
    return folder


def test_flow_runs_end_to_end_and_rerun_is_idempotent(prefect_api, sample_dir, tmp_path):
    from flows.nightly import voc_nightly
    from voc.demo import demo_settings, prepare_demo

    night, _ = prepare_demo(sample_dir, n_records=500, seed=3)
    out = tmp_path / "out"
    settings = demo_settings(sample_dir, out).model_dump(mode="json")

    paths = voc_nightly(settings=settings, night=night, out_dir=str(out))
    for name in CONTRACT_FILES:
        assert (out / name).exists(), name
    assert Path(paths["report"]).name == "report.html"

    records = pd.read_parquet(out / "records.parquet")
    for column in (
        "record_id",
        "source",
        "language",
        "text",
        "theme_id",
        "theme_label",
        "sentiment",
        "sentiment_label",
    ):
        assert column in records.columns
    assert records["sentiment"].dropna().between(-1, 1).all()
    assert set(records["sentiment_label"].dropna()) <= {"negative", "neutral", "positive"}
    assert (records["theme_id"] >= 0).mean() > 0.5
    n_first = len(records)

    voc_nightly(settings=settings, night=night, out_dir=str(out))
    con = duckdb.connect(str(out / "voc.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == n_first
        assert con.execute("SELECT count(DISTINCT record_id) FROM feedback").fetchone()[0] == n_first
        nights = con.execute("SELECT count(DISTINCT night), count(*) FROM priorities").fetchone()
        runs = con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert nights[0] == 1 and nights[1] > 0
    assert [r[0] for r in runs] == ["succeeded", "succeeded"]
    assert len(pd.read_parquet(out / "records.parquet")) == n_first
    body = json.loads((out / "priorities.json").read_text(encoding="utf-8"))
    assert body  # the documented export is not empty
