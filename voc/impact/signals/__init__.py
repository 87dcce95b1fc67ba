"""What customers don't say: a registry of signals and :func:`detect_signals` to run them.

Each module registers one signal with :func:`register_signal`; importing this package registers
them all, in the order listed below (the order reports show them in).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import pandas as pd

from voc.config import ImpactSettings
from voc.impact._frames import with_record_columns
from voc.impact.signals import (  # noqa: F401  (imported to register)
    blind_spots,
    disagreement,
    emerging,
    non_responders,
    silent_detractors,
    unvoiced,
)
from voc.impact.signals.base import SIGNALS, SignalContext, SignalResult, register_signal

log = logging.getLogger(__name__)

__all__ = ["SIGNALS", "SignalContext", "SignalResult", "detect_signals", "register_signal"]


def detect_signals(
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    themes: pd.DataFrame,
    drivers: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    now: datetime,
    settings: ImpactSettings,
    names: Iterable[str] | None = None,
) -> dict[str, SignalResult]:
    """Run the registered signals (or those in ``names``) and return name -> result.

    A signal that fails is logged with its traceback and returned as an empty result whose
    ``summary["error"]`` holds the message, so one broken check never hides the others.

    Raises
    ------
    KeyError
        When ``names`` holds a signal that is not registered.
    """
    wanted = list(SIGNALS) if names is None else list(names)
    unknown = [n for n in wanted if n not in SIGNALS]
    if unknown:
        raise KeyError(f"unknown signal(s) {unknown}; registered: {sorted(SIGNALS)}")
    drivers = drivers if drivers is not None else pd.DataFrame()
    records = with_record_columns(records)
    ctx = SignalContext(records, record_themes, themes, drivers, now, settings, customers)
    results: dict[str, SignalResult] = {}
    for name in wanted:
        try:
            results[name] = SIGNALS[name](ctx)
        except Exception as exc:  # one failing check must not cost the night the others
            log.exception("signal %s failed", name)
            results[name] = SignalResult(name=name, title=name, explanation="failed", summary={"error": repr(exc)})
    return results
