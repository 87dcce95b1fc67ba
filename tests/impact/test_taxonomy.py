"""CX taxonomy: mapping logic with a transparent embedder, file validation, area scores by hand."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from voc.impact import map_taxonomy, score_cx_areas
from voc.impact.taxonomy import MAP_COLUMNS, SCORE_COLUMNS, UNMAPPED, load_taxonomy


class BagOfWords:
    """Hashing bag-of-words embedder: cosine = word overlap, so expectations are easy to reason about."""

    model_id = "test-bag-of-words"
    dim = 512

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in str(text).lower().replace(",", " ").replace(":", " ").split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """Calls without ``cache_dir`` take the settings' (``VOC_CACHE_DIR``): kept out of the home folder."""
    monkeypatch.setenv("VOC_CACHE_DIR", str(tmp_path / "env-cache"))


SMALL_TAXONOMY = """
settings: {temperature: 0.05, min_confidence: 0.5, min_similarity: 0.4}
dimensions:
  area:
    - {name: serving, phrases: {en: [parcel came late, courier was late], de: [Paket kam spät]}}
    - {name: after-sales, phrases: {en: [cancel my contract, termination fee], pl: [wypowiedzenie umowy]}}
  pillar:
    - {name: expectations, phrases: {en: [parcel came late, not as promised]}}
    - {name: ease and effort, phrases: {en: [app crashes every day, app login fails]}}
  journey_stage:
    - {name: delivery, phrases: {en: [parcel came late, courier was late]}}
    - {name: usage, phrases: {en: [app crashes every day, app login fails]}}
    - {name: cancellation, phrases: {en: [cancel my contract, termination fee]}}
"""


