"""The night in process next to the same night on a Dask LocalCluster, step by step.

Both runs take the same generated sample, a fresh store (so every text is embedded) and a fresh
cache folder (so both embed the taxonomy's and the catalogue's reference phrases), through
``run_pipeline`` as ``voc run --engine plain`` does; the Dask run sets ``compute.cluster: local``.
Printed: seconds of the steps that go to the workers (ingest, embed, tone and the cues of sentiment) and of the whole
night, the ratio Dask / in process measured in the same invocation, and whether the records
came out the same. On a machine with few cores the ratio mostly shows the cost of shipping
partitions; the gain comes with more workers than the night's own process has cores.

    python -m bench.dask_path [--records 1000] [--workers 2] [--threads]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from voc.config import ComputeSettings
from voc.demo import demo_settings, prepare_demo
from voc.pipeline import run_pipeline

STEPS = ("compute", "ingest", "embed", "tone", "sentiment")


def measure(n_records: int, *, workers: int, processes: bool) -> list[dict[str, object]]:
    """One row per path: step seconds, night seconds, and the records' agreement with in process."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        night, sample = prepare_demo(root / "sample", n_records=n_records, seed=7)
        results = {}
        for path, compute in (
            ("in process", ComputeSettings()),
            (
                f"dask local ({workers} {'process' if processes else 'thread'} workers)",
                ComputeSettings(cluster="local", workers=workers, processes=processes),
            ),
        ):
            out = root / path.split()[0]
            # a cache folder of its own: both runs embed the taxonomy's and catalogue's references
            settings = demo_settings(sample, out).model_copy(update={"compute": compute, "cache_dir": out / "cache"})
            settings.embedding.cache_dir = settings.cache_dir
            started = time.perf_counter()
            result = run_pipeline(settings, night=night, keep={"embeddings"})
            total = time.perf_counter() - started
            results[path] = result.catalog
            rows.append({"path": path, **{s: result.seconds.get(s, 0.0) for s in STEPS}, "night": total})
        base, other = results.values()
        same = base["records"]["sentiment_label"].equals(other["records"]["sentiment_label"]) and bool(
            np.allclose(base["embeddings"], other["embeddings"], atol=1e-5)
        )
        rows[1]["same records"] = same
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", action="store_true", help="workers as threads of this process")
    args = parser.parse_args()
    rows = measure(args.records, workers=args.workers, processes=not args.threads)
    print(f"{args.records} records, fresh store (every text embedded)")
    print(f"| path | {' | '.join(STEPS)} | night s | x in process |")
    print("|---|" + "---:|" * (len(STEPS) + 2))
    base = float(rows[0]["night"])
    for row in rows:
        cells = " | ".join(f"{float(row[s]):.1f}" for s in STEPS)
        print(f"| {row['path']} | {cells} | {float(row['night']):.1f} | {float(row['night']) / base:.2f} |")
    print(f"same records and vectors: {rows[1]['same records']}")


if __name__ == "__main__":
    main()
