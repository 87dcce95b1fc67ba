"""Fixtures of the reliability catalogue: ``kit`` (helpers in kit.py) and ``cli`` (``voc run`` in-process)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_NAME = "voc_reliability_kit"


def _kit():
    """Import ``kit.py`` by path, so it works whatever pytest's import mode."""
    if _NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("kit.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
    return sys.modules[_NAME]


@pytest.fixture(scope="session")
def kit():
    return _kit()


@pytest.fixture
def cli(tmp_path, kit):
    return kit.Cli(tmp_path)
