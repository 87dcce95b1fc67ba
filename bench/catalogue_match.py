"""How well the theme catalogue's zero-shot matching generalises to real feedback nobody here wrote.

For every data set of ``bench.catalogue_data`` (labels mapped by hand onto catalogue ids) each unit is
matched with :class:`voc.themes.catalogue.CatalogueMatcher` and scored:

* coverage: share of units that took a catalogue theme;
* precision: share of matched units whose theme is one the unit's label maps to;
* recall: share of all units that took a right theme;
* on ``sib200_offtopic`` (news and encyclopaedia sentences in five languages) every match is wrong,
  so its coverage is the false-match rate, per language.

Selection is never made on a set that is reported: ``threshold``/``margin`` per scoring variant
(calibration "none", "offset" or "center"; top-k examples averaged per theme) are chosen on the
tuning set ``tune`` = a seeded half of the airline tweets (``airline_en:tune``) plus 200 off-topic
sib200 ``train`` sentences in five languages (any match of those is wrong), by F0.5 (precision
counts twice: a wrong anchor misleads an analyst, an unmatched unit is still clustered). The other
half of the tweets (``airline_en:test``), sib200 test/dev and every other set are only reported.

``lolo`` (leave one language out) checks the catalogue across languages: each example of language L
is matched against the catalogue without L's examples (L's mean vector is kept, it carries no theme).

Run: ``python -m bench.catalogue_match`` (embeddings are cached by ``bench.common.embed_cached``).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pandas as pd

from bench.catalogue_data import LOADERS, SEED, load_sib200_tuning
from bench.common import embed_cached
from voc.themes.catalogue import NO_MATCH, Catalogue, CatalogueMatcher, load_catalogue

#: Threshold grids per calibration (centred vectors live on another scale than raw cosine).
THRESHOLDS = {
    "none": np.round(np.arange(0.78, 0.93, 0.0025), 4),
    "offset": np.round(np.arange(0.78, 0.93, 0.0025), 4),
    "center": np.round(np.arange(0.10, 0.60, 0.01), 3),
}
MARGINS = (0.0, 0.0025, 0.005, 0.01, 0.02, 0.03)
VARIANTS = [(calibration, k) for calibration in ("none", "offset", "center") for k in (1, 2, 3)]
#: Thresholds shown in the trade-off table of the chosen variant (margin kept at the chosen one).
SWEEP = (-0.02, -0.01, 0.0, 0.01, 0.02, 0.03)


def _evaluate(pred: np.ndarray, theme_ids: list[str], allowed: pd.Series) -> dict[str, float]:
    """Coverage, precision and recall; a unit with no allowed theme (off-topic) is wrong whenever matched."""
    matched = pred != NO_MATCH
    right = np.array([m and theme_ids[p] in a for p, m, a in zip(pred, matched, allowed, strict=True)])
    labelled = np.array([len(a) > 0 for a in allowed])
    only_offtopic = not labelled.any()
    return {
        "n": len(pred),
        "coverage": float(matched.mean()) if len(pred) else 0.0,
        "precision": float(right.sum() / matched.sum()) if matched.any() and not only_offtopic else float("nan"),
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
    _, languages, theme_index = catalogue.examples()
    language_array = np.asarray(languages)
    rows = []
    for language in sorted(set(languages)):
        held = language_array == language
        fitted = CatalogueMatcher(
            threshold=matcher.threshold, margin=matcher.margin, top_k=matcher.top_k, calibration=matcher.calibration
        ).fit_vectors(catalogue, example_vectors)
        fitted.example_vectors_ = fitted.example_vectors_[~held]
        fitted.example_theme_ = theme_index[~held]
        pred, _ = fitted.match(example_vectors[held], list(language_array[held]))
        truth = [(catalogue.themes[i].id,) for i in theme_index[held]]
        m = _evaluate(pred, fitted.theme_ids_, pd.Series(truth))
        rows.append({"set": f"lolo:{language}", **m})
    return pd.DataFrame(rows)


def _rows(name: str, df: pd.DataFrame, pred: np.ndarray, theme_ids: list[str], **extra: object) -> list[dict]:
    rows = [{**extra, "set": name, **_evaluate(pred, theme_ids, df["allowed"])}]
    if name == "sib200_offtopic":
        for language, part in df.assign(_p=pred).groupby("language"):
            rows.append(
                {
                    **extra,
                    "set": f"sib200:{language}",
                    "n": len(part),
                    "coverage": float((part["_p"] != NO_MATCH).mean()),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(LOADERS), help="comma-separated subset of the data sets")
    args = parser.parse_args()

    catalogue = load_catalogue()
    texts, _, _ = catalogue.examples()
    theme_ids = [t.id for t in catalogue.themes]
    example_vectors = embed_cached(texts)

    sets: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    for name in args.datasets.split(","):
        loaded = LOADERS[name]()
        if loaded is None:
            print(f"[skip] {name}: data not on this machine")
            continue
        df = loaded.reset_index(drop=True)
        vectors = embed_cached(df["text"].tolist())
        if name == "airline_en":
            tune = df.sample(frac=0.5, random_state=SEED).index
            rest = df.index.difference(tune)
            sets["airline_en:tune"] = (df.loc[tune], vectors[tune])
            sets["airline_en:test"] = (df.loc[rest], vectors[rest])
        else:
            sets[name] = (df, vectors)
    offtopic = load_sib200_tuning()
    if "airline_en:tune" not in sets or offtopic is None:
        raise SystemExit("the airline tweets and sib200 (the tuning set) are needed")
    tune_vectors = np.concatenate([sets["airline_en:tune"][1], embed_cached(offtopic["text"].tolist())])
    sets["tune"] = (pd.concat([sets["airline_en:tune"][0], offtopic], ignore_index=True), tune_vectors)
    tune_df = sets["tune"][0]

    # 1. per variant, threshold and margin chosen on the tuning half only (F0.5)
    chosen, scores = [], {}
    for calibration, top_k in VARIANTS:
        matcher = CatalogueMatcher(top_k=top_k, calibration=calibration).fit_vectors(catalogue, example_vectors)
        scores[(calibration, top_k)] = {
            name: matcher.score(vectors, df["language"].tolist()) for name, (df, vectors) in sets.items()
        }
        tune_scores = scores[(calibration, top_k)]["tune"]
        best = max(
            itertools.product(THRESHOLDS[calibration], MARGINS),
            key=lambda tm, s=tune_scores: _f05(_evaluate(_predict(s, *tm), theme_ids, tune_df["allowed"])),
        )
        tuned = _evaluate(_predict(tune_scores, *best), theme_ids, tune_df["allowed"])
        chosen.append(
            {
                "calibration": calibration,
                "top_k": top_k,
                "threshold": best[0],
                "margin": best[1],
                "tune_f05": _f05(tuned),
            }
        )
    chosen_df = pd.DataFrame(chosen)
    print("\n== variants; threshold and margin chosen on the tuning set by F0.5")
    print(chosen_df.to_string(index=False, float_format=lambda x: f"{x:.4f}"))

    # 2. every variant on every set: coverage / precision (held-out sets only reported)
    rows = []
    for c in chosen_df.itertuples():
        for name, (df, _) in sets.items():
            pred = _predict(scores[(c.calibration, c.top_k)][name], c.threshold, c.margin)
            rows += _rows(name, df, pred, theme_ids, variant=f"{c.calibration}/k{c.top_k}")
    report = pd.DataFrame(rows)
    cells = report.assign(
        cell=[
            f"{c:.2f}/{p:.2f}" if p == p else f"{c:.2f}" for c, p in zip(report.coverage, report.precision, strict=True)
        ]
    )
    print("\n== coverage/precision per variant (sib200 rows: coverage = false-match rate)")
    print(cells.pivot(index="set", columns="variant", values="cell").loc[cells["set"].unique()].to_string())

    # 3. the shipped default (the tuning winner, copied into CatalogueMatcher's defaults), in detail
    winner = chosen_df.sort_values("tune_f05", ascending=False).iloc[0]
    print(
        f"\n== tuning winner: calibration={winner['calibration']} top_k={winner['top_k']} "
        f"threshold={winner['threshold']} margin={winner['margin']}"
    )
    matcher = CatalogueMatcher().fit_vectors(catalogue, example_vectors)
    default = (matcher.calibration, matcher.top_k)
    print(
        f"\n== shipped default: calibration={default[0]} top_k={default[1]} threshold={matcher.threshold} "
        f"margin={matcher.margin}"
    )
    rows = []
    for name, (df, _) in sets.items():
        pred = _predict(scores[default][name], matcher.threshold, matcher.margin)
        rows += _rows(name, df, pred, theme_ids)
    final = pd.concat([pd.DataFrame(rows), _lolo(catalogue, example_vectors, matcher)], ignore_index=True)
    print(final.to_string(index=False, float_format=lambda x: f"{x:.2f}"))

    sweep = []
    for delta in SWEEP:
        threshold = round(matcher.threshold + delta, 4)
        for name, (df, _) in sets.items():
            pred = _predict(scores[default][name], threshold, matcher.margin)
            sweep += _rows(name, df, pred, theme_ids, threshold=threshold)
    sweep_df = pd.DataFrame(sweep)
    sweep_df["cell"] = [
        f"{c:.2f}/{p:.2f}" if p == p else f"{c:.2f}" for c, p in zip(sweep_df.coverage, sweep_df.precision, strict=True)
    ]
    print("\n== shipped default, coverage/precision by threshold")
    print(sweep_df.pivot(index="set", columns="threshold", values="cell").loc[sweep_df["set"].unique()].to_string())

    for name in sets:
        if name.startswith("sib200") or name in ("tune", "airline_en:tune"):
            continue
        pred = _predict(scores[default][name], matcher.threshold, matcher.margin)
        top = pd.Series([theme_ids[p] for p in pred if p != NO_MATCH]).value_counts().head(6)
        print(f"{name}: most taken themes: " + ", ".join(f"{k} {v}" for k, v in top.items()))


if __name__ == "__main__":
    main()
