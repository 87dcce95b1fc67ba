"""Key drivers: which themes move NPS, CSAT, CES, stars or, without any score, sentiment.

Each scored record has a *record value* whose mean is the metric: NPS +100 / 0 / -100
(promoter / passive / detractor), CSAT 100 for a top-2-box answer else 0, CES and stars their raw
answer, sentiment 100 x the record's sentiment (-100..100, "net sentiment points"). A record
"mentions" a theme when ``record_themes`` links them. :func:`key_drivers` runs the table for
every score type a night has (and for sentiment when it has none), so a file of star ratings or
of complaints without any score still gets an impact per theme; :data:`IMPACT_DEFINITIONS` says
in words what each metric's impact means, for the report's method text.

Columns (one row per theme, kept stable for the priority ranking):

- ``n_mentions``: records mentioning the theme (scored or not); ``n_scored``: of those, with a score
  of the metric's type.
- ``score_with`` / ``score_without``: the metric among scored records that mention / do not
  mention the theme (the latter includes scored records with no comment at all).
- ``nps_impact``: **the change in the overall metric caused by the theme's mentioners scoring
  differently from everyone else**: ``overall - score_without = (n_scored / N) * (score_with -
  score_without)``. Negative = points the theme costs; fixing the theme so that its mentioners
  scored like the rest would raise the overall score by ``-nps_impact``. Unlike "its detractors
  became passives" it does not credit a big theme for detractors who would be detractors anyway,
  so a small theme with a large effect can outrank a large harmless one. Named ``nps_impact``
  for every metric (a stable name); the unit is the metric's (points, percent, scale units).
  ``impact`` holds the same number under a name that does not claim NPS, and ``metric`` names it.
- ``p_value``: Welch's t-test of the record values with vs without the theme (for NPS and CSAT
  it tends to the two-sample z-test of the difference in NPS / share as the groups grow);
  Mann-Whitney's rank test where one group is constant (all detractors), since Welch's standard
  error would then ignore that group's own sampling noise.
- ``importance``: relative importance from a logistic regression of the *bad outcome* (NPS
  detractor 0-6, CSAT not top-2-box, CES < 5 "not easy", stars <= 3, sentiment below -0.15) on all
  theme indicators
  together, so co-mentioned themes share credit: the theme's coefficient (log-odds ratio) divided
  by the sum of absolute coefficients; > 0 raises the odds of a bad outcome.
  ``importance_lo`` / ``importance_hi``: percentile bootstrap interval (records resampled).
- ``stated_rank``: rank by mentions (1 = most mentioned); ``derived_rank``: rank by importance
  (1 = most harmful effect). The gap between them is the point of the table: what customers mention
  most is often not what moves their score.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import scipy.sparse
from scipy import stats

from voc.schemas import UNASSIGNED_THEME

DRIVER_COLUMNS: tuple[str, ...] = (
    "theme_id",
    "n_mentions",
    "n_scored",
    "score_with",
    "score_without",
    "nps_impact",
    "p_value",
    "importance",
    "importance_lo",
    "importance_hi",
    "stated_rank",
    "derived_rank",
    "metric",
    "impact",
)
#: record sentiment below this is a bad outcome (the neutral band's default edge)
NEGATIVE_SENTIMENT = -0.15
#: metric -> (score_type it reads, record value, bad outcome); sentiment reads the record's sentiment
_RECORD_VALUE = {
    "nps": ("nps", lambda s: np.where(s >= 9, 100.0, np.where(s <= 6, -100.0, 0.0)), lambda s: s <= 6),
    "csat": ("csat", lambda s: np.where(s >= 4, 100.0, 0.0), lambda s: s < 4),
    "ces": ("ces", lambda s: s.astype(float), lambda s: s < 5),
    "stars": ("stars", lambda s: s.astype(float), lambda s: s <= 3),
    "sentiment": ("sentiment", lambda s: 100.0 * s.astype(float), lambda s: s < NEGATIVE_SENTIMENT),
}
#: order in which score types are preferred as the night's impact metric when equally common
METRIC_ORDER: tuple[str, ...] = ("nps", "csat", "ces", "stars")
#: what a theme's impact means, per metric: the report's method text quotes it
IMPACT_DEFINITIONS: dict[str, str] = {
    "nps": "NPS points (-100..100) the overall NPS would rise if the theme's mentioners scored like "
    "everyone else (promoters 9-10, detractors 0-6).",
    "csat": "Percentage points of top-2-box CSAT (answers 4-5 on 1-5) the overall share would rise if the "
    "theme's mentioners answered like everyone else.",
    "ces": "Points on the 1-7 effort scale (7 = very easy) the mean CES would rise if the theme's mentioners "
    "answered like everyone else.",
    "stars": "Stars (1-5) the mean rating would rise if the theme's reviewers rated like everyone else.",
    "sentiment": "Net sentiment points (-100..100, 100 x the mean record sentiment) the overall sentiment "
    "would rise if the theme's mentioners wrote like everyone else; used when no record has a score, so it "
    "partly restates the theme's own tone.",
}
#: unit shown after an impact value, per metric
IMPACT_UNITS: dict[str, str] = {"nps": "pts", "csat": "pts", "ces": "pts on 1-7", "stars": "stars", "sentiment": "pts"}
#: inverse L2 strength; moderate, so a theme seen a handful of times cannot claim a huge effect
REGULARISATION_C = 1.0


def theme_drivers(
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    *,
    metric: str = "nps",
    n_boot: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Driver table for ``metric`` (see the module docstring for every column).

    Parameters
    ----------
    records : DataFrame
        Canonical records with ``record_id``, ``score``, ``score_type``; with
        ``metric="sentiment"``, ``record_id`` and ``sentiment`` (-1..1) instead.
    record_themes : DataFrame
        Long table with ``record_id`` and ``theme_id`` (unassigned theme -1 is ignored).
    metric : {"nps", "csat", "ces", "stars", "sentiment"}
    n_boot : int
        Bootstrap resamples for the importance interval (0 skips it, bounds NaN).
    seed : int
    confidence : float
        Level of the bootstrap interval.

    Returns
    -------
    DataFrame with columns :data:`DRIVER_COLUMNS`, one row per theme, sorted by ``derived_rank``.
    """
    if metric not in _RECORD_VALUE:
        raise ValueError(f"metric must be one of {sorted(_RECORD_VALUE)}, got {metric!r}")
    needed = ["record_id", "sentiment"] if metric == "sentiment" else ["record_id", "score", "score_type"]
    for name, frame, cols in (
        ("records", records, needed),
        ("record_themes", record_themes, ["record_id", "theme_id"]),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise KeyError(f"{name} is missing column(s) {missing}; it has {list(frame.columns)}")
    _, to_value, to_bad = _RECORD_VALUE[metric]
    mentions = _mention_matrix(record_themes)
    themes = list(mentions.columns)
    if not themes:
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    scored = _scored_answers(records, metric)
    scores = scored["score"].to_numpy(dtype=float)
    X = mentions.reindex(scored["record_id"].to_numpy(), fill_value=False).to_numpy(dtype=bool)
    values, bad = to_value(scores), to_bad(scores).astype(int)
    rows = [_contrast(values, X[:, j]) for j in range(len(themes))]
    table = pd.DataFrame(rows, columns=["n_scored", "score_with", "score_without", "nps_impact", "p_value"])
    table.insert(0, "theme_id", themes)
    table.insert(1, "n_mentions", mentions.sum(axis=0).to_numpy().astype(int))
    table["importance"] = _relative_importance(*_collapse(X, bad))
    low, high = _bootstrap_importance(X, bad, n_boot=n_boot, seed=seed, confidence=confidence)
    table["importance_lo"], table["importance_hi"] = low, high
    table["stated_rank"] = table["n_mentions"].rank(ascending=False, method="min").astype(int)
    table["derived_rank"] = table["importance"].fillna(-np.inf).rank(ascending=False, method="min").astype(int)
    table["metric"] = metric
    table["impact"] = table["nps_impact"]
    return table.sort_values(["derived_rank", "stated_rank"]).reset_index(drop=True)[list(DRIVER_COLUMNS)]


def _scored_answers(records: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``record_id`` and numeric ``score`` of the records that carry ``metric``, one row per record."""
    if metric == "sentiment":
        frame = records[["record_id"]].assign(score=pd.to_numeric(records["sentiment"], errors="coerce"))
    else:
        is_kind = records["score_type"].astype(str).str.lower().eq(_RECORD_VALUE[metric][0])
        frame = records.loc[is_kind, ["record_id"]].assign(score=pd.to_numeric(records["score"], errors="coerce"))
    return frame.dropna(subset=["score"]).drop_duplicates("record_id")


def answer_counts(records: pd.DataFrame) -> dict[str, int]:
    """Scored records per score type that has a driver table (nps, csat, ces, stars), zeros left out."""
    if "score" not in records or "score_type" not in records:
        return {}
    kind = records["score_type"].astype(str).str.lower()
    usable = pd.to_numeric(records["score"], errors="coerce").notna()
    counts = kind[usable].value_counts()
    return {m: int(counts[m]) for m in METRIC_ORDER if counts.get(m, 0) > 0}


def impact_metric(records: pd.DataFrame, *, prefer: str = "auto") -> str | None:
    """The metric a night's impact is measured on.

    ``prefer`` (``metrics.impact_metric``) wins when the records hold it; with ``auto`` it is the
    score type with the most answers (ties in :data:`METRIC_ORDER`), else ``"sentiment"`` when
    records carry a sentiment, else None. A complaints file without scores is thus still ranked
    by an explained impact rather than by volume alone.
    """
    counts = answer_counts(records)
    has_sentiment = "sentiment" in records and bool(pd.to_numeric(records["sentiment"], errors="coerce").notna().any())
    if prefer in counts or (prefer == "sentiment" and has_sentiment):
        return prefer
    if counts:
        return max(METRIC_ORDER, key=lambda m: (counts.get(m, 0), -METRIC_ORDER.index(m)))
    return "sentiment" if has_sentiment else None


def key_drivers(
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    *,
    prefer: str = "auto",
    n_boot: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Driver tables of every score type the records hold, the impact metric's rows first.

    The rows of :func:`impact_metric` come first so that a reader taking the first row per theme
    gets the night's impact; the other score types follow (NPS, CSAT, CES, stars). Without any
    score the sentiment table stands in.

    Returns
    -------
    DataFrame with :data:`DRIVER_COLUMNS` (``metric`` names each block); empty when the night has
    neither scores nor sentiment, or no theme.
    """
    primary = impact_metric(records, prefer=prefer)
    if primary is None:
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    order = [primary, *[m for m in answer_counts(records) if m != primary]]
    tables = [
        theme_drivers(records, record_themes, metric=m, n_boot=n_boot, seed=seed, confidence=confidence) for m in order
    ]
    filled = [t for t in tables if not t.empty]
    return pd.concat(filled, ignore_index=True) if filled else pd.DataFrame(columns=list(DRIVER_COLUMNS))


def _mention_matrix(record_themes: pd.DataFrame) -> pd.DataFrame:
    """Boolean (record_id x theme_id) matrix of mentions, assigned themes only."""
    pairs = record_themes.loc[
        record_themes["theme_id"] != UNASSIGNED_THEME, ["record_id", "theme_id"]
    ].drop_duplicates()
    if pairs.empty:
        return pd.DataFrame(dtype=bool)
    pairs = pairs.assign(theme_id=pairs["theme_id"].astype(int), _one=True)
    return pairs.pivot_table(
        index="record_id", columns="theme_id", values="_one", aggfunc="any", fill_value=False
    ).astype(bool)


def _contrast(values: np.ndarray, mask: np.ndarray) -> tuple[int, float, float, float, float]:
    """(n_scored, score_with, score_without, impact, p_value) for one theme's mention mask."""
    with_, without = values[mask], values[~mask]
    n_with = int(mask.sum())
    if n_with == 0 or len(without) == 0:
        mean_with = float(with_.mean()) if n_with else math.nan
        return (n_with, mean_with, float(without.mean()) if len(without) else math.nan, math.nan, math.nan)
    score_with, score_without = float(with_.mean()), float(without.mean())
    impact = float(values.mean()) - score_without
    return (n_with, score_with, score_without, impact, _difference_p(with_, without))


def _difference_p(a: np.ndarray, b: np.ndarray) -> float:
    """Welch's t-test p-value, or Mann-Whitney's where a group is constant.

    A small theme whose every mentioner is a detractor has zero variance; Welch's standard error
    then comes from the other group alone and gives absurd p-values (1e-120 for 20 answers). The
    rank test needs no variance of its own and stays honest for such groups.
    """
    if len(a) < 2 or len(b) < 2:
        return math.nan
    if a.var() == 0 and b.var() == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if a.var() == 0 or b.var() == 0:
            return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def _relative_importance(X: np.ndarray, bad: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """Coefficients of bad ~ theme indicators, divided by their absolute sum; shape (n_themes,).

    ``counts`` weights each row (used with the collapsed cells of :func:`_collapse`).
    """
    weights = np.ones(len(bad)) if counts is None else counts
    keep = weights > 0
    if len(np.unique(bad[keep])) < 2:
        return np.full(X.shape[1], np.nan)
    coef = _fit_logistic(X[keep].astype(float), bad[keep].astype(float), weights[keep], C=REGULARISATION_C)
    total = np.abs(coef).sum()
    return coef / total if total > 0 else np.zeros_like(coef)


def _fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray, *, C: float, n_iter: int = 50) -> np.ndarray:
    """Slopes of :func:`_newton_logistic` (the intercept dropped), shape (k,)."""
    return _newton_logistic(X, y, w, C=C, n_iter=n_iter)[:-1]


def _newton_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray, *, C: float, n_iter: int = 50) -> np.ndarray:
    """Weighted L2 logistic regression by Newton's method; slopes then intercept, shape (k + 1,).

    Minimises ``sum_i w_i logloss_i + ||beta||^2 / (2 C)`` with an unpenalised intercept (the
    objective of scikit-learn's ``LogisticRegression``), but on a handful of collapsed cells a
    few Newton steps take microseconds where a general solver's overhead would dominate the
    bootstrap.
    """
    design = np.column_stack([X, np.ones(len(X))])
    penalty = np.full(design.shape[1], 1.0 / C)
    penalty[-1] = 0.0
    beta = np.zeros(design.shape[1])
    for _ in range(n_iter):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        grad = design.T @ (w * (p - y)) + penalty * beta
        hess = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def _collapse(X: np.ndarray, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (mention pattern, outcome) cells and their counts.

    Records with the same themes and outcome are interchangeable for the regression, and there
    are far fewer cells than records, so fits and bootstrap draws (multinomial over cells) are
    fast even with thousands of records and hundreds of resamples.
    """
    cells, counts = np.unique(np.column_stack([X.astype(np.int8), bad.astype(np.int8)]), axis=0, return_counts=True)
    return cells[:, :-1].astype(bool), cells[:, -1].astype(int), counts.astype(float)


def _bootstrap_importance(
    X: np.ndarray, bad: np.ndarray, *, n_boot: int, seed: int, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of :func:`_relative_importance` over resampled records.

    Every resample is a multinomial draw of counts over the collapsed cells; all draws are then
    fitted together (:func:`_fit_logistic_draws`), which gives the same coefficients as one
    Newton fit per draw at a fraction of the time (one fit per draw took minutes at 10k records).
    """
    if n_boot <= 0 or len(bad) < 2:
        nan = np.full(X.shape[1], np.nan)
        return nan, nan.copy()
    cells, outcome, counts = _collapse(X, bad)
    rng = np.random.default_rng(seed)
    # resampling n records with replacement == multinomial counts over the cells
    weights = rng.multinomial(len(bad), counts / counts.sum(), size=n_boot).astype(float)
    draws = _importance_draws(cells, outcome, weights)
    tail = (1 - confidence) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all-NaN columns when every draw is one-sided
        return np.nanpercentile(draws, tail, axis=0), np.nanpercentile(draws, 100 - tail, axis=0)


def _importance_draws(cells: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Relative importance for each row of ``weights``; shape (n_draws, n_themes).

    ``cells`` (n_cells, n_themes) and ``outcome`` (n_cells,) are the collapsed cells, ``weights``
    (n_draws, n_cells) their resampled counts. A draw whose outcome is one-sided gives NaNs,
    as :func:`_relative_importance` does.
    """
    n_themes = cells.shape[1]
    out = np.full((len(weights), n_themes), np.nan)
    bad_weight = weights @ outcome.astype(float)
    two_sided = (bad_weight > 0) & (bad_weight < weights.sum(axis=1))
    if not two_sided.any():
        return out
    coef = _fit_logistic_draws(cells.astype(float), outcome.astype(float), weights[two_sided], C=REGULARISATION_C)
    total = np.abs(coef).sum(axis=1, keepdims=True)
    out[two_sided] = np.where(total > 0, coef / np.where(total > 0, total, 1.0), 0.0)
    return out


def _fit_logistic_draws(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, *, C: float, n_iter: int = 50, tol: float = 1e-8, chunk: int = 250
) -> np.ndarray:
    """:func:`_fit_logistic` for many weightings of the same rows at once; shape (n_draws, k).

    Every draw takes its own Newton steps from the fit at the mean weights, all draws of a chunk
    together. A Newton step needs the draw's Hessian ``X' diag(w p (1 - p)) X``; a row (a
    collapsed cell) mentions two or three themes of dozens, so the Hessians of all draws are one
    product of the draws' curvature weights with a sparse (rows x k^2) table of the column pairs
    each row holds, and the steps one batched solve of small k x k systems. Newton converges in
    a handful of steps where a shared Hessian (chord steps) took dozens, each as costly; rows and
    draws are the product's only large dimensions, so time and memory grow with them linearly.

    Parameters
    ----------
    X : array, shape (n_rows, k)
    y : array, shape (n_rows,)
    W : array, shape (n_draws, n_rows)
        Row weights of each draw.
    chunk : int
        Draws solved together (bounds the (chunk, n_rows) work arrays).
    """
    design = np.column_stack([X, np.ones(len(X))])
    width = design.shape[1]
    penalty = np.diag(np.r_[np.full(width - 1, 1.0 / C), 0.0]) + 1e-9 * np.eye(width)
    mean_w = W.mean(axis=0)
    keep = mean_w > 0
    start = _newton_logistic(X[keep], y[keep], mean_w[keep], C=C)
    sparse = scipy.sparse.csr_array(design)
    pairs = _column_pairs(sparse)
    beta = np.tile(start, (len(W), 1))
    with np.errstate(over="ignore", invalid="ignore"):
        for lo in range(0, len(W), chunk):
            weights, part = W[lo : lo + chunk], beta[lo : lo + chunk]
            moving = np.ones(len(part), dtype=bool)
            for _ in range(n_iter):
                idx = np.flatnonzero(moving)
                if not len(idx):
                    break
                w = weights[idx]
                p = 1.0 / (1.0 + np.exp(-(sparse @ part[idx].T).T))
                grad = (sparse.T @ (w * (p - y)).T).T + part[idx] @ penalty
                hess = (pairs.T @ (w * p * (1 - p)).T).T.reshape(len(idx), width, width) + penalty
                step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
                part[idx] -= step
                # a NaN step (a diverging draw) compares False and stays moving until n_iter
                moving[idx] = ~(np.abs(step).max(axis=1) < tol)
    return beta[:, :-1]


def _column_pairs(design: scipy.sparse.csr_array) -> scipy.sparse.csr_array:
    """(n_rows, k * k) 0/1 table: row r has a one at ``j * k + l`` where it holds columns j and l.

    ``weights @ table`` is then ``X' diag(weights) X`` flattened, for 0/1 ``X``.
    """
    width = design.shape[1]
    indptr, indices = design.indptr, design.indices
    counts = np.diff(indptr) ** 2
    rows = np.repeat(np.arange(design.shape[0]), counts)
    cols = np.concatenate(
        [(indices[a:b][:, None] * width + indices[a:b][None, :]).ravel() for a, b in zip(indptr[:-1], indptr[1:])]
        or [np.zeros(0, dtype=np.int64)]
    )
    return scipy.sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(design.shape[0], width * width))
