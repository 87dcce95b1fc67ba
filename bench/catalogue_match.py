"""How well the theme catalogue's zero-shot matching generalises to real feedback nobody here wrote.

For every data set of ``bench.catalogue_data`` (labels mapped by hand onto catalogue ids) each unit is
matched with :class:`voc.themes.catalogue.CatalogueMatcher` and scored:

* coverage: share of units that took a catalogue theme;
* precision: share of matched units whose theme is one the unit's label maps to;
* recall: share of all units that took a right theme;
* on ``sib200_offtopic`` (news and encyclopaedia sentences in five languages) every match is wrong,
  so its coverage is the false-match rate, per language.

Selection is never made on a set that is reported: scoring variants (raw or per-language-centred
vectors, top-k examples averaged per theme) and ``threshold``/``margin`` are chosen on a seeded half
of the airline tweets (``airline_en:tune``) by F0.5 (precision counts twice: a wrong anchor misleads
an analyst, an unmatched unit is still clustered); the other half (``airline_en:test``) and every
other set are only reported.

``lolo`` (leave one language out) checks the catalogue across languages: each example of language L
is matched against the catalogue without L's examples (L's mean vector is kept, it carries no theme).

Run: ``python -m bench.catalogue_match`` (embeddings are cached by ``bench.common.embed_cached``).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pandas as pd

from bench.catalogue_data import LOADERS, SEED
from bench.common import embed_cached
from voc.themes.catalogue import NO_MATCH, Catalogue, CatalogueMatcher, load_catalogue

THRESHOLDS = {False: np.round(np.arange(0.80, 0.921, 0.005), 3), True: np.round(np.arange(0.10, 0.601, 0.01), 3)}
MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05)
VARIANTS = [(center, k) for center in (False, True) for k in (1, 3, 5)]


def _evaluate(pred: np.ndarray, theme_ids: list[str], allowed: pd.Series) -> dict[str, float]:
    matched = pred != NO_MATCH
    right = np.array([m and theme_ids[p] in a for p, m, a in zip(pred, matched, allowed, strict=True)])
    labelled = np.array([len(a) > 0 for a in allowed])
    n_matched_labelled = int((matched & labelled).sum())
    return {
        "n": len(pred),
        "coverage": float(matched.mean()) if len(pred) else 0.0,
        "precision": float(right.sum() / n_matched_labelled) if n_matched_labelled else float("nan"),
        "recall": float(right.sum() / labelled.sum()) if labelled.any() else float("nan"),
    }


def _f05(m: dict[str, float]) -> float:
    p, r = m["precision"], m["recall"]
    return 0.0 if not p or not r or np.isnan(p) else 1.25 * p * r / (0.25 * p + r)


def _predict(scores: np.ndarray, threshold: float, margin: float) -> np.ndarray:
    order = np.sort(scores, axis=1)
    best = scores.argmax(axis=1)
    taken = (order[:, -1] >= threshold) & (order[:, -1] - order[:, -2] >= margin)
    return np.where(taken, best, NO_MATCH)


def _lolo(catalogue: Catalogue, example_vectors: np.ndarray, matcher: CatalogueMatcher) -> pd.DataFrame:
    texts, languages, theme_index = catalogue.examples()
    language_array = np.asarray(languages)
    rows = []
    for language in sorted(set(languages)):
        held = language_array == language
        fitted = CatalogueMatcher(
            threshold=matcher.threshold,
            margin=matcher.margin,
            top_k=matcher.top_k,
            center_languages=matcher.center_languages,
        ).fit_vectors(catalogue, example_vectors)
        fitted.example_vectors_ = fitted.example_vectors_[~held]
        fitted.example_theme_ = theme_index[~held]
        pred, _ = fitted.match(example_vectors[held], list(language_array[held]))
        truth = [(catalogue.themes[i].id,) for i in theme_index[held]]
        m = _evaluate(pred, fitted.theme_ids_, pd.Series(truth))
        rows.append({"set": f"lolo:{language}", **m})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(LOADERS), help="comma-separated subset of the data sets")
    args = parser.parse_args()

    catalogue = load_catalogue()
    texts, _, _ = catalogue.examples()
    example_vectors = embed_cached(texts)

    sets: dict[str, pd.DataFrame] = {}
    for name in args.datasets.split(","):
        df = LOADERS[name]()
        if df is None:
            print(f"[skip] {name}: data not on this machine")
            continue
        df = df.reset_index(drop=True)
        df["vector_row"] = np.arange(len(df))
        vectors = embed_cached(df["text"].tolist())
        if name == "airline_en":
            tune = df.sample(frac=0.5, random_state=SEED).index
            sets["airline_en:tune"] = df.loc[tune].assign(_v=list(vectors[tune]))
            rest = df.index.difference(tune)
            sets["airline_en:test"] = df.loc[rest].assign(_v=list(vectors[rest]))
        else:
            sets[name] = df.assign(_v=list(vectors))
    if "airline_en:tune" not in sets:
        raise SystemExit("the airline tweets (the tuning set) are needed")

    # 1. choose, per variant, threshold and margin on the tuning half only
    chosen = []
    scores: dict[tuple[bool, int], dict[str, np.ndarray]] = {}
    for center, top_k in VARIANTS:
        matcher = CatalogueMatcher(top_k=top_k, center_languages=center).fit_vectors(catalogue, example_vectors)
        scores[(center, top_k)] = {
            name: matcher.score(np.stack(df["_v"].to_list()), df["language"].tolist()) for name, df in sets.items()
        }
        tune_df, tune_scores = sets["airline_en:tune"], scores[(center, top_k)]["airline_en:tune"]
        best = max(
            itertools.product(THRESHOLDS[center], MARGINS),
            key=lambda tm: _f05(_evaluate(_predict(tune_scores, *tm), matcher.theme_ids_, tune_df["allowed"])),
        )
        m = _evaluate(_predict(tune_scores, *best), matcher.theme_ids_, tune_df["allowed"])
        chosen.append({"center": center, "top_k": top_k, "threshold": best[0], "margin": best[1], "tune_f05": _f05(m)})
    chosen_df = pd.DataFrame(chosen)
    print("\n== variants, threshold/margin chosen on airline_en:tune (F0.5)")
    print(chosen_df.to_string(index=False, float_format=lambda x: f"{x:.3f}"))

    # 2. report every variant on the held-out sets (selection made above on the tuning half only)
    rows = []
    for _, c in chosen_df.iterrows():
        key = (bool(c["center"]), int(c["top_k"]))
        for name, df in sets.items():
            pred = _predict(scores[key][name], c["threshold"], c["margin"])
            theme_ids = [t.id for t in catalogue.themes]
            m = _evaluate(pred, theme_ids, df["allowed"])
            rows.append({"center": key[0], "top_k": key[1], "set": name, **m})
            if name == "sib200_offtopic":
                for language, part in df.assign(_p=pred).groupby("language"):
                    rows.append(
                        {
                            "center": key[0],
                            "top_k": key[1],
                            "set": f"sib200:{language}",
                            "n": len(part),
                            "coverage": float((part["_p"] != NO_MATCH).mean()),
                        }
                    )
    report = pd.DataFrame(rows)
    print("\n== every variant on every set (coverage, precision, recall)")
    wide = report.pivot_table(index="set", columns=["center", "top_k"], values=["coverage", "precision"], sort=False)
    print(wide.to_string(float_format=lambda x: f"{x:.2f}"))

    winner = chosen_df.sort_values("tune_f05", ascending=False).iloc[0]
    key = (bool(winner["center"]), int(winner["top_k"]))
    print(
        f"\n== chosen on airline_en:tune: center_languages={key[0]} top_k={key[1]} "
        f"threshold={winner['threshold']} margin={winner['margin']}"
    )
    final = report[(report["center"] == key[0]) & (report["top_k"] == key[1])].drop(columns=["center", "top_k"])
    matcher = CatalogueMatcher(
        threshold=float(winner["threshold"]), margin=float(winner["margin"]), top_k=key[1], center_languages=key[0]
    ).fit_vectors(catalogue, example_vectors)
    final = pd.concat([final, _lolo(catalogue, example_vectors, matcher)], ignore_index=True)
    print(final.to_string(index=False, float_format=lambda x: f"{x:.2f}"))

    for name in sets:
        if name.startswith("sib200") or name == "airline_en:tune":
            continue
        pred = _predict(scores[key][name], winner["threshold"], winner["margin"])
        top = pd.Series([matcher.theme_ids_[p] for p in pred if p != NO_MATCH]).value_counts().head(6)
        print(f"\n{name}: most taken themes: " + ", ".join(f"{k} {v}" for k, v in top.items()))


if __name__ == "__main__":
    main()
