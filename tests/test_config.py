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
    for section in ("ingest", "embedding", "themes", "sentiment", "metrics", "impact", "alerts", "schedule"):
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
