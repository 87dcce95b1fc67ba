"""Personal data outside the comment: customer ids, segments and the other mapped text fields.

Exports put e-mail addresses in the customer column, phone numbers in a "contact" segment, an
IBAN in a notes field. Those values reach the store, ``records.parquet`` and the report's segment
labels, so they go through the same detectors as the comment (:mod:`voc.ingest.pii`).

A customer id is a join key (the customer list, repeat-contact detection), so by default an id that
holds personal data is replaced by a stable hash: the same e-mail gives the same ``cust-...`` id
on every night and in the customer list, and the address itself is never stored. ``redact``
replaces it with the placeholder instead, which also drops the link between that customer's answers.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

import pandas as pd

from voc.ingest.pii import redact_text

CustomerIdPolicy = Literal["hash", "redact", "keep"]

#: Canonical text fields (besides the comment) that are checked for personal data.
PLAIN_FIELDS: tuple[str, ...] = ("segment", "channel", "journey_stage")


def hashed_id(value: str, *, salt: str = "") -> str:
    """The stable stand-in for a customer id that holds personal data."""
    digest = hashlib.sha256(f"{salt}\x1f{value.strip().lower()}".encode()).hexdigest()
    return f"cust-{digest[:16]}"


def protect_customer_ids(
    values: pd.Series, *, policy: CustomerIdPolicy = "hash", salt: str = ""
) -> tuple[pd.Series, int]:
    """Customer ids with personal data hashed or redacted (others unchanged); returns (ids, n changed)."""
    if policy == "keep":
        return values, 0
    changed = 0
    out = []
    for value in values.tolist():
        if isinstance(value, str) and value:
            redacted, n = redact_text(value)
            if n:
                changed += 1
                value = hashed_id(value, salt=salt) if policy == "hash" else redacted
        out.append(value)
    return pd.Series(out, index=values.index, dtype=object), changed


def redact_value(value: object) -> tuple[object, int]:
    """One field value with personal data replaced by placeholders; (value, n redactions)."""
    if not isinstance(value, str) or not value:
        return value, 0
    return redact_text(value)


def redact_fields(fields: pd.DataFrame, *, policy: CustomerIdPolicy = "hash", salt: str = "") -> int:
    """Redact the mapped fields of ``fields`` in place (segments, channel, journey stage, the extra
    segments' JSON, the customer id by ``policy``); returns how many values were changed."""
    total = 0
    for name in PLAIN_FIELDS:
        if name not in fields:
            continue
        column, n = _redact_series(fields[name])
        fields[name] = column
        total += n
    if "extra" in fields:
        column, n = _redact_extra(fields["extra"])
        fields["extra"] = column
        total += n
    if "customer_id" in fields:
        ids, n = protect_customer_ids(fields["customer_id"], policy=policy, salt=salt)
        fields["customer_id"] = ids
        total += n
    return total


def _redact_series(values: pd.Series) -> tuple[pd.Series, int]:
    changed = 0
    out = []
    for value in values.tolist():
        new, n = redact_value(value)
        changed += bool(n)
        out.append(new)
    return pd.Series(out, index=values.index, dtype=object), changed


def _redact_extra(values: pd.Series) -> tuple[pd.Series, int]:
    changed = 0
    out = []
    for raw in values.tolist():
        if not isinstance(raw, str) or raw == "{}":
            out.append(raw)
            continue
        data = json.loads(raw)
        for key, value in data.items():
            new, n = redact_value(value)
            if n:
                changed += 1
                data[key] = new
        out.append(json.dumps(data, ensure_ascii=False))
    return pd.Series(out, index=values.index, dtype=object), changed
