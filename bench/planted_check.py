"""The sample's planted scenarios and themes, found end to end by the nightly pipeline.

Runs one night in-process on the generated sample (``voc.sample``, default 4,000 records), then
compares what the night found with what the generator planted:

* per scenario (spike, low-volume high-impact theme, silent detractors, blind spot, emerging theme,
  non-responders): found or not, the discovered theme that stands for it, and the evidence;
* themes: how many were discovered against the planted 13, and NMI / ARI of each record's primary
  theme against its first planted theme (records with a planted theme only);
* per planted theme: the discovered theme holding most of its records, with precision and recall.

Run: ``python -m bench.planted_check [--records 4000] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def theme_agreement(catalog: dict, planted: dict) -> dict[str, float]:
    """NMI / ARI of primary discovered themes against the first planted theme of each record."""
    truth = {r["feedback_id"]: r["themes"][0] for r in planted["records"] if r["themes"]}
    primary = catalog["record_themes"]
    primary = primary[primary["is_primary"] & primary["record_id"].isin(truth)]
    found = primary.set_index("record_id")["theme_id"]
    night_ids = set(catalog["records"]["record_id"])
    ids = [r for r in truth if r in night_ids]
    labels = np.array([int(found.get(r, -1)) for r in ids])
    expected = np.array([truth[r] for r in ids])
    return {
        "records": len(ids),
        "planted_themes": len(set(expected)),
        "discovered_themes": int(len(set(labels[labels >= 0]))),
        "unassigned": float(np.mean(labels < 0)),
        "NMI": normalized_mutual_info_score(expected, labels),
        "ARI": adjusted_rand_score(expected, labels),
    }


def main() -> None:
    from voc.demo import demo_settings, prepare_demo
    from voc.pipeline import run_pipeline
    from voc.sample.verify import check_planted_scenarios, match_planted_themes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 110)
    with tempfile.TemporaryDirectory() as tmp:
        night, sample = prepare_demo(Path(tmp) / "sample", n_records=args.records, seed=args.seed)
        start = time.perf_counter()
        result = run_pipeline(demo_settings(sample, Path(tmp) / "out"), night=night)
        seconds = time.perf_counter() - start
        planted = json.loads((sample / "planted.json").read_text(encoding="utf-8"))
    catalog = result.catalog
    print(f"night of {args.records} records in {seconds:.0f} s\n")
    print(check_planted_scenarios(catalog, planted).to_string(index=False))
    print()
    print(pd.DataFrame([theme_agreement(catalog, planted)]).to_string(index=False, float_format="%.3f"))
    matches = match_planted_themes(catalog["record_themes"], planted)
    best = matches.sort_values("recall", ascending=False).drop_duplicates("planted_theme")
    print()
    print(best.sort_values("planted_theme").to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