@pytest.fixture
def small_taxonomy(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(SMALL_TAXONOMY, encoding="utf-8")
    return path


def test_clear_themes_map_and_nonsense_is_unmapped(small_taxonomy):
    themes = pd.DataFrame(
        {
            "theme_id": [0, 1, -1],
            "label": ["late parcel", "qqq zzz", "unassigned"],
            "keywords": ['{"en": ["courier", "came", "late"]}', "{}", "{}"],
        }
    )
    out = map_taxonomy(themes, taxonomy_path=small_taxonomy, embedder=BagOfWords())
    assert tuple(out.columns) == MAP_COLUMNS
    assert out["theme_id"].tolist() == [0, 1]  # the unassigned bucket is not a theme
    first, nonsense = out.iloc[0], out.iloc[1]
    assert (first["area"], first["pillar"], first["journey_stage"]) == ("serving", "expectations", "delivery")
    assert first["journey_confidence"] > 0.9
    assert (nonsense[["area", "pillar", "journey_stage"]] == UNMAPPED).all()


def test_mixed_theme_is_less_confident_than_a_clear_one(small_taxonomy):
    themes = pd.DataFrame(
        {"theme_id": [0, 1], "label": ["parcel came late, courier late", "parcel came late, cancel my contract"]}
    )
    out = map_taxonomy(themes, taxonomy_path=small_taxonomy, embedder=BagOfWords())
    clear, mixed = out["journey_confidence"]
    assert mixed < clear - 0.05


def test_centroids_are_used_when_present(small_taxonomy):
    embedder = BagOfWords()
    centroid = embedder.encode(["app crashes every day, login fails"])[0]
    themes = pd.DataFrame({"theme_id": [3], "label": ["cancel my contract"], "centroid": [centroid]})
    assert map_taxonomy(themes, taxonomy_path=small_taxonomy, embedder=embedder).iloc[0]["journey_stage"] == "usage"


def test_shipped_taxonomy_loads_with_the_test_embedder():
    themes = pd.DataFrame({"theme_id": [0], "label": ["switching to a competitor"]})
    out = map_taxonomy(themes, embedder=BagOfWords())
    assert tuple(out.columns) == MAP_COLUMNS and out["journey_confidence"].between(0, 1).all()


def test_phrase_vectors_are_kept_in_the_cache_dir_given(small_taxonomy, tmp_path, monkeypatch):
    import voc.impact.taxonomy as taxonomy

    monkeypatch.setattr(taxonomy, "_PHRASE_VECTORS", {})  # force the disk path
    themes = pd.DataFrame({"theme_id": [0], "label": ["late parcel"]})
    given = tmp_path / "given"
    first = map_taxonomy(themes, taxonomy_path=small_taxonomy, embedder=BagOfWords(), cache_dir=given)
    files = list(given.glob("taxonomy-*.npy"))
    assert len(files) == 1 and not (tmp_path / "env-cache").exists()
    n_phrases = sum(len(ps) for dim in load_taxonomy(small_taxonomy).categories.values() for _, ps in dim)
    assert np.load(files[0]).shape == (n_phrases, BagOfWords.dim)

    class Forbidden(BagOfWords):
        def encode(self, texts):
            if len(texts) == n_phrases:
                raise AssertionError("phrases embedded again despite the cache")
            return super().encode(texts)

    taxonomy._PHRASE_VECTORS.clear()
    again = map_taxonomy(themes, taxonomy_path=small_taxonomy, embedder=Forbidden(), cache_dir=given)
    pd.testing.assert_frame_equal(first, again)


def test_without_a_cache_dir_the_settings_cache_dir_is_used(small_taxonomy, tmp_path, monkeypatch):
    import voc.impact.taxonomy as taxonomy

    monkeypatch.setattr(taxonomy, "_PHRASE_VECTORS", {})
    map_taxonomy(pd.DataFrame({"theme_id": [0], "label": ["x"]}), taxonomy_path=small_taxonomy, embedder=BagOfWords())
    assert len(list((tmp_path / "env-cache").glob("taxonomy-*.npy"))) == 1  # VOC_CACHE_DIR, through Settings


def test_bad_taxonomy_file_names_the_problem(tmp_path):
    bad = tmp_path / "tax.yaml"
    bad.write_text("dimensions:\n  area:\n    - name: x\n      phrases: {en: [a]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"tax.yaml.*pillar"):
        load_taxonomy(bad)
    bad.write_text("dimensions:\n  area: [{name: x}]\n  pillar: []\n  journey_stage: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dimensions.area\[0\]"):
        load_taxonomy(bad)


def test_shipped_taxonomy_has_every_category_in_five_languages():
    import yaml

    from voc.impact.taxonomy import DEFAULT_TAXONOMY

    raw = yaml.safe_load(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))["dimensions"]
    assert [len(raw[d]) for d in ("area", "pillar", "journey_stage")] == [3, 6, 8]
    for dim in raw.values():
        for cat in dim:
            assert set(cat["phrases"]) == {"en", "de", "pl", "fi", "uk"}, cat["name"]


def test_area_scores_by_hand():
    theme_map = pd.DataFrame(
        {
            "theme_id": [1, 2, 3],
            "area": ["after-sales", "after-sales", UNMAPPED],
            "pillar": ["trust", "resolution", "trust"],
            "journey_stage": ["renewal"] * 3,
        }
    )
    rt = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d", "e", "z"],
            "theme_id": [1, 1, 2, 2, 3, 1],
            "sentiment": [0.5, -0.5, 0.0, np.nan, -0.9, -0.9],
        }
    )
    records = pd.DataFrame({"record_id": list("abcde")})  # "z" is outside the period
    out = score_cx_areas(theme_map, rt, records).set_index(["level", "name"])
    assert tuple(out.reset_index().columns) == SCORE_COLUMNS
    # after-sales: themes 1 and 2 -> mentions a (+), b (-), c (0), d (no sentiment) -> 2 of 3 non-negative
    assert out.loc[("area", "after-sales"), "score_pct"] == pytest.approx(200 / 3)
    assert out.loc[("area", "after-sales"), "n_mentions"] == 4
    assert ("area", UNMAPPED) not in out.index
    # trust: themes 1 and 3 -> a (+), b (-), e (-) -> 1 of 3
    assert out.loc[("pillar", "trust"), "score_pct"] == pytest.approx(100 / 3)
    assert out.loc[("pillar", "trust"), "n_themes"] == 2


@pytest.mark.slow
def test_real_embedder_maps_multilingual_themes(tmp_path):
    themes = pd.DataFrame(
        {
            "theme_id": [0, 1, 2, 3],
            "label": ["Kündigung des Vertrags", "late parcel delivery", "app keeps crashing", "nieuprzejmy konsultant"],
            "keywords": [
                '{"de": ["kündigen", "Vertrag"]}',
                '{"en": ["late", "parcel", "courier"]}',
                '{"en": ["app", "crash"]}',
                '{"pl": ["konsultant", "niemiły"]}',
            ],
        }
    )
    out = map_taxonomy(themes, cache_dir=tmp_path).set_index("theme_id")
    assert out.loc[0, "journey_stage"] == "cancellation" and out.loc[0, "area"] == "after-sales"
    assert out.loc[1, "journey_stage"] == "delivery"
    assert out.loc[2, "journey_stage"] == "usage"
    assert out.loc[3, "pillar"] == "empathy"
