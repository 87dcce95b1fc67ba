from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from voc.sample import DEFAULT_END_DATE, FEEDBACK_COLUMNS, generate_sample, write_sample


def _json(planted: dict) -> str:
    return json.dumps({k: v for k, v in planted.items() if k != "customers"}, ensure_ascii=False, sort_keys=True)


def test_same_seed_gives_the_same_frame_and_truth():
    a, pa = generate_sample(n_records=900, seed=3)
    b, pb = generate_sample(n_records=900, seed=3)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(pa["customers"], pb["customers"])
    assert _json(pa) == _json(pb)


def test_different_seed_gives_different_data():
    a, _ = generate_sample(n_records=900, seed=3)
    b, _ = generate_sample(n_records=900, seed=4)
    assert not a["text"].equals(b["text"])
    assert (a["text"] != b["text"]).mean() > 0.5


def test_written_files_are_byte_identical(tmp_path):
    first = write_sample(tmp_path / "a", n_records=800, seed=5)
    second = write_sample(tmp_path / "b", n_records=800, seed=5)
    assert set(first) == {"feedback", "customers", "planted"}
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes(), key


def test_written_csv_reads_back_with_its_text_intact(tmp_path):
    paths = write_sample(tmp_path, n_records=800, seed=5)
    frame, _ = generate_sample(n_records=800, seed=5)
    back = pd.read_csv(paths["feedback"], encoding="utf-8", keep_default_na=False, dtype=str)
    assert list(back.columns) == list(FEEDBACK_COLUMNS)
    assert back["text"].tolist() == frame["text"].tolist()  # multi-line e-mails and Cyrillic survive
    planted = json.loads(paths["planted"].read_text(encoding="utf-8"))
    assert len(planted["records"]) == len(back)
    customers = pd.read_csv(paths["customers"])
    assert set(frame["customer_id"]) <= set(customers["customer_id"])


def test_end_date_moves_the_window():
    frame, planted = generate_sample(n_records=600, seed=1, end_date=dt.date(2025, 3, 31), days=60)
    dates = pd.to_datetime(frame["created_at"], format="%Y-%m-%dT%H:%M:%S", errors="coerce").dropna()
    assert dates.max().date() <= dt.date(2025, 3, 31)
    assert dates.min().date() >= dt.date(2025, 3, 31) - dt.timedelta(days=59)
    assert planted["generator"]["end_date"] == "2025-03-31"


def test_default_end_date_is_fixed_not_today(sample):
    frame, planted = sample
    assert planted["generator"]["end_date"] == DEFAULT_END_DATE.isoformat()


@pytest.mark.parametrize("kwargs", [{"n_records": 100}, {"days": 10}])
def test_too_small_requests_are_refused(kwargs):
    with pytest.raises(ValueError):
        generate_sample(**kwargs)


def test_output_does_not_depend_on_the_process_hash_seed(tmp_path):
    """Set iteration order changes with PYTHONHASHSEED; the files must not."""
    import hashlib
    import os
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from voc.sample import write_sample; "
        "write_sample(Path(sys.argv[1]), n_records=600, seed=9)"
    )
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env)
        digests.append([hashlib.sha1((out / n).read_bytes()).hexdigest() for n in ("feedback.csv", "planted.json")])
    assert digests[0] == digests[1]
