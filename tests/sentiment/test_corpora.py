"""Readers of the public labelled sets, the fixed held-out split, and the vector cache."""

from __future__ import annotations

import numpy as np

from voc.sentiment.corpora import (
    COLUMNS,
    available_sets,
    held_out,
    read_set,
    sentiment_corpus,
    subsample,
    text_bucket,
)
from voc.sentiment.vector_cache import cached_encode


def test_every_reader_gives_the_same_columns_and_labels(labelled_sets):
    assert available_sets(data_dir=labelled_sets) == [
        "polemo_hotels_pl",
        "finnsentiment_fi",
        "sb10k_de",
        "germeval2017",
        "airline_tweets_en",
    ]
    for name in available_sets(data_dir=labelled_sets):
        frame = read_set(name, data_dir=labelled_sets)
        assert list(frame.columns) == COLUMNS, name
        assert frame["label"].value_counts().to_dict() == {"positive": 12, "negative": 12, "neutral": 12}, name
        assert frame["language"].nunique() == 1 and frame["set"].eq(name).all()


def test_readers_keep_what_the_benchmark_measures(labelled_sets):
    polemo = read_set("polemo_hotels_pl", data_dir=labelled_sets)
    assert not polemo["text"].str.contains("__label__").any() and "mixed bag" not in set(
        polemo["text"]
    )  # ambivalent dropped
    spans = polemo.loc[polemo["aspects"].map(len) > 0]
    assert len(spans) == 12 and all(pairs == [("pl", lab)] for pairs, lab in zip(spans["aspects"], spans["label"]))
    finn = read_set("finnsentiment_fi", data_dir=labelled_sets)
    assert finn.groupby("label")["rating"].first().to_dict() == {"negative": 1.0, "neutral": 3.0, "positive": 5.0}
    germeval = read_set("germeval2017", data_dir=labelled_sets)
    assert "irrelevant news" not in set(germeval["text"])
    assert germeval["aspects"].iloc[0] == [
        ("Zugfahrt", germeval["label"].iloc[0]),
        ("Allgemein", germeval["label"].iloc[0]),
    ]
    airline = read_set("airline_tweets_en", data_dir=labelled_sets)
    assert set(airline.loc[airline["label"] == "negative", "reason"]) == {"Late Flight"}
    assert airline.loc[airline["label"] != "negative", "reason"].isna().all()


def test_missing_folder_means_no_sets(tmp_path):
    assert available_sets(data_dir=tmp_path) == []
    assert sentiment_corpus(data_dir=tmp_path).empty


def test_held_out_rows_are_fixed_by_the_text_alone(labelled_sets):
    frame = read_set("sb10k_de", data_dir=labelled_sets)
    mask = held_out(frame)
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert (held_out(shuffled) == mask[shuffled.index]).all()
    buckets = text_bucket(frame["text"])
    assert ((buckets >= 0) & (buckets < 1)).all() and len(np.unique(buckets)) == len(frame)


def test_subsample_caps_each_label_reproducibly(labelled_sets):
    frame = read_set("airline_tweets_en", data_dir=labelled_sets)
    caps = {"negative": 5, "neutral": 2, "positive": 5}
    part = subsample(frame, caps)
    assert part["label"].value_counts().to_dict() == caps
    assert part.index.equals(subsample(frame, caps).index)


def test_polemo_aspect_rows_are_always_held_out(labelled_sets):
    corpus = sentiment_corpus(data_dir=labelled_sets)
    polemo = corpus[corpus["set"] == "polemo_hotels_pl"]
    assert polemo.loc[polemo["aspects"].map(len) > 0, "held_out"].all()
    # the hash split still holds rows out of the other sets, and keeps most for training
    other = corpus[corpus["set"] != "polemo_hotels_pl"]
    assert 0.1 < other["held_out"].mean() < 0.5


class CountingEmbedder:
    """Embeds by character counts and records how many texts it was asked for."""

    dim = 4

    def __init__(self, model_id: str = "counting/v1"):
        self.model_id = model_id
        self.calls: list[int] = []

    def encode(self, texts):
        self.calls.append(len(texts))
        return np.array([[len(t), t.count("a"), t.count("e"), 1.0] for t in texts], dtype=np.float32)


def test_vector_cache_embeds_each_text_once_per_model(tmp_path):
    first = CountingEmbedder()
    a = cached_encode(["alpha", "beta", "alpha"], first, root=tmp_path)
    assert first.calls == [2] and np.allclose(a[0], a[2])
    again = CountingEmbedder()
    b = cached_encode(["beta", "gamma", "alpha"], again, root=tmp_path)
    assert again.calls == [1]  # only "gamma" is new
    assert np.allclose(b[0], a[1]) and np.allclose(b[2], a[0])
    other_model = CountingEmbedder("counting/v2")
    cached_encode(["alpha"], other_model, root=tmp_path)
    assert other_model.calls == [1]  # never another model's vectors


def test_vector_cache_survives_a_cut_shard(tmp_path):
    model = CountingEmbedder()
    cached_encode(["alpha"], model, root=tmp_path)
    folder = next(tmp_path.iterdir())
    (folder / "broken.npz").write_bytes(b"not a zip")
    assert np.allclose(cached_encode(["alpha"], model, root=tmp_path)[0], [5, 2, 0, 1])
    assert model.calls == [1]
