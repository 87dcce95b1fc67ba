"""Fit the theme model on a stratified sample, assign every other unit in batches.

Clustering cost and memory grow faster than the number of units (a neighbour graph, a layout,
HDBSCAN's trees): past a few hundred thousand units a refit on all history no longer fits a
night, and BERTopic users report running out of memory near a million documents. Themes are
what many units share, so a sample that keeps every language, source and period in proportion
finds the same themes; the other units are then assigned to the fitted centroids exactly as a
nightly run assigns new ones, one batch at a time, so memory is bounded by the batch and not by
history.

Below ``sample_size`` units nothing changes: the model is fitted on all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Every stratum keeps at least this many units (or all it has) in the sample, so a small
#: language or source still has enough units to form its own themes.
MIN_PER_STRATUM = 50

#: Units assigned per batch after a sampled fit: the (batch, themes) similarity block is what
#: the assignment holds in memory at once.
ASSIGN_BATCH = 50_000


def unit_strata(units: pd.DataFrame, *, period: str = "W") -> np.ndarray:
    """One stratum key per unit: language, source and period (of ``created_at``) where known.

    Parameters
    ----------
    units : DataFrame, n rows
        ``language``; optional ``source`` (or ``source_type``) and ``created_at``. A missing
        column simply does not split the strata.
    period : str
        pandas period alias of the time strata (``"W"``: ISO weeks).

    Returns
    -------
    ndarray of str, shape (n,)
    """
    parts = [units["language"].fillna("und").astype(str)] if "language" in units else []
    source = next((c for c in ("source", "source_type") if c in units.columns), None)
    if source is not None:
        parts.append(units[source].fillna("-").astype(str))
    if "created_at" in units.columns:
        moments = pd.to_datetime(units["created_at"], errors="coerce", utc=True).dt.tz_localize(None)
        parts.append(moments.dt.to_period(period).astype(str).where(moments.notna(), "-"))
    if not parts:
        return np.full(len(units), "", dtype=object)
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key.to_numpy(dtype=object)


def with_record_strata(units: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """``units`` with their record's ``source`` and ``created_at`` (the strata :func:`unit_strata` reads).

    Parameters
    ----------
    units : DataFrame with ``record_id``
    records : DataFrame with ``record_id`` and any of ``source``, ``created_at``

    Returns
    -------
    DataFrame, ``units`` (same rows, same order) plus those columns.
    """
    wanted = [c for c in ("source", "created_at") if c in records.columns and c not in units.columns]
    if not wanted:
        return units
    by_record = records.drop_duplicates("record_id", keep="last").set_index("record_id")[wanted]
    return units.join(by_record, on="record_id")


def stratified_sample(
    strata: Sequence[Any] | np.ndarray, *, size: int, seed: int = 42, min_per_stratum: int = MIN_PER_STRATUM
) -> np.ndarray:
    """Row positions of a sample of ``size`` that keeps each stratum's share.

    Each stratum first keeps ``min(its size, min_per_stratum)`` units; the rest of the sample is
    shared out in proportion to the strata's remaining sizes (largest remainders first). Rows are
    drawn without replacement by a generator seeded with ``seed``: the same strata and seed give
    the same sample.

    Parameters
    ----------
    strata : array-like, shape (n,)
        Stratum key of each row.
    size : int
        Rows wanted; all ``n`` rows (in order) when ``size >= n``.

    Returns
    -------
    ndarray of int, shape (min(size, n),), sorted ascending.
    """
    keys = np.asarray(strata, dtype=object)
    n = len(keys)
    if size <= 0:
        raise ValueError(f"stratified_sample: size must be positive, got {size}")
    if size >= n:
        return np.arange(n)
    names, inverse, counts = np.unique(keys.astype(str), return_inverse=True, return_counts=True)
    floor = np.minimum(counts, min_per_stratum)
    if floor.sum() >= size:  # more strata than the sample holds: proportional only
        floor = np.zeros_like(counts)
    take = floor + _largest_remainder(counts - floor, size - int(floor.sum()))
    rng = np.random.default_rng(seed)
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    chosen = [
        rng.choice(order[start : start + count], size=int(k), replace=False)
        for start, count, k in zip(starts, counts, take)
        if k > 0
    ]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def _largest_remainder(available: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total`` in proportion to ``available`` (each at most its ``available``)."""
    if total <= 0 or available.sum() == 0:
        return np.zeros_like(available)
    exact = available * (total / available.sum())
    share = np.minimum(np.floor(exact).astype(np.int64), available)
    short = total - int(share.sum())
    if short > 0:
        room = share < available
        ranked = np.argsort(-(exact - share) + ~room * 2.0, kind="stable")
        share[ranked[:short]] += 1
    return share


