"""Ingest on the project's generated sample: what was planted must come out exactly."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from voc.config import SourceSettings
from voc.demo import SAMPLE_COLUMNS
from voc.ingest import ingest_source

sample = pytest.importorskip("voc.sample")

PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "iban": "[IBAN]", "card": "[CARD]"}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    paths = sample.write_sample(out, n_records=1200, seed=5)
    planted = json.loads(paths["planted"].read_text(encoding="utf-8"))
    mapping = SAMPLE_COLUMNS  # the mapping `voc demo` and voc.yaml use
    batches = list(ingest_source(SourceSettings(path=str(paths["feedback"]), columns=mapping)))
    records = pd.concat([b.records for b in batches], ignore_index=True)
    quarantine = pd.concat([b.quarantine for b in batches], ignore_index=True)
    raw = pd.read_csv(paths["feedback"], dtype=str, keep_default_na=False)
    return records, quarantine, raw, planted


def test_bad_rows_are_exactly_the_planted_ones(ingested):
    records, quarantine, raw, planted = ingested
    ids = raw["feedback_id"].to_numpy()
    found = {(ids[row - 1], column) for row, column in zip(quarantine["source_row"], quarantine["column"])}
    assert found == {(b["feedback_id"], b["column"]) for b in planted["bad_rows"]}
    assert not set(records["record_id"]) & {b["feedback_id"] for b in planted["bad_rows"]}


def test_duplicates_are_exactly_the_planted_ones(ingested):
    records, _, raw, planted = ingested
    bad = {b["feedback_id"] for b in planted["bad_rows"]}
    missing = set(raw["feedback_id"]) - set(records["record_id"]) - bad
    assert missing == {d["feedback_id"] for d in planted["duplicates"]}


def test_planted_personal_data_is_redacted_and_order_numbers_kept(ingested):
    records, _, _, planted = ingested
    text = records.set_index("record_id")["text"]
    checked = 0
    for item in planted["records"]:
        rid = item["feedback_id"]
        if rid not in text.index:
            continue
        for kind, placeholder in PLACEHOLDERS.items():
            assert (placeholder in text[rid]) == (kind in item["pii"]), (rid, kind, text[rid])
            checked += kind in item["pii"]
        if "order" in item["pii"]:
            assert any(ch.isdigit() for ch in text[rid]), text[rid]
    assert checked > 20
    assert not text.str.contains(r"@\w", regex=True).any()


def test_silent_answers_are_kept(ingested):
    records, _, _, _ = ingested
    silent = records[records["text"] == ""]
    assert len(silent) > 0 and silent["score"].notna().all()
