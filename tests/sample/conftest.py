from __future__ import annotations

import pytest

from voc.sample import generate_sample


@pytest.fixture(scope="session")
def sample():
    """The default sample (4,000 rows), generated once for the whole test session."""
    frame, planted = generate_sample()
    return frame, planted


@pytest.fixture(scope="session")
def truth(sample):
    """Per-record truth keyed by feedback_id: {"themes": [...], "tags": [...], "pii": [...]}."""
    _, planted = sample
    return {r["feedback_id"]: r for r in planted["records"]}
