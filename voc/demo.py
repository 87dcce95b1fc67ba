"""The shipped demo: a generated multilingual sample and the settings that map its columns."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from voc.config import ColumnMapping, Settings, SourceSettings, load_settings

#: How the sample's columns map onto the canonical schema (mirrors the project's voc.yaml).
SAMPLE_COLUMNS = ColumnMapping(
    text="text",
    id="feedback_id",
    date="created_at",
    language="language",
    score="score",
    score_type_column="score_type",
    segments=["segment", "market"],
    channel="channel",
    journey_stage="journey_stage",
    source_type="source_type",
    customer="customer_id",
    value="customer_value",
    churn="churned",
)


def prepare_demo(sample_dir: Path, *, n_records: int = 4000, seed: int = 7) -> tuple[date, Path]:
    """Write the sample once (it is deterministic) and return the night that follows its last day."""
    from voc.sample import write_sample

    planted_file = sample_dir / "planted.json"
    wanted = {"n_records": n_records, "seed": seed}
    if not planted_file.exists() or _generator_params(planted_file, wanted) != wanted:
        write_sample(sample_dir, n_records=n_records, seed=seed)
    generator = json.loads(planted_file.read_text(encoding="utf-8"))["generator"]
    end = date.fromisoformat(str(generator["end_date"])[:10])
    return end + timedelta(days=1), sample_dir


def _generator_params(planted_file: Path, wanted: dict) -> dict:
    generator = json.loads(planted_file.read_text(encoding="utf-8")).get("generator", {})
    return {key: generator.get(key) for key in wanted}


def demo_settings(sample_dir: Path, out_dir: Path, *, config: Path | None = None) -> Settings:
    """Settings of the demo: the sample as the only source, the store inside ``out_dir``."""
    source = SourceSettings(path=str(sample_dir / "feedback.csv"), name="sample", columns=SAMPLE_COLUMNS)
    return load_settings(
        config,
        sources=[source.model_dump()],
        db_path=out_dir / "voc.duckdb",
        out_dir=out_dir,
        customers_path=str(sample_dir / "customers.csv"),
    )
