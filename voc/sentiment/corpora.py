"""Readers of the public labelled sentiment sets the default head is trained and measured on.

Each reader returns one frame with the same columns, so training and the benchmark treat a
Polish hotel review, a Finnish forum sentence and an English airline tweet alike:

- ``text``, ``label`` (``negative`` | ``neutral`` | ``positive``), ``language``, ``set``;
- ``rating`` (a 1-5 scale where the set has one, else NaN), ``reason`` (a complaint reason where
  the set has one), ``aspects`` (a list of ``(theme, polarity)`` pairs where the set marks them).

The files are not part of the project (see ``../shared/data/README.md`` for sources and
licences); :func:`available_sets` says which are on this machine, so a missing folder means
"train and measure without it", never an error. Every reader takes the folder as ``data_dir``:
the settings' ``shared_data_root`` (``shared_data_dir``, ``VOC_SHARED_DATA``) at the call site.

Which rows are held out is decided by a hash of the text (:func:`held_out`), not by a random
draw, so a row is held out in every run, by training and benchmark alike, and a benchmark can
never report rows the shipped head was trained on.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["text", "label", "language", "set", "rating", "reason", "aspects"]
#: share of each set's rows kept out of training for measurement (by text hash)
HELD_OUT_SHARE = 0.3

#: name, language, licence, domain: what the model card quotes
SETS: dict[str, dict[str, str]] = {
    "polemo_hotels_pl": {"language": "pl", "licence": "CC BY 4.0", "domain": "hotel-review sentences (PolEmo 2.0)"},
    "finnsentiment_fi": {"language": "fi", "licence": "CC BY 4.0", "domain": "Suomi24 forum sentences (FinnSentiment)"},
    "sb10k_de": {"language": "de", "licence": "research corpus, no licence file", "domain": "German tweets (SB10k)"},
    "germeval2017": {
        "language": "de",
        "licence": "CC BY 4.0 (as published)",
        "domain": "Deutsche Bahn feedback (GermEval 2017)",
    },
    "airline_tweets_en": {"language": "en", "licence": "CC BY-NC-SA 4.0", "domain": "US airline tweets"},
}
#: measured only, never trained on: sets of another domain the head must carry to
EVAL_ONLY_SETS: dict[str, dict[str, str]] = {
    "semeval16_restaurants_en": {
        "language": "en",
        "licence": "SemEval task data (research use)",
        "domain": "restaurant-review sentences, aspect polarity",
    },
    "skytrax_lounge_seat_en": {
        "language": "en",
        "licence": "CC0 repository; reviews Skytrax's",
        "domain": "airline lounge and seat reviews with sub-ratings",
    },
}


def _frame(**columns) -> pd.DataFrame:
    n = len(columns["text"])
    base = {"rating": np.full(n, np.nan), "reason": [None] * n, "aspects": [[] for _ in range(n)]}
    base.update(columns)
    return pd.DataFrame(base)[COLUMNS]


def read_polemo(folder: Path) -> pd.DataFrame:
    """PolEmo 2.0 hotels: the label is a ``__label__z_*`` suffix; ambivalent rows are dropped.

    ``aspects`` holds the aspect spans (lower-cased) with the polarity of the opinion tied to them.
    """
    labels = {"z_plus_m": "positive", "z_minus_m": "negative", "z_zero": "neutral"}
    texts, tags, aspects = [], [], []
    with open(folder / "main_all.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text, _, tag = row["text"].rpartition(" __label__")
            if tag not in labels:
                continue
            entities = {e["id"]: e for e in row.get("entities", [])}
            pairs = []
            for rel in row.get("relations", []):
                ends = [entities.get(rel["from_id"]), entities.get(rel["to_id"])]
                aspect = next((e for e in ends if e and e["label"] == "ASPEKT"), None)
                if aspect is not None:
                    pairs.append(
                        (
                            row["text"][aspect["start_offset"] : aspect["end_offset"]].strip().lower(),
                            rel["type"].lower(),
                        )
                    )
            texts.append(text.strip())
            tags.append(labels[tag])
            aspects.append(pairs)
    return _frame(text=texts, label=tags, language="pl", set="polemo_hotels_pl", aspects=aspects)


def read_finnsentiment(folder: Path) -> pd.DataFrame:
    """FinnSentiment: ``majority`` of three annotators as label, ``derived`` (1-5) as rating."""
    raw = pd.read_csv(folder / "finnsentiment.tsv", sep="\t", quoting=3, dtype={"text": str})
    raw = raw.dropna(subset=["text"])
    label = raw["majority"].map({-1: "negative", 0: "neutral", 1: "positive"})
    return _frame(
        text=raw["text"].str.strip().tolist(),
        label=label.tolist(),
        language="fi",
        set="finnsentiment_fi",
        rating=raw["derived"].astype(float).to_numpy(),
    )


def read_sb10k(folder: Path) -> pd.DataFrame:
    """SB10k German tweets: ``label<TAB>text`` without header."""
    raw = pd.read_csv(
        folder / "corpus_label_text.tsv", sep="\t", header=None, names=["label", "text"], quoting=3, dtype=str
    )
    raw = raw[raw["label"].isin(["negative", "neutral", "positive"])].dropna(subset=["text"])
    return _frame(text=raw["text"].str.strip().tolist(), label=raw["label"].tolist(), language="de", set="sb10k_de")


def read_germeval(folder: Path) -> pd.DataFrame:
    """GermEval 2017 dev: relevant rows, ``doc_sentiment`` as label, ``Category#Sub:polarity`` aspects."""
    raw = pd.read_csv(folder / "dev.tsv", sep="\t", dtype=str)
    raw = raw[raw["relevant"].str.lower().eq("true")].dropna(subset=["text"])
    raw = raw[raw["doc_sentiment"].isin(["negative", "neutral", "positive"])]
    aspects = []
    for item in raw["aspects"].fillna(""):
        pairs = []
        for token in item.split():
            category, _, polarity = token.rpartition(":")
            if polarity in ("negative", "neutral", "positive"):
                pairs.append((category.split("#")[0], polarity))
        aspects.append(pairs)
    return _frame(
        text=raw["text"].str.strip().tolist(),
        label=raw["doc_sentiment"].tolist(),
        language="de",
        set="germeval2017",
        aspects=aspects,
    )


