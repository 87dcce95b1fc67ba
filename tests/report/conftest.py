"""Fixtures of the report tests: a synthetic context with every section filled, and a minimal one."""

from __future__ import annotations

from pathlib import Path

import pytest
from by_path import load_module

_NAME = "voc_tests_report_synthetic"


def load_synthetic():
    return load_module(_NAME, Path(__file__).with_name("synthetic_context.py"))


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
