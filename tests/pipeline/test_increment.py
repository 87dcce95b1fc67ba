"""The nightly increment is cheap: fingerprints, kept step outputs, cached label texts, bounded discovery."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.config import MetricsSettings, ThemeSettings
from voc.pipeline.fingerprint import (
    KEEP_PER_STEP,
    PARSED_FOLDER,
    STEPS_FOLDER,
    UNIT_VALUES_FOLDER,
    CachedEncoder,
    NotFingerprintable,
    cached_per_unit,
    fingerprint,
    memoised,
)
from voc.store import Store
from voc.themes.model import ThemeModel
from voc.themes.pipeline import update_themes
from voc.themes.registry import load_assignments


# --- fingerprints ------------------------------------------------------------------------------
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": ["a", "b", "c"],
            "score": [9.0, None, 3.0],
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-02", None]),
            "centroid": [np.ones(3, np.float32), None, np.zeros(3, np.float32)],
        }
    )


def test_equal_content_gives_equal_fingerprints_and_any_change_another():
    base = fingerprint(frame(), np.arange(6.0).reshape(2, 3), MetricsSettings(), {"k": [1, "x"]}, date(2026, 1, 1))
    assert base == fingerprint(
        frame(), np.arange(6.0).reshape(2, 3), MetricsSettings(), {"k": [1, "x"]}, date(2026, 1, 1)
    )
    changed_cell = frame()
    changed_cell.loc[1, "score"] = 7.0
    changed_array = frame()
    changed_array.at[2, "centroid"] = np.full(3, 0.5, np.float32)
    others = [
        (changed_cell, np.arange(6.0).reshape(2, 3), MetricsSettings(), {"k": [1, "x"]}, date(2026, 1, 1)),
        (changed_array, np.arange(6.0).reshape(2, 3), MetricsSettings(), {"k": [1, "x"]}, date(2026, 1, 1)),
        (frame(), np.arange(6.0).reshape(3, 2), MetricsSettings(), {"k": [1, "x"]}, date(2026, 1, 1)),
        (frame(), np.arange(6.0).reshape(2, 3), MetricsSettings(bootstrap=10), {"k": [1, "x"]}, date(2026, 1, 1)),
        (frame(), np.arange(6.0).reshape(2, 3), MetricsSettings(), {"k": [1, "y"]}, date(2026, 1, 1)),
        (frame(), np.arange(6.0).reshape(2, 3), MetricsSettings(), {"k": [1, "x"]}, date(2026, 1, 2)),
        (frame().iloc[::-1], np.arange(6.0).reshape(2, 3), MetricsSettings(), {"k": [1, "x"]}, date(2026, 1, 1)),
    ]
    assert len({base, *(fingerprint(*values) for values in others)}) == len(others) + 1


def test_text_columns_read_back_as_another_string_dtype_keep_their_fingerprint():
    read_back = frame().astype({"record_id": "string"})
    assert fingerprint(read_back) == fingerprint(frame())
    assert fingerprint(read_back.assign(record_id=["a", "b", "d"])) != fingerprint(frame())


def test_encoders_are_fingerprinted_by_model_id_and_unknown_objects_refused():
    @dataclasses.dataclass
    class Encoder:
        model_id: str
        dim: int = 3

    assert fingerprint(Encoder("e5")) == fingerprint(Encoder("e5"))
    assert fingerprint(Encoder("e5")) != fingerprint(Encoder("minilm"))
    with Store(":memory:") as store, pytest.raises(NotFingerprintable, match="Store"):
        fingerprint(store)


# --- kept step outputs -------------------------------------------------------------------------
class Counted:
    """A pure step that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, table: pd.DataFrame, settings: MetricsSettings) -> tuple[pd.DataFrame, float]:
        self.calls += 1
        return table.assign(twice=table["score"] * 2), float(table["score"].sum()) * settings.confidence


def test_a_step_with_unchanged_inputs_returns_its_kept_outputs(tmp_path: Path):
    step = Counted()
    wrapped = memoised(step)
    first = wrapped(frame(), MetricsSettings(), tmp_path)
    again = wrapped(frame(), MetricsSettings(), tmp_path)
    assert step.calls == 1
    pd.testing.assert_frame_equal(first[0], again[0])
    assert first[1] == again[1]
    changed = frame().assign(score=[1.0, 2.0, 3.0])
    third = wrapped(changed, MetricsSettings(), tmp_path)
    assert step.calls == 2 and third[1] == pytest.approx(6.0 * 0.95)
    wrapped(frame(), MetricsSettings(confidence=0.9), tmp_path)
    assert step.calls == 3