def read_airline(folder: Path) -> pd.DataFrame:
    """Twitter US Airline Sentiment: ``airline_sentiment`` as label, ``negativereason`` as reason."""
    raw = pd.read_csv(folder / "Tweets.csv", dtype={"text": str}).dropna(subset=["text"])
    reason = raw["negativereason"].where(raw["negativereason"].notna(), None)
    return _frame(
        text=raw["text"].str.strip().tolist(),
        label=raw["airline_sentiment"].tolist(),
        language="en",
        set="airline_tweets_en",
        reason=reason.tolist(),
    )


def read_semeval(folder: Path) -> pd.DataFrame:
    """SemEval 2016 restaurants, test gold: one row per sentence with its opinions' categories.

    The label is the sentence's tone when all its opinions agree, neutral otherwise (mixed or
    none); the per-theme measurement uses ``aspects``.
    """
    texts, labels, aspects = [], [], []
    for sentence in ET.parse(folder / "EN_REST_SB1_TEST_gold.xml").getroot().iter("sentence"):
        text = sentence.findtext("text") or ""
        pairs = [(op.get("category", "").split("#")[0], op.get("polarity", "")) for op in sentence.iter("Opinion")]
        pairs = [p for p in pairs if p[1] in ("negative", "neutral", "positive")]
        polarities = {p for _, p in pairs}
        texts.append(text.strip())
        labels.append(polarities.pop() if len(polarities) == 1 else "neutral")
        aspects.append(pairs)
    return _frame(text=texts, label=labels, language="en", set="semeval16_restaurants_en", aspects=aspects)


#: Skytrax sub-rating columns per file (the aspects that should explain the overall rating)
SKYTRAX_ASPECTS = {
    "lounge": [
        "comfort",
        "cleanliness",
        "bar_beverages",
        "catering",
        "washrooms",
        "wifi_connectivity",
        "staff_service",
    ],
    "seat": ["seat_legroom", "seat_recline", "seat_width", "aisle_space", "viewing_tv", "power_supply", "seat_storage"],
}


