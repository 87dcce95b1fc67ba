"""The signal protocol and registry: each "what customers don't say" check is one registered function.

A signal takes a :class:`SignalContext` (the night's tables) and returns a :class:`SignalResult`
with a table, a summary, example records and a plain-language explanation of its method, so a
report can show any signal without knowing it. New checks plug in with
``@register_signal("name")`` and need no change elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from voc.config import ImpactSettings


@dataclass
class SignalResult:
    """What one signal found.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"silent_detractors"``.
    title : str
        Heading for reports.
    explanation : str
        The method in plain language (what was counted, against what, which test).
    table : DataFrame
        The main finding, one row per theme / segment / cell (columns documented per signal).
    summary : dict
        Headline counts and shares by segment, JSON-serialisable.
    examples : DataFrame
        Example records (``record_id``, ``text`` and the fields that explain why they were picked).
    """

    name: str
    title: str
    explanation: str
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)
    examples: pd.DataFrame = field(default_factory=pd.DataFrame)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (tables as lists of row objects, dates ISO) for artifacts and exports."""
        import json

        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return (
                json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))
                if not frame.empty
                else []
            )

        return {
            "name": self.name,
            "title": self.title,
            "explanation": self.explanation,
            "summary": self.summary,
            "table": rows(self.table),
            "examples": rows(self.examples),
        }

    @property
    def found(self) -> bool:
        """True when the signal has at least one row to show."""
        return not self.table.empty


@dataclass(frozen=True)
class SignalContext:
    """Everything a signal may read. ``customers`` is the optional customer list
    (``customer_id``, ``value``, ``churned``, optionally ``segment``)."""

    records: pd.DataFrame
    record_themes: pd.DataFrame
    themes: pd.DataFrame
    drivers: pd.DataFrame
    now: datetime
    settings: ImpactSettings
    customers: pd.DataFrame | None = None


SignalFn = Callable[[SignalContext], SignalResult]

#: name -> signal function, filled by :func:`register_signal`.
SIGNALS: dict[str, SignalFn] = {}


def register_signal(name: str) -> Callable[[SignalFn], SignalFn]:
    """Decorator adding a signal to :data:`SIGNALS` under ``name`` (names must be unique)."""

    def decorate(fn: SignalFn) -> SignalFn:
        if name in SIGNALS and SIGNALS[name] is not fn:
            raise ValueError(f"a signal named {name!r} is already registered ({SIGNALS[name].__module__})")
        SIGNALS[name] = fn
        return fn

    return decorate


def example_records(records: pd.DataFrame, record_ids, *, n: int = 5, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Up to ``n`` example records (deterministic: the most recent first), with a few context fields."""
    cols = [
        c
        for c in (
            "record_id",
            "created_at",
            "text",
            "score",
            "score_type",
            "segment",
            "channel",
            "journey_stage",
            "source_type",
            *extra,
        )
        if c in records
    ]
    picked = records.loc[records["record_id"].isin(set(record_ids)), cols]
    if "created_at" in picked:
        picked = picked.sort_values(["created_at", "record_id"], ascending=[False, True])
    return picked.head(n).reset_index(drop=True)


def shares_by(
    frame: pd.DataFrame, subset_mask: pd.Series, column: str, *, top: int = 10
) -> dict[str, dict[str, float]]:
    """For each value of ``column``: its share among the subset and among all rows of ``frame``.

    Answers "where": a segment holding 40 % of the subset but 15 % of all respondents stands out.
    """
    if column not in frame:
        return {}
    values = frame[column].fillna("(none)").astype(str)
    in_subset = values[subset_mask.to_numpy(bool)].value_counts(normalize=True)
    overall = values.value_counts(normalize=True)
    out = {}
    for key in in_subset.index[:top]:
        out[key] = {
            "share_of_signal": round(float(in_subset[key]), 4),
            "share_of_all": round(float(overall.get(key, 0.0)), 4),
        }
    return out
