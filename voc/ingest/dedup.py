"""Text hashes and exact-duplicate removal.

The same complaint often arrives twice: submitted in a form and sent by e-mail minutes later, or
exported in two overlapping CRM dumps. Counting it twice inflates a theme, so exact repeats are
dropped within a customer and source. Comparison is on the normalised, redacted, lower-cased text,
so repeats that differ only in case, spacing, Unicode composition or a quoted phone number match.

A repeat is only a duplicate when it is plausibly the same message: sent within
:data:`DUPLICATE_WINDOW` of the first and carrying the same score. A customer who answers
"nothing to add" with NPS 6 in September and again in November gave two survey answers, and both
count in NPS (silent detractors are found exactly there).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, MutableMapping

import numpy as np
import pandas as pd

#: Largest gap between two copies of one message from the same customer.
DUPLICATE_WINDOW = pd.Timedelta(hours=24)


def text_hash(text: str) -> str:
    """sha1 hex of the lower-cased text; ``text`` must already be normalised and redacted."""
    return hashlib.sha1(text.lower().encode("utf-8")).hexdigest()


def text_hashes(texts: Iterable[str]) -> list[str]:
    """:func:`text_hash` per text."""
    return [text_hash(t) for t in texts]


def dedup_keys(records: pd.DataFrame) -> list[Hashable | None]:
    """The duplicate key of each record, None for records never treated as duplicates.

    Uses the columns source, customer_id, text, text_hash, created_at, score and score_type.

    * with a customer id: (source, customer, text hash, score type, score); copies must also fall
      within :data:`DUPLICATE_WINDOW` of each other (checked by :func:`drop_duplicates`);
    * without one: the same plus the exact ``created_at``. Two anonymous people who both wrote
      "Great service" are different answers; only the same answer at the same moment is a re-send;
    * empty text (score-only answers) is never a duplicate: each is a separate survey response.
    """
    keys: list[Hashable | None] = []
    for source, customer, text, digest, created, score, kind in zip(
        records["source"],
        records["customer_id"],
        records["text"],
        records["text_hash"],
        records["created_at"],
        records["score"],
        records["score_type"],
    ):
        if not text:
            keys.append(None)
        elif _present(customer):
            keys.append(("c", source, customer, digest, _part(kind), _part(score)))
        else:
            keys.append(("a", source, digest, _part(kind), _part(score), _part(created)))
    return keys


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NA


def _part(value: object) -> object:
    return value if _present(value) and not pd.isna(value) else None


def drop_duplicates(
    records: pd.DataFrame,
    *,
    seen: MutableMapping[Hashable, list] | None = None,
    window: pd.Timedelta = DUPLICATE_WINDOW,
) -> tuple[pd.DataFrame, int]:
    """Drop records that repeat an earlier one (in this frame, or in ``seen`` from earlier chunks).

    Parameters
    ----------
    records : DataFrame with the columns named in :func:`dedup_keys`, n rows, in input order
        (the first occurrence is kept).
    seen : dict key -> list of created_at, optional
        Keys of earlier chunks of the same source; updated in place.
    window : largest time between two copies of one message; a missing time matches any.

    Returns
    -------
    (DataFrame, int)
        The kept rows (index untouched) and how many were dropped.
    """
    seen = {} if seen is None else seen
    keep = np.ones(len(records), dtype=bool)
    for i, (key, created) in enumerate(zip(dedup_keys(records), records["created_at"])):
        if key is None:
            continue
        times = seen.setdefault(key, [])
        if any(_close(created, t, window) for t in times):
            keep[i] = False
        else:
            times.append(created)
    return records[keep], int((~keep).sum())


def _close(a: object, b: object, window: pd.Timedelta) -> bool:
    if pd.isna(a) or pd.isna(b):
        return True
    return abs(pd.Timestamp(a) - pd.Timestamp(b)) <= window