def read_skytrax(folder: Path) -> pd.DataFrame:
    """Skytrax lounge and seat reviews: ``recommended`` as label, ``overall_rating`` (1-10) as rating.

    ``aspects`` holds the sub-ratings as ``(name, rating)`` pairs where given.
    """
    parts = []
    for name, columns in SKYTRAX_ASPECTS.items():
        raw = pd.read_csv(folder / f"{name}.csv", dtype={"content": str}).dropna(subset=["content", "recommended"])
        subs = [
            [(c, float(r[f"{c}_rating"])) for c in columns if pd.notna(r.get(f"{c}_rating"))] for _, r in raw.iterrows()
        ]
        label = np.where(raw["recommended"].astype(int) == 1, "positive", "negative")
        parts.append(
            _frame(
                text=raw["content"].str.strip().tolist(),
                label=label.tolist(),
                language="en",
                set="skytrax_lounge_seat_en",
                rating=raw["overall_rating"].astype(float).to_numpy(),
                aspects=subs,
            )
        )
    return pd.concat(parts, ignore_index=True)


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "polemo_hotels_pl": read_polemo,
    "finnsentiment_fi": read_finnsentiment,
    "sb10k_de": read_sb10k,
    "germeval2017": read_germeval,
    "airline_tweets_en": read_airline,
    "semeval16_restaurants_en": read_semeval,
    "skytrax_lounge_seat_en": read_skytrax,
}


def available_sets(*, data_dir: Path) -> list[str]:
    """Names of the sets whose folder is under ``data_dir``."""
    return [name for name in READERS if (Path(data_dir) / name).is_dir()]


def read_set(name: str, *, data_dir: Path) -> pd.DataFrame:
    """One set (the folder ``data_dir / name``) as a frame of :data:`COLUMNS`; empty texts and duplicates dropped."""
    frame = READERS[name](Path(data_dir) / name)
    frame = frame[frame["text"].str.len() > 0]
    return frame.drop_duplicates(subset="text").reset_index(drop=True)


def text_bucket(texts: pd.Series) -> np.ndarray:
    """A stable number in [0, 1) per text (from its sha1), shape (n,)."""
    return np.array([int(hashlib.sha1(t.encode("utf-8")).hexdigest()[:8], 16) / 2**32 for t in texts])


def held_out(frame: pd.DataFrame, share: float = HELD_OUT_SHARE) -> np.ndarray:
    """Boolean mask of rows reserved for measurement, the same in every run, shape (n,)."""
    return text_bucket(frame["text"]) < share


def subsample(frame: pd.DataFrame, per_class: dict[str, int], *, seed: int = 0) -> pd.DataFrame:
    """At most ``per_class[label]`` rows per label, drawn reproducibly.

    Embedding tens of thousands of texts on a laptop's CPU takes hours; a few thousand per set
    carry nearly all a linear head on 384 dimensions can learn.
    """
    parts = []
    for label, rows in frame.groupby("label", sort=True):
        cap = per_class.get(str(label), 0)
        parts.append(rows.sample(min(cap, len(rows)), random_state=seed) if len(rows) > cap else rows)
    return pd.concat(parts).sort_index() if parts else frame.iloc[:0]


#: rows drawn per label from each training set (negative, neutral, positive), see :func:`subsample`
TRAIN_SET_CAPS: dict[str, int] = {"negative": 1000, "neutral": 600, "positive": 1000}
#: rows drawn from each measured-only set (Skytrax reviews are long: fewer)
EVAL_SET_CAPS: dict[str, dict[str, int]] = {
    "semeval16_restaurants_en": {"negative": 400, "neutral": 400, "positive": 400},
    "skytrax_lounge_seat_en": {"negative": 250, "positive": 250},
}


def sentiment_corpus(*, data_dir: Path, sets: list[str] | None = None) -> pd.DataFrame:
    """The real rows training and the benchmark use: every available set, subsampled per label.

    Adds a boolean ``held_out`` column (:func:`held_out`); rows of measured-only sets and
    PolEmo rows with aspect spans (the per-theme test) are always held out.
    """
    parts = []
    for name in sets or available_sets(data_dir=data_dir):
        frame = read_set(name, data_dir=data_dir)
        caps = EVAL_SET_CAPS.get(name, TRAIN_SET_CAPS)
        sample = subsample(frame, caps)
        if name == "polemo_hotels_pl":
            with_aspects = frame[frame["aspects"].map(len) > 0]
            sample = pd.concat([sample, with_aspects[~with_aspects.index.isin(sample.index)]]).sort_index()
        sample = sample.assign(held_out=held_out(sample))
        if name in EVAL_ONLY_SETS:
            sample["held_out"] = True
        if name == "polemo_hotels_pl":
            sample.loc[sample["aspects"].map(len) > 0, "held_out"] = True
        parts.append(sample.reset_index(drop=True))
    if not parts:
        return pd.DataFrame(columns=COLUMNS + ["held_out"])
    return pd.concat(parts, ignore_index=True)