def test_kept_outputs_are_pruned_and_an_unreadable_one_is_recomputed(tmp_path: Path):
    step = Counted()
    wrapped = memoised(step)
    for shift in range(KEEP_PER_STEP + 2):
        wrapped(frame().assign(score=[shift, 1.0, 2.0]), MetricsSettings(), tmp_path)
    kept = sorted((tmp_path / STEPS_FOLDER).glob("*.pkl"))
    assert len(kept) == KEEP_PER_STEP
    for file in kept:
        file.write_bytes(b"not a pickle")
    calls = step.calls
    result = wrapped(frame().assign(score=[KEEP_PER_STEP + 1, 1.0, 2.0]), MetricsSettings(), tmp_path)
    assert step.calls == calls + 1 and result[1] == pytest.approx((KEEP_PER_STEP + 4) * 0.95)


def test_reads_limits_the_fingerprint_to_what_the_step_reads(tmp_path: Path):
    step = Counted()

    def reads(table: pd.DataFrame, settings: MetricsSettings, note: str) -> tuple:
        return table, settings

    wrapped = memoised(lambda table, settings, note: step(table, settings), reads=reads)
    wrapped(frame(), MetricsSettings(), "tonight's news", tmp_path)
    wrapped(frame(), MetricsSettings(), "other news", tmp_path)
    assert step.calls == 1


def test_a_step_with_an_input_that_cannot_be_fingerprinted_is_always_computed(tmp_path: Path):
    calls = []

    def step(store: Store) -> int:
        calls.append(1)
        return 1

    wrapped = memoised(step)
    with Store(":memory:") as store:
        wrapped(store, tmp_path)
        wrapped(store, tmp_path)
    assert len(calls) == 2 and not (tmp_path / STEPS_FOLDER).exists()


def _units(texts: list[str], languages: list[str]) -> pd.DataFrame:
    from voc.embed.cache import text_hash

    return pd.DataFrame({"text": texts, "language": languages, "text_hash": [text_hash(t) for t in texts]})


def test_per_unit_values_are_computed_once_per_text_and_language(tmp_path: Path):
    seen: list[str] = []

    def lengths(part: pd.DataFrame) -> np.ndarray:
        seen.extend(part["text"])
        return part["text"].str.len().to_numpy(dtype=np.int64) * np.where(part["language"] == "pl", -1, 1)

    units = _units(["late parcel", "rude staff", "late parcel"], ["en", "en", "en"])
    first = cached_per_unit(lengths, units, name="lengths", context=("v1",), cache_dir=tmp_path)
    assert first.tolist() == [11, 10, 11] and len(seen) == 3
    seen.clear()
    grown = _units(["rude staff", "late parcel", "hotline", "late parcel"], ["en", "en", "en", "pl"])
    again = cached_per_unit(lengths, grown, name="lengths", context=("v1",), cache_dir=tmp_path)
    # only the new text and the known text in another language were computed
    assert again.tolist() == [10, 11, 7, -11] and seen == ["hotline", "late parcel"]
    seen.clear()
    assert (
        cached_per_unit(lengths, grown, name="lengths", context=("v1",), cache_dir=tmp_path).tolist() == again.tolist()
    )
    assert seen == []
    # another context (settings, catalogue, encoder) computes everything
    cached_per_unit(lengths, grown, name="lengths", context=("v2",), cache_dir=tmp_path)
    assert len(seen) == 4
    # an unreadable kept file only costs the computation
    for file in (tmp_path / UNIT_VALUES_FOLDER).glob("lengths-*.parquet"):
        file.write_bytes(b"not parquet")
    seen.clear()
    assert (
        cached_per_unit(lengths, grown, name="lengths", context=("v1",), cache_dir=tmp_path).tolist() == again.tolist()
    )
    assert len(seen) == 4


def test_cached_encoder_embeds_only_texts_it_has_not_seen():
    seen: list[str] = []

    @dataclasses.dataclass
    class Encoder:
        model_id: str = "fake"
        dim: int = 2

        def encode(self, texts):
            seen.extend(texts)
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache: dict[str, np.ndarray] = {}
    encoder = CachedEncoder(
        Encoder(),
        lookup=lambda hashes, model: {h: cache[h] for h in hashes if h in cache},
        save=lambda hashes, vectors, model: cache.update(zip(hashes, vectors)),
    )
    first = encoder.encode(["delivery: late, parcel", "refund"])
    second = encoder.encode(["refund", "app: crash", "delivery: late, parcel"])
    assert seen == ["delivery: late, parcel", "refund", "app: crash"]
    np.testing.assert_array_equal(second[[2, 0]], first)


# --- a night between refits clusters only what is new since the refit --------------------------
class RecordingModel(ThemeModel):
    """The theme model, noting how many units each fit saw."""

    fits: list[int] = []

    def fit(self, embeddings, *, languages, texts=None):
        RecordingModel.fits.append(len(embeddings))
        return super().fit(embeddings, languages=languages, texts=texts)


def night_units(vectors: np.ndarray, start: int) -> pd.DataFrame:
    ids = [f"u{start + i}" for i in range(len(vectors))]
    return pd.DataFrame(
        {"unit_id": ids, "record_id": ids, "text": [f"text {i}" for i in ids], "language": "en", "text_hash": ids}
    )


