"""Does the impact ranking put first the aspects that best predict a bad overall judgement?

Issue: on public reviews with sub-ratings, the themes ranked first by impact should be the aspects
whose ratings best predict a bad overall score. No such review set is available offline, so this
uses the closest real data: GermEval 2017 (Deutsche Bahn feedback from social media, German),
``../shared/data/germeval2017/dev.tsv``:

- a theme = an aspect category (``Zugfahrt``, ``Ticketkauf``, ...), one mention per document and
  category; the mention's sentiment is the mean of its aspect polarities (-0.8 / 0 / +0.8);
- the "bad overall score" = ``doc_sentiment == negative``; for the ranking it is given to the
  pipeline as an NPS-like score (negative 2, neutral 7, positive 10), so the key drivers and the
  priority list run unchanged;
- documents are split in half (stratified, 5 seeds). On one half the pipeline ranks the themes
  (:func:`voc.impact.rank_priorities` with the default weights, drivers from
  :func:`voc.metrics.drivers.theme_drivers`). On the held-out half the reference is a direct
  logistic regression of "negative document" on indicators of a *negative* mention of each
  category; a category's reference importance is its standardised coefficient (coef x sd).
- a second reference: the loss of held-out fit (log-loss) when a category's indicator is left
  out of that regression, i.e. how much the aspect adds to predicting a bad judgement;
- printed: Spearman and Kendall rank correlations and top-3 overlap between each ranking and each
  reference, over categories seen at least ``MIN_MENTIONS`` times in both halves, with the ratio
  to the mention-count baseline ("what customers mention most") measured in the same run.

Limitations, stated plainly: these are aspect *polarities* annotated in social-media posts, not
sub-ratings of reviews; doc sentiment is a three-way label, not a score; there are no customers,
dates, churn or values, so volume = documents, the trend component sees random dates (pure noise)
and churn, revenue and cost components are empty. The reference and the ranking share the same
annotation scheme, so the check says whether the ranking orders themes by what drives bad
judgements, not whether it does so on a business's own ratings. It needs the shared data; it
exits with a message when the file is absent.

A second, smaller check (``--taxonomy``) maps the sample catalogue's theme names (13 themes x 5
languages, written by the project, so only a sanity check) onto the taxonomy's journey stages and
prints the accuracy per language against the catalogue's stage, with the share left "unmapped".
It is not independent: the taxonomy's phrases were widened (returns, refunds, lockers, log-in,
price rises) after a first run on this catalogue, so treat it as a regression check only.

Run: ``.venv/bin/python bench/impact_check.py [--taxonomy]``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import shared_data
from voc.config import ImpactSettings, ImpactWeights
from voc.impact import rank_priorities
from voc.metrics.drivers import theme_drivers

MIN_MENTIONS = 10
SEEDS = (0, 1, 2, 3, 4)
NOW = datetime(2024, 1, 31)
POLARITY = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}
SCORE = {"negative": 2.0, "neutral": 7.0, "positive": 10.0}


def load(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(docs, mentions): relevant documents with aspects, and one row per document x category."""
    raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)
    raw = raw.loc[(raw["relevant"] == "true") & (raw["aspects"].str.strip() != "")].reset_index(drop=True)
    docs = pd.DataFrame(
        {"record_id": [f"g{i}" for i in range(len(raw))], "text": raw["text"], "doc": raw["doc_sentiment"]}
    )
    rows = []
    for rid, aspects in zip(docs["record_id"], raw["aspects"]):
        for item in aspects.split():
            category, _, polarity = item.rpartition(":")
            rows.append({"record_id": rid, "category": category.split("#")[0], "polarity": polarity})
    return docs, pd.DataFrame(rows)


def to_tables(docs: pd.DataFrame, mentions: pd.DataFrame, categories: list[str], rng: np.random.Generator):
    """Canonical records and record_themes for the pipeline's impact step."""
    records = pd.DataFrame(
        {
            "record_id": docs["record_id"],
            "text": docs["text"],
            "source_type": "review",
            "customer_id": None,
            "created_at": [NOW - timedelta(days=float(d)) for d in rng.uniform(0, 35, len(docs))],
            "score": docs["doc"].map(SCORE),
            "score_type": "nps",
            "segment": None,
            "channel": None,
            "journey_stage": None,
            "customer_value": np.nan,
            "churned": None,
        }
    )
    part = mentions.loc[mentions["record_id"].isin(set(docs["record_id"]))]
    grouped = part.groupby(["record_id", "category"], sort=False)["polarity"].agg(
        lambda p: float(np.mean([POLARITY.get(x, 0) for x in p]))
    )
    rt = grouped.rename("sentiment").reset_index()
    rt["theme_id"] = rt["category"].map({c: i for i, c in enumerate(categories)}).astype(int)
    rt["is_primary"] = ~rt.duplicated("record_id")
    rt["n_units"] = 1
    return records, rt[["record_id", "theme_id", "is_primary", "n_units", "sentiment"]]


