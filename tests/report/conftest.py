"""Fixtures of the report tests: a synthetic context with every section filled, and a minimal one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_NAME = "voc_tests_report_synthetic"


def load_synthetic():
    """Import ``synthetic_context.py`` by path, so it works whatever pytest's import mode."""
    if _NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("synthetic_context.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
    return sys.modules[_NAME]


@pytest.fixture()
def synthetic():
    return load_synthetic()


@pytest.fixture()
def ctx(synthetic):
    return synthetic.make_context()


@pytest.fixture()
def minimal_ctx(synthetic):
    return synthetic.minimal_context()


@pytest.fixture(scope="session")
def rendered_full() -> str:
    """The report of the full synthetic context; rendering is slow, read-only tests share it."""
    from voc.report import render_report

    return render_report(load_synthetic().make_context())
