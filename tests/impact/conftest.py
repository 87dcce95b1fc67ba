"""Fixtures over the synthetic frames of ``impact_frames`` (a module of its own, so tests import it by a unique name)."""

from __future__ import annotations

import pytest
from impact_frames import NOW, make_frames


@pytest.fixture
def frames():
    return make_frames()


@pytest.fixture
def now():
    return NOW
