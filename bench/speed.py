"""Records per second per step and peak memory of a nightly run, at 1k and 10k records.

Each size runs in a fresh process (peak RSS is per process) on a fresh store, in-process (no Prefect).
The baseline, measured in the same run, is the embedding of the same sentence units alone with no
cache: it bounds what the rest of the pipeline costs on top of it.

    python -m bench.speed [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _measure(n_records: int) -> dict:
    """Run one night on a generated sample of ``n_records``; return per-step seconds and peak RSS."""
    from voc.demo import demo_settings, prepare_demo
    from voc.embed import get_embedder
    from voc.pipeline import run_pipeline
    from voc.themes.segment import split_units

    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample"
        night, _ = prepare_demo(sample, n_records=n_records)
        settings = demo_settings(sample, Path(tmp) / "out")
        started = time.perf_counter()
        result = run_pipeline(settings, night=night)
        total = time.perf_counter() - started
        records = result.catalog["records"]
        units = split_units(records)
        embedder = get_embedder(settings.embedding)
        t0 = time.perf_counter()
        embedder.encode(units["text"].tolist())
        embed_alone = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n_records": len(records),
        "n_units": len(units),
        "seconds": result.seconds,
        "total": total,
        "embed_alone": embed_alone,
        "peak_mb": peak_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_measure(args.one)))
        return
    rows = []
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, "-m", "bench.speed", "--one", str(size)], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    _print(rows)


def _print(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    steps = list(rows[0]["seconds"])
    table = Table(title="voc nightly run: records per second per step (fresh store, no cache)")
    table.add_column("step")
    for row in rows:
        table.add_column(f"{row['n_records']} rec: s", justify="right")
        table.add_column("rec/s", justify="right")
    for step in steps + ["TOTAL", "embedding alone (baseline)"]:
        cells = []
        for row in rows:
            sec = (
                row["total"]
                if step == "TOTAL"
                else row["embed_alone"]
                if step.startswith("embedding alone")
                else row["seconds"].get(step, 0.0)
            )
            cells += [f"{sec:.2f}", f"{row['n_records'] / sec:,.0f}" if sec > 0.005 else "-"]
        table.add_row(step, *cells)
    table.add_row("total / embedding alone", *sum(([f"{r['total'] / r['embed_alone']:.2f}x", ""] for r in rows), []))
    table.add_row("units (sentences)", *sum(([str(r["n_units"]), ""] for r in rows), []))
    table.add_row("peak memory, MB", *sum(([f"{r['peak_mb']:.0f}", ""] for r in rows), []))
    Console().print(table)


if __name__ == "__main__":
    main()
