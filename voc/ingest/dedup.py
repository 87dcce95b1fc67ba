"""Text hashes and exact-duplicate removal.

The same complaint often arrives twice: pasted into a form and sent by e-mail, or exported in two
overlapping CRM dumps. Counting it twice inflates a theme, so exact repeats are dropped within a
customer and source. Comparison is on the normalised, redacted, lower-cased text, so repeats that
differ only in case, spacing, Unicode composition or a quoted phone number still match.
"""

from __future__ import annotations

import hashlib
from typing import Hashable, Iterable, MutableSet

import numpy as np
import pandas as pd


def text_hash(text: str) -> str:
    """sha1 hex of the lower-cased text; ``text`` must already be normalised and redacted."""
    return hashlib.sha1(text.lower().encode("utf-8")).hexdigest()


def text_hashes(texts: Iterable[str]) -> list[str]:
    """:func:`text_hash` per text."""
    return [text_hash(t) for t in texts]


def dedup_keys(records: pd.DataFrame) -> list[Hashable | None]:
    """The duplicate key of each record, None for records never treated as duplicates.

    Uses the columns source, customer_id, text, text_hash, created_at and score.

    * with a customer id: (source, customer, text_hash), the rule the product promises;
    * without one: (source, text_hash, created_at, score). Two anonymous people who both wrote
      "Great service" are different answers and must both count in NPS; only a repeat of the same
      answer at the same time with the same score is a re-import;
    * empty text (score-only answers) is never a duplicate: each is a separate survey response.
    """
    keys: list[Hashable | None] = []
    for source, customer, text, digest, created, score in zip(
        records["source"], records["customer_id"], records["text"], records["text_hash"],
        records["created_at"], records["score"],
    ):
        if not text:
            keys.append(None)
        elif customer is not None and customer == customer:
            keys.append(("c", source, customer, digest))
        else:
            keys.append(("a", source, digest, _key_part(created), _key_part(score)))
    return keys


def _key_part(value: object) -> object:
    return None if value is None or pd.isna(value) else value


def drop_duplicates(records: pd.DataFrame, *, seen: MutableSet[Hashable] | None = None) -> tuple[pd.DataFrame, int]:
    """Drop records whose key was already seen (in this frame, or in ``seen`` from earlier chunks).

    Parameters
    ----------
    records : DataFrame with the columns named in :func:`dedup_keys`, n rows, in input order
        (the first occurrence is kept).
    seen : set, optional
        Keys of earlier chunks of the same source; updated in place.

    Returns
    -------
    (DataFrame, int)
        The kept rows (index untouched) and how many were dropped.
    """
    seen = set() if seen is None else seen
    keep = np.ones(len(records), dtype=bool)
    for i, key in enumerate(dedup_keys(records)):
        if key is None:
            continue
        if key in seen:
            keep[i] = False
        else:
            seen.add(key)
    return records[keep], int((~keep).sum())