def test_an_assign_night_clusters_new_leftovers_only_and_a_rerun_nothing():
    rng = np.random.default_rng(0)
    dim = 64
    centres = rng.standard_normal((4, dim))

    def rows(x: np.ndarray) -> np.ndarray:
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    # four themes, and units halfway between two of them: some of those the refit leaves unassigned
    a = rng.integers(0, 4, 100)
    b = (a + 1 + rng.integers(0, 3, 100)) % 4
    between = (centres[a] + centres[b]) / 2 + 0.15 * rng.standard_normal((100, dim))
    first = rows(np.vstack([centres[i] + 0.15 * rng.standard_normal((150, dim)) for i in range(4)] + [between]))
    # the next night: 40 units unlike anything and 30 of a new subject, none close to a known theme
    new = np.vstack([rng.standard_normal((40, dim)), rng.standard_normal(dim) + 0.15 * rng.standard_normal((30, dim))])
    second = np.vstack([first, rows(new)])
    units_1, units_2 = night_units(first, 0), night_units(second, 0)
    settings = ThemeSettings(refit_every_days=7)
    with Store(":memory:") as store:
        RecordingModel.fits.clear()
        update_themes(
            store, units_1, first, settings=settings, run_id="n1", now=datetime(2026, 3, 1), model_cls=RecordingModel
        )
        stored = load_assignments(store).set_index("unit_id")
        leftovers = int((stored["model_theme_id"] < 0).sum())
        assert RecordingModel.fits == [len(first)] and leftovers > 0  # the refit and what it left over

        RecordingModel.fits.clear()
        update_themes(
            store, units_2, second, settings=settings, run_id="n2", now=datetime(2026, 3, 2), model_cls=RecordingModel
        )
        # one discovery, on the 70 new units: the refit's leftovers are not clustered again
        assert RecordingModel.fits == [70]
        after_night = load_assignments(store).set_index("unit_id").sort_index()

        RecordingModel.fits.clear()
        update_themes(
            store, units_2, second, settings=settings, run_id="n3", now=datetime(2026, 3, 2), model_cls=RecordingModel
        )
        assert RecordingModel.fits == []  # nothing new: nothing clustered
        rerun = load_assignments(store).set_index("unit_id").sort_index()
        pd.testing.assert_series_equal(rerun["theme_id"], after_night["theme_id"])
        pd.testing.assert_series_equal(rerun["similarity"], after_night["similarity"])


# --- a rerun of a night through the product's path ---------------------------------------------
@pytest.mark.slow
def test_a_rerun_of_a_night_reuses_the_kept_steps_and_writes_the_same_outputs(tmp_path: Path):
    import shutil

    from voc.config import Settings
    from voc.demo import demo_settings, prepare_demo
    from voc.pipeline import run_pipeline

    night, sample = prepare_demo(tmp_path / "sample", n_records=500, seed=5)
    settings = demo_settings(sample, tmp_path / "out")
    settings.cache_dir = tmp_path / "cache"
    settings.cache_dir.mkdir()
    for file in Settings().cache_dir.glob("taxonomy-*.npy"):  # reference vectors, embedded once
        shutil.copy(file, settings.cache_dir / file.name)
    first = run_pipeline(settings, night=night)
    kept = sorted(p.name for p in (settings.cache_dir / STEPS_FOLDER).glob("*.pkl"))
    parsed = sorted(p.name for p in (settings.cache_dir / PARSED_FOLDER).glob("*.pkl"))
    unit_values = {p.name: p.stat().st_mtime_ns for p in (settings.cache_dir / UNIT_VALUES_FOLDER).glob("*.parquet")}
    assert parsed and {name.split("-")[0] for name in unit_values} == {"boilerplate", "catalogue", "cues"}
    assert {name.split("-")[0] for name in kept} >= {
        "build_units",
        "score_tone",
        "score_feedback",
        "measure_surveys",
        "rank_issues",
    }
    records = pd.read_parquet(first.paths["records"])

    rerun = run_pipeline(settings, night=night)
    # every kept step was reused: nothing new was written
    assert sorted(p.name for p in (settings.cache_dir / STEPS_FOLDER).glob("*.pkl")) == kept
    # the input's rows were not parsed again, no unit judged again
    assert sorted(p.name for p in (settings.cache_dir / PARSED_FOLDER).glob("*.pkl")) == parsed
    assert {p.name: p.stat().st_mtime_ns for p in (settings.cache_dir / UNIT_VALUES_FOLDER).glob("*.parquet")} == (
        unit_values
    )
    pd.testing.assert_frame_equal(pd.read_parquet(rerun.paths["records"]), records)
    pd.testing.assert_frame_equal(rerun.catalog["metrics"], first.catalog["metrics"])
    pd.testing.assert_frame_equal(rerun.catalog["priorities"], first.catalog["priorities"])
