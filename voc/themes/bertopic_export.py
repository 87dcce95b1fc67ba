"""A night's themes as a BERTopic model: ``BERTopic.load`` reads it and its visualisations work.

The theme model itself is not one ``BERTopic`` object: several of its steps have no plug point
there (the per-language alignment and the language/tone erasers would be a ``umap_model``, but the
boilerplate filter, the sentence units, the registry that keeps ids stable across refits, the
catalogue anchors that also name parent groups, and the label rules act *between* BERTopic's
steps). What a user of BERTopic wants from a night is its result in BERTopic's form: the topics,
their c-TF-IDF representations, their embeddings and names, so that ``visualize_topics``,
``visualize_hierarchy``, ``topics_over_time`` and ``topics_per_class`` (per language) work on it.

That is BERTopic's own *manual topic modeling*: :class:`bertopic.cluster.BaseCluster` as
``hdbscan_model`` (the clusters are given as ``y``), :class:`bertopic.dimensionality.BaseDimensionalityReduction`
as ``umap_model`` (the stored vectors are used as they are), BERTopic's ``ClassTfidfTransformer``
over a multilingual vectorizer (word 1-2-grams, stop words of every supported language), and the
night's labels as custom labels. The units' stored vectors become the topics' embeddings, so
``transform`` with vectors from the same encoder assigns new text by cosine similarity, as a
night's assignment does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.store import Store
from voc.themes.label_rules import stop_words

#: Name of BERTopic's topic -1: units that took no theme (boilerplate, context, too rare).
UNASSIGNED_LABEL = "no theme"
#: Least number of units a word must occur in to enter the topics' vocabulary.
MIN_DOCUMENT_FREQUENCY = 2


#: A word of letters (no numbers, no underscores), apostrophes inside it kept ("дев'ять", "don't").
WORD = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+(?:['’][^\W\d_]+)*\b")


class ExportError(ValueError):
    """The store holds nothing to export (no night has run, or its vectors are gone)."""


@dataclass(frozen=True)
class NightThemes:
    """What the export reads from a store: one row per unit and its vector.

    Attributes
    ----------
    units : DataFrame (n,)
        ``unit_id``, ``text``, ``language``, ``created_at`` (the record's time), ``theme_id``
        (-1 when the unit has no theme)
    vectors : ndarray (n, d) float32, the units' stored embeddings
    labels : dict theme_id -> label (custom label when curated, else the generated one)
    model_id : str, the encoder the vectors came from
    """

    units: pd.DataFrame
    vectors: np.ndarray
    labels: dict[int, str]
    model_id: str


def read_night_themes(store: Store) -> NightThemes:
    """Units, their latest theme, vectors and labels of the last theme model in ``store``.

    Units whose vector is not stored under the theme model's encoder are left out (they cannot
    be placed in the topics' space).
    """
    state = store.query("SELECT model_id FROM theme_model_state ORDER BY version DESC LIMIT 1")
    if state.empty or state.model_id.isna().all():
        raise ExportError(f"{store.path}: no theme model stored yet; run `voc run` first")
    model_id = str(state.model_id.iloc[0])
    units = store.query(
        """
        SELECT u.unit_id, u.text, u.language, u.text_hash, f.created_at,
               coalesce(t.theme_id, -1) AS theme_id
        FROM units u
        JOIN (SELECT record_id, max(created_at) AS created_at FROM feedback GROUP BY record_id) f USING (record_id)
        LEFT JOIN unit_themes t USING (unit_id)
        ORDER BY u.unit_id
        """
    )
    themes = store.query(
        "SELECT theme_id, coalesce(custom_label, generated_label) AS label FROM themes "
        "WHERE kind <> 'parent' AND status = 'active'"
    )
    active = set(themes.theme_id.astype(int))
    units["theme_id"] = units.theme_id.astype(int).where(units.theme_id.astype(int).isin(active), -1)
    found = store.get_embeddings(units.text_hash.drop_duplicates().tolist(), model_id)
    units = units[units.text_hash.isin(found.keys())].reset_index(drop=True)
    if units.empty or not (units.theme_id >= 0).any():
        raise ExportError(f"{store.path}: no themed units with vectors under {model_id}")
    vectors = np.vstack([found[h] for h in units.text_hash]).astype(np.float32)
    labels = {int(t): str(label) for t, label in zip(themes.theme_id, themes.label) if isinstance(label, str)}
    return NightThemes(units=units.drop(columns="text_hash"), vectors=vectors, labels=labels, model_id=model_id)


def build_bertopic(night: NightThemes, *, top_n_words: int = 10) -> tuple[Any, dict[int, int]]:
    """A fitted ``BERTopic`` whose topics are the night's themes.

    Parameters
    ----------
    night : NightThemes
    top_n_words : words kept per topic representation

    Returns
    -------
    (BERTopic, dict) the model and ``theme_id -> BERTopic topic id`` (BERTopic numbers topics by
    size, -1 for units without a theme)
    """
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    themes = sorted(int(t) for t in night.units.theme_id.unique() if t >= 0)
    index = {theme: i for i, theme in enumerate(themes)}
    y = night.units.theme_id.map(lambda t: index.get(int(t), -1)).to_numpy()
    vectorizer = CountVectorizer(
        ngram_range=(1, 2),
        min_df=min(MIN_DOCUMENT_FREQUENCY, len(night.units)),
        stop_words=sorted(word for word in stop_words("") if WORD.fullmatch(word)),
        token_pattern=WORD.pattern,
    )
    model = BERTopic(
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=vectorizer,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        top_n_words=top_n_words,
    )
    topics, _ = model.fit_transform(night.units.text.tolist(), embeddings=night.vectors, y=y)
    mapping = (
        pd.DataFrame({"theme_id": night.units.theme_id.to_numpy(), "topic": topics})
        .query("theme_id >= 0")
        .drop_duplicates("theme_id")
        .set_index("theme_id")
        .topic.astype(int)
        .to_dict()
    )
    by_topic = {topic: theme for theme, topic in mapping.items()}
    names = {topic: night.labels.get(theme, model.topic_labels_[topic]) for topic, theme in by_topic.items()}
    if -1 in model.topic_labels_:
        names[-1] = UNASSIGNED_LABEL
    model.set_topic_labels(names)
    return model, {int(k): int(v) for k, v in mapping.items()}


def export_bertopic(store: Store, folder: str | Path) -> Path:
    """Write the store's latest themes as a BERTopic model folder that ``BERTopic.load`` reads.

    The folder holds BERTopic's safetensors serialisation (topics, c-TF-IDF, topic embeddings,
    custom labels) plus ``voc_themes.csv``, each topic's voc ``theme_id`` and label (BERTopic
    renumbers topics by size), and ``voc_units.parquet``, the units (redacted text, topic,
    language, time) that ``topics_over_time`` and ``topics_per_class`` take. No embedding model
    is saved (the encoder is voc's, not a sentence-transformers model): pass vectors from the
    same encoder to ``transform``.

    Returns
    -------
    Path, the folder written
    """
    night = read_night_themes(store)
    model, mapping = build_bertopic(night)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder, serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
    pd.DataFrame(
        {
            "topic": list(mapping.values()),
            "theme_id": list(mapping.keys()),
            "label": [night.labels.get(theme, "") for theme in mapping],
            "encoder": night.model_id,
        }
    ).sort_values("topic").to_csv(folder / "voc_themes.csv", index=False)
    units = night.units.assign(topic=model.topics_)[["unit_id", "text", "language", "created_at", "topic", "theme_id"]]
    units.to_parquet(folder / "voc_units.parquet", index=False)
    return folder