def assign_in_batches(
    model: Any, embeddings: np.ndarray, *, languages: Sequence[str] | np.ndarray, batch_size: int = ASSIGN_BATCH
) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's theme under a fitted model, ``batch_size`` units at a time.

    Parameters
    ----------
    model : fitted theme model
        Anything with ``transform(embeddings, languages=...) -> (labels, similarity)``.
    embeddings : ndarray, shape (n, d)
    languages : sequence of str, length n

    Returns
    -------
    labels : ndarray of int64, shape (n,), -1 where no theme is close enough
    similarity : ndarray of float32, shape (n,), cosine to the nearest centroid
    """
    if batch_size <= 0:
        raise ValueError(f"assign_in_batches: batch_size must be positive, got {batch_size}")
    n = len(embeddings)
    langs = np.asarray(languages, dtype=object)
    labels = np.full(n, -1, dtype=np.int64)
    similarity = np.zeros(n, dtype=np.float32)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        part_labels, part_sims = model.transform(embeddings[start:stop], languages=langs[start:stop].tolist())
        labels[start:stop] = part_labels
        similarity[start:stop] = part_sims
    return labels, similarity


def fit_on_sample(
    model: Any,
    embeddings: np.ndarray,
    *,
    units: pd.DataFrame,
    sample_size: int | None,
    seed: int = 42,
    batch_size: int = ASSIGN_BATCH,
    anchors: np.ndarray | None = None,
) -> Any:
    """Fit ``model`` on all units, or above ``sample_size`` on a stratified sample of them.

    After a sampled fit the model's ``labels_`` and ``similarities_`` cover every unit (the
    sample's own and the rest, assigned in batches by :func:`assign_in_batches`), so whatever
    reads a model fitted "on exactly the passed units" reads it unchanged; ``sample_index_`` holds
    the positions the model was fitted on (None after a full fit).

    Parameters
    ----------
    model : unfitted theme model
        ``fit(embeddings, languages=, texts=)`` and ``transform``, as :class:`voc.themes.model.ThemeModel`.
    embeddings : ndarray, shape (n, d)
    units : DataFrame, n rows
        ``language`` and ``text``; ``source``/``source_type`` and ``created_at`` when known
        (the strata, see :func:`unit_strata`).
    sample_size : int or None
        Fit on all units up to this many; None always fits on all of them.
    seed : int
        Seeds the sample.
    batch_size : int
        Units assigned at once after a sampled fit.
    anchors : ndarray of int, shape (n,), optional
        Each unit's catalogue issue (-1 none) for zero-shot themes (``anchors`` of
        :meth:`voc.themes.model.ThemeModel.fit`); a sampled fit passes the sample's own, and the
        rest is assigned to the zero-shot and discovered centroids alike. None: not passed at all,
        so a model without zero-shot themes needs no such argument.

    Returns
    -------
    The fitted model.
    """
    languages = units["language"].fillna("und").astype(str).to_numpy()
    texts = units["text"].astype(str).tolist() if "text" in units.columns else None
    n = len(embeddings)
    if sample_size is None or n <= sample_size:
        model.fit(embeddings, languages=languages, texts=texts, **_anchored(anchors, None))
        model.sample_index_ = None
        return model
    rows = stratified_sample(unit_strata(units), size=sample_size, seed=seed)
    model.fit(
        embeddings[rows],
        languages=languages[rows],
        texts=None if texts is None else [texts[i] for i in rows],
        **_anchored(anchors, rows),
    )
    model.labels_, model.similarities_ = assign_in_batches(
        model, embeddings, languages=languages, batch_size=batch_size
    )
    model.sample_index_ = rows
    return model


def _anchored(anchors: np.ndarray | None, rows: np.ndarray | None) -> dict[str, np.ndarray]:
    """``fit``'s ``anchors`` argument for the fitted rows (all when ``rows`` is None), or nothing."""
    if anchors is None:
        return {}
    anchors = np.asarray(anchors, dtype=np.int64)
    return {"anchors": anchors if rows is None else anchors[rows]}
