"""Exact-duplicate removal within a customer and source."""

from __future__ import annotations

import pandas as pd

from voc.config import ColumnMapping, IngestSettings
from voc.ingest import ingest_frame
from voc.ingest.dedup import drop_duplicates, text_hash


def _records(rows):
    frame = pd.DataFrame(rows, columns=["source", "customer_id", "text", "created_at", "score"])
    return frame.assign(
        created_at=pd.to_datetime(frame["created_at"]),
        score_type=["nps" if pd.notna(s) else None for s in frame["score"]],
        text_hash=[text_hash(t) for t in frame["text"]],
    )


def test_same_customer_same_text_is_dropped_other_customer_or_source_kept():
    frame = _records(
        [
            ("shop", "c1", "Late delivery", "2024-03-01 10:00", None),
            ("shop", "c1", "late delivery", "2024-03-01 10:05", None),  # re-sent minutes later, case differs
            ("shop", "c2", "Late delivery", "2024-03-01 10:00", None),  # another customer
            ("app", "c1", "Late delivery", "2024-03-01 10:00", None),  # another source
        ]
    )
    kept, dropped = drop_duplicates(frame)
    assert dropped == 1 and kept.index.tolist() == [0, 2, 3]


def test_repeats_weeks_apart_or_with_other_scores_are_separate_answers():
    frame = _records(
        [
            ("shop", "c1", "nothing to add", "2024-03-01", 6.0),
            ("shop", "c1", "nothing to add", "2024-04-01", 6.0),  # next month's survey
            ("shop", "c1", "nothing to add", "2024-04-01", 3.0),  # same day, another score
            ("shop", "c1", "nothing to add", "2024-04-01", 3.0),  # a true re-send
        ]
    )
    kept, dropped = drop_duplicates(frame)
    assert dropped == 1 and kept.index.tolist() == [0, 1, 2]


def test_anonymous_rows_and_score_only_answers():
    frame = _records(
        [
            ("shop", None, "Great service", "2024-03-01", 10.0),
            ("shop", None, "Great service", "2024-03-01", 10.0),  # re-import of the same answer
            ("shop", None, "Great service", "2024-03-02", 10.0),  # another person
            ("shop", "c1", "", "2024-03-01", 3.0),
            ("shop", "c1", "", "2024-03-01", 3.0),  # score-only answers are never text duplicates
        ]
    )
    kept, dropped = drop_duplicates(frame)
    assert dropped == 1 and kept.index.tolist() == [0, 2, 3, 4]


def test_seen_keys_carry_over_between_chunks():
    seen: dict = {}
    first, _ = drop_duplicates(_records([("s", "c1", "Broken app", None, None)]), seen=seen)
    second, dropped = drop_duplicates(_records([("s", "c1", "Broken app", None, None)]), seen=seen)
    assert len(first) == 1 and second.empty and dropped == 1


def test_dedup_sees_through_spacing_unicode_and_redaction(warm_detector):
    frame = pd.DataFrame(
        {
            "text": ["Zwrot nie doszedł, pisz: a@b.pl", "Zwrot  nie doszedł,\npisz: c@d.pl", "Zwrot nie doszedł!"],
            "cust": ["c1", "c1", "c1"],
        }
    )
    batch = ingest_frame(frame, columns=ColumnMapping(customer="cust"), source_name="s")
    assert batch.stats["duplicates_dropped"] == 1 and batch.records["source_row"].tolist() == [1, 3]
    kept_all = ingest_frame(
        frame, columns=ColumnMapping(customer="cust"), source_name="s", settings=IngestSettings(drop_duplicates=False)
    )
    assert len(kept_all.records) == 3
