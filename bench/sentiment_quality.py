"""Sentiment quality on real labelled feedback in five languages, held out, through the scoring path.

Every figure is computed on rows the shipped head was never trained on: the rows
:func:`voc.sentiment.corpora.held_out` reserves (30 % of each set by text hash), plus two sets that
no head is ever trained on (SemEval 2016 restaurants, Skytrax reviews). Texts are embedded by the
product's embedder (:func:`voc.embed.get_embedder`, cached per text in the ``sentiment`` folder of
the settings' ``cache_dir``) and scored by :func:`voc.sentiment.score_sentiment`, the function the pipeline scores units and
records with, with the default head that :func:`voc.sentiment.default_model_for` gives the
pipeline.

Sets are subsampled (``voc.sentiment.corpora.TRAIN_SET_CAPS``: at most 1,000 negative, 600
neutral and 1,000 positive rows per set, 400 per label from SemEval, 250 per label from the long Skytrax reviews), since embedding
tens of thousands of texts takes hours on two cores.

Tables:

1. **Per set and per language**: the zero-shot anchor phrases, the previous recipe (hand-written
   texts + GermEval, refitted here on the same training rows so it is held out too) and the shipped
   default. ``auc`` and ``bin_acc`` (balanced sign accuracy) use positive vs negative rows,
   ``f1_3way`` is macro-F1 over negative/neutral/positive with the neutral band.
2. **Leave one language out**: the default recipe refitted without any row of a language (real or
   hand-written), scored on that language's held-out rows; Ukrainian, with no real set, on its
   hand-written texts (optimistic: they are parallel translations of the other languages' texts).
3. **Per theme mention**: each aspect mention gets the label of the sentence carrying it; per
   theme, net sentiment = share positive - share negative, predicted against true.
4. **Learning from ratings**: :func:`voc.sentiment.fit_from_ratings` on one half of a rated set,
   scored on the other half, against the default head on the same rows.
5. **Effort and churn cues** on all airline tweets, per complaint reason.

    python -m bench.sentiment_quality [--data ../shared/data] [--neutral-band 0.15] [--skip-lolo]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from bench.common import settings, shared_data_dir
from voc.config import SentimentSettings
from voc.sentiment import default_model_for, detect_cues, fit_from_ratings, ratings_to_labels, score_sentiment
from voc.sentiment.corpora import SETS, read_set, sentiment_corpus, text_bucket
from voc.sentiment.model import SentimentModel
from voc.sentiment.train import (
    anchor_baseline,
    binary_metrics,
    embed_frame,
    fit_default,
    training_frame,
)

LANGUAGES = ("pl", "fi", "uk", "de", "en")
#: sets whose aspects carry a polarity (Skytrax's carry sub-ratings, used in the ratings table)
ASPECT_POLARITY_SETS = ("polemo_hotels_pl", "germeval2017", "semeval16_restaurants_en")
#: the previous recipe's settings (hand-written groups weigh 1, GermEval 2, temperature 0.2)
PREVIOUS = {"germeval_weight": 2.0, "alpha": 1e-4, "temperature": 0.2}


def _vector_cache() -> Path:
    """The sentence-vector cache training uses too (the ``sentiment`` folder of the settings' ``cache_dir``)."""
    from voc.sentiment.vector_cache import cache_root

    return cache_root(settings().cache_dir)


def fmt(table: pd.DataFrame) -> str:
    """A table as GitHub markdown, floats with three decimals (to paste into the README)."""
    flat = table.reset_index()

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, (float, np.floating)):
            return "" if np.isnan(value) else f"{value:.3f}"
        return str(value)

    lines = ["| " + " | ".join(map(str, flat.columns)) + " |", "|" + "---|" * len(flat.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in flat.itertuples(index=False)]
    return "\n".join(lines)


def scores_of(model: SentimentModel, X: np.ndarray, band: float) -> pd.DataFrame:
    """The product's scoring path: sentiment in [-1, 1] and its label per row."""
    return score_sentiment(X, model=model, neutral_band=band)


def record_vectors(test: pd.DataFrame, embedder) -> np.ndarray:
    """Vectors of held-out records as the pipeline builds them: split into units, embed, mean.

    :func:`voc.themes.segment.split_units` cuts a record into sentences and clauses and the
    pipeline scores a record by the unit-length mean of its units' vectors
    (``voc.pipeline.nodes._mean_vectors``); a one-clause record is its own single unit.
    """
    from voc.pipeline.nodes import _mean_vectors
    from voc.sentiment.vector_cache import cached_encode
    from voc.themes.segment import split_units

    records = pd.DataFrame(
        {"record_id": np.arange(len(test)), "text": test["text"].to_numpy(), "language": test["language"].to_numpy()}
    )
    units = split_units(records)
    vectors, keys = _mean_vectors(
        units["record_id"].to_numpy(), cached_encode(units["text"].tolist(), embedder, root=_vector_cache())
    )
    out = np.zeros((len(test), vectors.shape[1]), dtype=np.float32)
    out[keys.astype(int)] = vectors
    return out


def previous_recipe(frame: pd.DataFrame, X: np.ndarray) -> SentimentModel:
    """Today's head before this retraining: hand-written texts + GermEval, fitted on training rows only."""
    keep = (frame["group"].str.startswith("hand-") | frame["group"].eq("germeval2017")).to_numpy()
    part = frame[keep]
    weight = np.where(part["group"].eq("germeval2017"), PREVIOUS["germeval_weight"], 1.0)
    head = SentimentModel(alpha=PREVIOUS["alpha"], balance=True).fit(
        X[keep], part["label"].to_numpy(), sample_weight=weight, groups=part["group"].to_numpy()
    )
    head.coef_, head.intercept_ = head.coef_ * PREVIOUS["temperature"], head.intercept_ * PREVIOUS["temperature"]
    return head


def quality_table(heads: dict[str, SentimentModel], test: pd.DataFrame, X: np.ndarray, band: float) -> pd.DataFrame:
    """Rows per set, per language (its sets pooled) and per head."""
    rows = []
    units = [
        (f"{name} ({test.loc[test['set'] == name, 'language'].iloc[0]})", (test["set"] == name).to_numpy())
        for name in test["set"].unique()
    ]
    units += [
        (f"language {lang}", (test["language"] == lang).to_numpy())
        for lang in LANGUAGES
        if (test["language"] == lang).any()
    ]
    for unit, mask in units:
        for head_name, head in heads.items():
            scored = scores_of(head, X[mask], band)
            m = binary_metrics(test["label"].to_numpy()[mask], scored["sentiment"].to_numpy(), band)
            rows.append(
                {
                    "rows": unit,
                    "head": head_name,
                    "n_pos+neg": m["n_polar"],
                    "n_neutral": m["n_neutral"],
                    "auc": m.get("auc", np.nan),
                    "bin_acc": m.get("binary_accuracy", np.nan),
                    "f1_3way": m.get("macro_f1_3way", np.nan),
                }
            )
    return pd.DataFrame(rows).set_index(["rows", "head"])


def leave_language_out(
    train: pd.DataFrame, Xtr: np.ndarray, test: pd.DataFrame, Xte: np.ndarray, default: SentimentModel, band: float
) -> pd.DataFrame:
    """Per language: the recipe refitted without the language, against the default, on the same rows."""
    rows = []
    for lang in LANGUAGES:
        without = (train["language"] != lang).to_numpy()
        head, _ = fit_default(train[without], Xtr[without])
        if (test["language"] == lang).any():
            mask, what = (test["language"] == lang).to_numpy(), "held-out real rows"
            labels, X = test["label"].to_numpy()[mask], Xte[mask]
        else:
            mask, what = ~without, "hand-written texts (parallel translations: optimistic)"
            labels, X = train["label"].to_numpy()[mask], Xtr[mask]
        for name, model in ((f"trained without {lang}", head), ("default (all languages)", default)):
            m = binary_metrics(labels, scores_of(model, X, band)["sentiment"].to_numpy(), band)
            rows.append(
                {
                    "language": lang,
                    "tested on": what,
                    "head": name,
                    "n_pos+neg": m["n_polar"],
                    "auc": m.get("auc"),
                    "bin_acc": m.get("binary_accuracy"),
                    "f1_3way": m.get("macro_f1_3way", np.nan),
                }
            )
    return pd.DataFrame(rows).set_index(["language", "head"])


def theme_key(set_name: str, theme: str) -> str:
    """The theme a mention counts towards: the category, or for PolEmo's free aspect spans a stem.

    PolEmo marks the aspect words themselves ("obsługa", "obsługi", "śniadania"); the first five
    letters of the first word join the inflected forms of one word without a lemmatiser.
    """
    if set_name == "polemo_hotels_pl":
        return theme.split()[0][:5] if theme.split() else theme
    return theme


def mention_table(
    test: pd.DataFrame, X: np.ndarray, heads: dict[str, SentimentModel], band: float, min_mentions: int = 10
) -> pd.DataFrame:
    """Per-mention and per-theme net sentiment against the aspect polarity labels."""
    rows = []
    with_aspects = test[(test["aspects"].map(len) > 0) & test["set"].isin(list(ASPECT_POLARITY_SETS))]
    for set_name in with_aspects["set"].unique():
        part = with_aspects[with_aspects["set"] == set_name]
        index = test.index.get_indexer(part.index)
        mentions = pd.DataFrame(
            [(i, theme_key(set_name, theme), pol) for i, pairs in zip(index, part["aspects"]) for theme, pol in pairs],
            columns=["row", "theme", "truth"],
        )
        mentions = mentions.drop_duplicates()
        for head_name, head in heads.items():
            scored = scores_of(head, X[mentions["row"].to_numpy()], band)
            mentions["score"] = scored["sentiment"].to_numpy()
            mentions["predicted"] = scored["sentiment_label"].to_numpy()
            polar = mentions["truth"].isin(["positive", "negative"])
            truth01 = (mentions.loc[polar, "truth"] == "positive").to_numpy()
            s = mentions.loc[polar, "score"].to_numpy()
            themes = mentions.groupby("theme").filter(lambda g: len(g) >= min_mentions).groupby("theme")
            true_net = themes["truth"].apply(lambda t: (t == "positive").mean() - (t == "negative").mean())
            pred_net = themes["predicted"].apply(lambda t: (t == "positive").mean() - (t == "negative").mean())
            rows.append(
                {
                    "set": set_name,
                    "head": head_name,
                    "mentions": len(mentions),
                    "polar": int(polar.sum()),
                    "auc": roc_auc_score(truth01, s) if len(np.unique(truth01)) == 2 else np.nan,
                    "bin_acc": float(np.mean([np.mean(s[truth01] > 0), np.mean(s[~truth01] <= 0)]))
                    if len(np.unique(truth01)) == 2
                    else np.nan,
                    f"themes>={min_mentions}": len(true_net),
                    "net_mae": float(np.mean(np.abs(true_net - pred_net))) if len(true_net) else np.nan,
                    "net_r": float(np.corrcoef(true_net, pred_net)[0, 1])
                    if len(true_net) > 2 and true_net.std() > 0 and pred_net.std() > 0
                    else np.nan,
                }
            )
    return pd.DataFrame(rows).set_index(["set", "head"])


def ratings_table(test: pd.DataFrame, X: np.ndarray, default: SentimentModel, band: float) -> pd.DataFrame:
    """Ratings head fitted on one half of a rated set, scored on the other half against its labels.

    FinnSentiment's ``derived`` 1-5 is read as stars; Skytrax's overall rating (1-10) as stars
    ``ceil(r / 2)``, with the ``recommended`` flag as truth. Halves are split by text hash.
    ``auc`` is against the set's labels; the last column against the other half's own ratings
    (what the ratings head was fitted to predict).
    """
    rows = []
    settings = SentimentSettings(neutral_band=band)
    for set_name, to_stars in (("finnsentiment_fi", lambda r: r), ("skytrax_lounge_seat_en", lambda r: np.ceil(r / 2))):
        mask = ((test["set"] == set_name) & test["rating"].notna()).to_numpy()
        if not mask.any():
            continue
        part, Xp = test[mask], X[mask]
        # a second hash: held-out rows all have text_bucket < 0.3, so that one cannot halve them
        first = text_bucket(part["text"] + "\x1fratings-half") < 0.5
        stars = to_stars(part["rating"].to_numpy(float))
        model, info = fit_from_ratings(
            Xp[first], stars[first], ["stars"] * int(first.sum()), settings=settings, default=default
        )
        weak = ratings_to_labels(stars[~first], ["stars"] * int((~first).sum()))
        rated = ~np.isnan(weak)
        for name, head in (("default", default), (f"from ratings ({info['used']})", model)):
            score = scores_of(head, Xp[~first], band)["sentiment"].to_numpy()
            m = binary_metrics(part["label"].to_numpy()[~first], score, band)
            rows.append(
                {
                    "set": set_name,
                    "head": name,
                    "fitted on": int(info["n"]),
                    "tested on (pos+neg)": m["n_polar"],
                    "auc": m.get("auc"),
                    "bin_acc": m.get("binary_accuracy"),
                    "f1_3way": m.get("macro_f1_3way", np.nan),
                    "auc vs the other half's ratings": roc_auc_score(weak[rated], score[rated]),
                }
            )
    return pd.DataFrame(rows).set_index(["set", "head"])


def ceiling_table(corpus: pd.DataFrame, X: np.ndarray) -> pd.DataFrame:
    """In-domain reference: a logistic head fitted on a set's own polar rows, 5-fold held out.

    What this encoder allows on each set when the head may specialise to it; the default, which
    must serve every language and domain at once, should not be expected to beat it.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rows = {}
    for name in [s for s in corpus["set"].unique() if s in SETS]:
        mask = ((corpus["set"] == name) & corpus["label"].isin(["negative", "positive"])).to_numpy()
        y = (corpus["label"].to_numpy()[mask] == "positive").astype(int)
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000)
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        decision = cross_val_predict(model, X[mask], y, cv=folds, method="decision_function")
        rows[name] = {
            "n_pos+neg": int(mask.sum()),
            "auc": roc_auc_score(y, decision),
            "bin_acc": float(np.mean([np.mean(decision[y == 1] > 0), np.mean(decision[y == 0] <= 0)])),
        }
    return pd.DataFrame(rows).T.astype({"n_pos+neg": int}).rename_axis("set (in-domain, 5-fold)")


def cue_table(root: Path) -> pd.DataFrame:
    """Effort and churn cue rates per airline complaint reason (all 14.6k tweets; no model involved)."""
    tweets = read_set("airline_tweets_en", data_dir=root)
    cues = detect_cues(tweets["text"].tolist(), ["en"] * len(tweets))
    group = (
        tweets["reason"]
        .where(tweets["label"] == "negative", tweets["label"] + " (no complaint)")
        .fillna("negative, no reason")
    )
    table = cues[["effort_cue", "churn_cue"]].groupby(group.to_numpy()).mean()
    table.insert(0, "tweets", group.value_counts())
    return table.sort_values("effort_cue", ascending=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the public sets (default: the settings' shared_data_dir)")
    parser.add_argument("--neutral-band", type=float, default=SentimentSettings().neutral_band)
    parser.add_argument("--skip-lolo", action="store_true", help="skip the leave-one-language-out refits")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    root, band = (Path(args.data) if args.data else shared_data_dir()), args.neutral_band
    from voc.embed import get_embedder

    embedder = get_embedder()
    corpus = sentiment_corpus(data_dir=root)
    if corpus.empty:
        raise SystemExit("no labelled sets found: pass --data or set VOC_SHARED_DATA (see ../shared/data/README.md)")
    test = corpus[corpus["held_out"]].reset_index(drop=True)
    train = training_frame(root)
    cache_dir = settings().cache_dir
    Xte, Xtr = embed_frame(test, embedder, cache_dir=cache_dir), embed_frame(train, embedder, cache_dir=cache_dir)
    # the texts a held-out row could share with training (exact duplicates across sets) are dropped
    overlap = test["text"].isin(set(train["text"]))
    test, Xte = test[~overlap].reset_index(drop=True), Xte[~overlap.to_numpy()]
    default = default_model_for(embedder, neutral_band=band)
    heads = {
        "anchors (zero-shot)": anchor_baseline(train, Xtr),
        "previous (hand + GermEval)": previous_recipe(train, Xtr),
        "default (shipped)": default,
    }
    print(
        f"held-out rows: {len(test)} ({int(overlap.sum())} dropped as duplicates of training texts); "
        f"training rows of the shipped recipe: {len(train)}; neutral band {band}"
    )
    # records as the pipeline scores them; the measured-only sets (long Skytrax reviews split into
    # ~6 units each) as whole texts, which costs a fifth of the embedding time
    scored_sets = test["set"].isin(list(SETS)).to_numpy()
    Xrec = Xte.copy()
    Xrec[scored_sets] = record_vectors(test[scored_sets], embedder)
    print("\n## 1. Held out, per set and per language (records split into units and scored as the pipeline does)\n")
    print(fmt(quality_table(heads, test[scored_sets], Xrec[scored_sets], band)))
    whole = quality_table({"default (shipped)": default}, test, Xte, band)["auc"].rename(
        "auc, whole text embedded as one"
    )
    print("\nThe default head on the same rows embedded as one text each (SemEval, Skytrax: sentences / reviews):\n")
    print(fmt(whole.to_frame()))
    if not args.skip_lolo:
        print("\n## 2. Leave one language out (the recipe refitted without the language)\n")
        print(fmt(leave_language_out(train, Xtr, test[scored_sets], Xrec[scored_sets], default, band)))
    print("\n## 3. Per theme mention (sentence label per aspect mention; net = share pos - share neg per theme)\n")
    print(fmt(mention_table(test, Xte, heads, band)))
    print("\n## 4. Learning from ratings (fit on one half of the held-out rows, scored on the other)\n")
    print(fmt(ratings_table(test, Xrec, default, band)))
    print("\n## 5. In-domain reference: a head fitted on each set's own rows (training + held-out), 5-fold\n")
    both = pd.concat([train.assign(set=train["group"]), test], ignore_index=True)
    print(fmt(ceiling_table(both, np.vstack([Xtr, Xte]))))
    print("\n## 6. Effort / churn cues per airline complaint reason (share of tweets flagged)\n")
    print(fmt(cue_table(root)))
    print(f"\nrun time {time.perf_counter() - started:.0f} s (embeddings cached in {_vector_cache()})")


if __name__ == "__main__":
    main()
