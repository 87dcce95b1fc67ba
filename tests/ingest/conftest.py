"""Fixtures for the ingest tests: a small messy export and a warm language detector."""

from __future__ import annotations

import pandas as pd
import pytest

from voc.config import ColumnMapping, SourceSettings

POLISH = "zażółć gęślą jaźń"


@pytest.fixture
def feedback_frame() -> pd.DataFrame:
    """A small export with the usual mess: a score-only answer, an empty row, a bad date, a bad score."""
    return pd.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a4", "a5", "a6"],
            "comment": [
                f"Zamówienie przyszło uszkodzone, {POLISH}",
                "",
                "   ",
                "The app keeps crashing when I pay",
                "The app keeps crashing when I pay",
                "Die Lieferung kam zu spät",
            ],
            "date": ["2024-03-01", "15.03.2024", "2024-03-05", "31/02/2024", "2024-03-02", "2024-03-03"],
            "nps": ["3", "9", "", "7", "7", "11"],
            "cust": ["c1", "c2", "c3", "c4", "c4", "c5"],
        }
    )


@pytest.fixture
def mapping() -> ColumnMapping:
    return ColumnMapping(text="comment", id="id", date="date", score="nps", score_type="nps", customer="cust")


@pytest.fixture(scope="session")
def warm_detector():
    """Load lingua's models once for the whole run (the slow part of language detection)."""
    from voc.ingest.language import get_detector

    detector = get_detector()
    # lingua skips models of other scripts, so warm up with Latin and Cyrillic text
    detector.compute_language_confidence_values_in_parallel(["warm up the models once", "Прогріти мовні моделі"])
    return detector


def make_source(path, mapping: ColumnMapping, **kwargs) -> SourceSettings:
    return SourceSettings(path=str(path), columns=mapping, **kwargs)


@pytest.fixture
def source_for():
    """Build a file source for ``path`` with a column mapping."""
    return make_source