def _design(docs: pd.DataFrame, mentions: pd.DataFrame, categories: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """(indicators of a negative mention per category, 'negative document' labels)."""
    neg = mentions.loc[(mentions["polarity"] == "negative") & mentions["record_id"].isin(set(docs["record_id"]))]
    X = pd.crosstab(neg["record_id"], neg["category"]).reindex(
        index=docs["record_id"], columns=categories, fill_value=0
    )
    return (X > 0).astype(float), (docs["doc"] == "negative").to_numpy(int)


def reference_importance(docs: pd.DataFrame, mentions: pd.DataFrame, categories: list[str]) -> pd.Series:
    """Held-out truth A: standardised coefficient (coef x sd) of 'negative mention of c' in a
    logistic regression of 'negative document' (category -> importance)."""
    X, y = _design(docs, mentions, categories)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(X.to_numpy(), y)
    return pd.Series(model.coef_[0] * X.std().to_numpy(), index=categories)


def reference_drop_in_fit(docs: pd.DataFrame, mentions: pd.DataFrame, categories: list[str]) -> pd.Series:
    """Held-out truth B: how much worse the same regression predicts (log-loss x n) without the
    category's indicator; a direct "which aspect best predicts a bad overall judgement"."""
    X, y = _design(docs, mentions, categories)

    def loss(frame: pd.DataFrame) -> float:
        model = LogisticRegression(C=1.0, max_iter=2000).fit(frame.to_numpy(), y)
        return float(log_loss(y, model.predict_proba(frame.to_numpy())[:, 1], normalize=False))

    full = loss(X)
    return pd.Series({c: loss(X.drop(columns=c)) - full for c in categories})


def rankings(records, rt, categories) -> dict[str, pd.Series]:
    """Scores per category (higher = fix first) from each method, on the ranking half."""
    drivers = theme_drivers(records, rt, metric="nps", n_boot=0)
    default = rank_priorities(records, rt, pd.DataFrame(), drivers, settings=ImpactSettings(), now=NOW)
    zero = dict(volume=0, trend=0, negativity=0, nps_impact=0, churn=0, revenue=0, cost=0)
    no_negativity = rank_priorities(
        records, rt, pd.DataFrame(), drivers, now=NOW, settings=ImpactSettings(weights=ImpactWeights(negativity=0.0))
    )
    cost_only = rank_priorities(
        records,
        rt,
        pd.DataFrame(),
        drivers,
        now=NOW,
        settings=ImpactSettings(weights=ImpactWeights(**{**zero, "nps_impact": 1.0})),
    )
    by_id = lambda frame, col: frame.set_index("theme_id")[col].rename(index=dict(enumerate(categories)))  # noqa: E731
    neg_mentions = (
        rt.assign(neg=rt["sentiment"] < -0.15)
        .groupby("theme_id")["neg"]
        .sum()
        .rename(index=dict(enumerate(categories)))
    )
    return {
        "priority_score (default weights)": by_id(default, "priority_score"),
        "priority_score (negativity weight 0)": by_id(no_negativity, "priority_score"),
        "complaint cost component alone": by_id(cost_only, "priority_score"),
        "drivers nps_impact alone": -by_id(default, "nps_impact"),
        "drivers importance alone": drivers.set_index("theme_id")["importance"].rename(
            index=dict(enumerate(categories))
        ),
        "negative mentions (count)": neg_mentions,
        "mentions (baseline)": by_id(default, "n_records"),
    }


def compare(score: pd.Series, truth: pd.Series) -> tuple[float, float, float]:
    """Spearman, Kendall and top-3 overlap of ``score`` against ``truth`` (same index)."""
    score = score.reindex(truth.index).fillna(score.min() - 1)
    rho = stats.spearmanr(score, truth).statistic
    tau = stats.kendalltau(score, truth).statistic
    top = len(set(score.nlargest(3).index) & set(truth.nlargest(3).index)) / 3
    return rho, tau, top


def main() -> int:
    path = shared_data("germeval2017", "dev.tsv")
    if path is None:
        print("germeval2017/dev.tsv not found under the shared data folder; nothing to measure")
        return 0
    docs, mentions = load(path)
    categories = sorted(mentions["category"].unique())
    results: dict[str, dict[str, list[tuple[float, float, float]]]] = {"A": {}, "B": {}}
    n_cats = []
    for seed in SEEDS:
        rank_docs, held_docs = train_test_split(docs, test_size=0.5, random_state=seed, stratify=docs["doc"])
        counts = [
            mentions.loc[mentions["record_id"].isin(set(d["record_id"]))]
            .drop_duplicates(["record_id", "category"])["category"]
            .value_counts()
            for d in (rank_docs, held_docs)
        ]
        kept = [c for c in categories if counts[0].get(c, 0) >= MIN_MENTIONS and counts[1].get(c, 0) >= MIN_MENTIONS]
        n_cats.append(len(kept))
        truths = {
            "A": reference_importance(held_docs, mentions, categories).reindex(kept),
            "B": reference_drop_in_fit(held_docs, mentions, categories).reindex(kept),
        }
        records, rt = to_tables(rank_docs, mentions, categories, np.random.default_rng(seed))
        for name, score in rankings(records, rt, categories).items():
            for ref, truth in truths.items():
                results[ref].setdefault(name, []).append(compare(score, truth))
    print(
        f"GermEval 2017 dev: {len(docs)} relevant documents with aspects, {len(categories)} categories; "
        f"{np.mean(n_cats):.0f} categories with >= {MIN_MENTIONS} mentions in both halves; {len(SEEDS)} random halvings"
    )
    titles = {
        "A": "reference A: standardised coefficients of negative mentions (held-out logistic regression)",
        "B": "reference B: loss of fit when a category's negative mentions are left out (held-out)",
    }
    for ref, table in results.items():
        print(f"\n{titles[ref]}")
        base = np.mean([r[0] for r in table["mentions (baseline)"]])
        header = f"{'ranking (on the other half)':38s} {'spearman':>14s} {'kendall':>8s} {'top-3':>6s} {'rho / baseline':>15s}"
        print(header)
        print("-" * len(header))
        for name, rows in table.items():
            arr = np.array(rows)
            rho, tau, top = arr.mean(axis=0)
            print(
                f"{name:38s} {rho:8.3f} ±{arr[:, 0].std():.2f} {tau:8.3f} {top:6.2f} {rho / base if base else np.nan:15.2f}"
            )
    return 0


#: sample catalogue stage -> taxonomy stage ("billing" has no counterpart and is skipped)
STAGE_MAP = {
    "delivery": "delivery",
    "support": "support and complaints",
    "usage": "usage",
    "renewal": "renewal",
    "purchase": "purchase",
    "onboarding": "onboarding",
    "cancellation": "cancellation",
}


def taxonomy_check() -> None:
    """Journey-stage accuracy of :func:`voc.impact.map_taxonomy` on the sample catalogue's names."""
    from voc.impact import map_taxonomy
    from voc.sample import THEMES

    rows = [
        (lang, t.names[lang], STAGE_MAP[t.journey_stage])
        for t in THEMES
        if t.journey_stage in STAGE_MAP
        for lang in t.names
    ]
    frame = pd.DataFrame(rows, columns=["language", "label", "stage"])
    mapped = map_taxonomy(frame.assign(theme_id=range(len(frame)))[["theme_id", "label"]])
    frame["predicted"] = mapped["journey_stage"].to_numpy()
    frame["correct"] = frame["predicted"] == frame["stage"]
    frame["unmapped"] = frame["predicted"] == "unmapped"
    print("\ntaxonomy: journey stage of the sample catalogue's theme names (label only, no keywords)")
    print(frame.groupby("language")[["correct", "unmapped"]].mean().round(2).to_string())
    print(
        f"all: accuracy {frame['correct'].mean():.2f}, unmapped {frame['unmapped'].mean():.2f}, "
        f"accuracy where mapped {frame.loc[~frame['unmapped'], 'correct'].mean():.2f}, n = {len(frame)}"
    )


if __name__ == "__main__":
    code = main()
    if "--taxonomy" in sys.argv[1:]:
        taxonomy_check()
    raise SystemExit(code)
