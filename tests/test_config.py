from pathlib import Path

import pytest
from pydantic import ValidationError

from voc.config import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_project_yaml_is_valid_and_documented():
    settings = load_settings(ROOT / "voc.yaml")
    assert settings.sources[0].columns.text == "text"
    text = (ROOT / "voc.yaml").read_text(encoding="utf-8")
    # every top-level section of the settings object appears in the documented file
    for section in ("ingest", "embedding", "themes", "sentiment", "metrics", "impact", "alerts", "schedule", "compute"):
        assert f"\n{section}:" in text


def test_environment_overrides_yaml(monkeypatch, tmp_path):
    file = tmp_path / "voc.yaml"
    file.write_text("embedding:\n  batch_size: 8\nthemes:\n  seed: 1\n", encoding="utf-8")
    monkeypatch.setenv("VOC_THEMES__SEED", "99")
    settings = load_settings(file)
    assert settings.themes.seed == 99 and settings.embedding.batch_size == 8


def test_typo_fails_with_the_field_name(tmp_path):
    file = tmp_path / "voc.yaml"
    file.write_text("themes:\n  sead: 1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="sead"):
        load_settings(file)


def test_source_needs_path_or_query():
    with pytest.raises(ValidationError, match="path"):
        load_settings(sources=[{"name": "x"}])


def test_cache_progress_and_data_folders_are_fields_the_environment_sets(monkeypatch, tmp_path):
    from voc.config import REPO_ROOT, default_cache_dir, default_progress

    monkeypatch.delenv("VOC_SHARED_DATA", raising=False)
    monkeypatch.delenv("VOC_CACHE_DIR", raising=False)
    plain = load_settings()
    assert plain.cache_dir == Path.home() / ".cache" / "voc"
    assert plain.shared_data_root == REPO_ROOT.parent / "shared" / "data"

    monkeypatch.setenv("VOC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VOC_PROGRESS", "on")
    monkeypatch.setenv("VOC_SHARED_DATA", str(tmp_path / "data"))
    settings = load_settings()
    assert settings.cache_dir == tmp_path / "cache" and settings.progress == "on"
    assert settings.shared_data_root == tmp_path / "data"
    # library functions called without settings take the same values
    assert default_cache_dir() == tmp_path / "cache" and default_progress() == "on"
    monkeypatch.setenv("VOC_PROGRESS", "sometimes")
    with pytest.raises(ValidationError, match="progress"):
        load_settings()


def test_encoder_weights_follow_cache_dir_unless_the_section_sets_its_own(tmp_path):
    assert load_settings(cache_dir=str(tmp_path)).embedding.cache_dir == tmp_path
    own = load_settings(cache_dir=str(tmp_path), embedding={"cache_dir": str(tmp_path / "weights")})
    assert own.embedding.cache_dir == tmp_path / "weights"
    # a dumped and reloaded settings object (as the flow receives it) keeps both
    again = load_settings(**own.model_dump(mode="json"))
    assert (again.cache_dir, again.embedding.cache_dir) == (tmp_path, tmp_path / "weights")
