"""Themes: several per record, one across languages, stable night to night, editable by analysts.

:mod:`voc.themes.pipeline` holds the nightly step's pure jobs (fit or assign, curate, label,
settle) over a loaded :class:`~voc.themes.state.ThemeState`, and :func:`update_themes` runs them
against a store in one call; :class:`ThemeModel` discovers themes; :func:`split_units` cuts
records into sentences; :mod:`voc.themes.curation` holds the analysts' edits and
:data:`voc.themes.cli.themes_app` the ``voc themes`` commands; :func:`label_problems` says why a
theme label is unfit for a reader. Modules load on first use, so ``import voc.themes`` (and
``voc --help``) stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ThemeUpdate": "voc.themes.pipeline",
    "update_themes": "voc.themes.pipeline",
    "record_themes": "voc.themes.pipeline",
    "ThemeModel": "voc.themes.model",
    "split_units": "voc.themes.segment",
    "describe_themes": "voc.themes.labels",
    "label_problems": "voc.themes.label_rules",
    "is_readable_label": "voc.themes.label_rules",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'voc.themes' has no attribute {name!r}")
