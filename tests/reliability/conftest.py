"""Fixtures of the reliability catalogue: ``kit`` (helpers in kit.py) and ``cli`` (``voc run`` in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from by_path import load_module

_NAME = "voc_reliability_kit"


def _kit():
    return load_module(_NAME, Path(__file__).with_name("kit.py"))


@pytest.fixture(scope="session")
def kit():
    return _kit()


@pytest.fixture
def cli(tmp_path, kit):
    return kit.Cli(tmp_path)
