"""How the nightly run scales: records per second per step, peak memory, the increment and a rerun.

For each size, three nights on one store, each in a fresh process as a scheduler starts them:

1. **first**: a cold store with all records up to the day where about 90 % of them are in;
2. **+new**: the next night, the remaining ~10 % of records as new records (the increment);
3. **rerun**: the same night again with nothing new (same records, settings and encoder).

Every night reads one export file, rewritten before it with everything up to that night (as a
nightly export job writes it), so what an earlier night parsed of it can be reused.

Sizes come in two kinds:

* ``real``: the demo generator's records (:func:`voc.sample.generate_sample`) and the shipped
  encoder (about 15 texts/s on a 2-core machine, so 10k records take ~20 min and 100k hours);
* ``synthetic``: records built from the generator's (every text unique) and
  :class:`SyntheticEncoder` in place of the encoder: random unit vectors with cluster structure,
  same interface, so every step except embedding is measured at sizes the encoder cannot reach
  here.

The printed table has seconds and records per second of every step, the share of each night spent
outside embedding, the increment and the rerun as ratios of the first night, and peak RSS per
night. ``--bertopic`` adds plain BERTopic (its defaults: UMAP + HDBSCAN) on the same unit vectors
the first night's themes were fitted on, in its own process (time and peak RSS), where it finishes.

    python -m bench.scale                         # real 1k, synthetic 10k (about 8 minutes here)
    python -m bench.scale --real 1000 10000 --synthetic 100000 1000000 --bertopic
    python -m bench.scale --full                  # adds real 100k
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NIGHTS = ("first", "+new", "rerun")
#: Units of the first night kept for the BERTopic comparison (the theme step's own input).
BERTOPIC_FILE = "theme_vectors.npz"


class SyntheticEncoder:
    """Stands in for the encoder: unit vectors around ``n_clusters`` centres, same interface.

    A text's cluster is a hash of its first three words (texts that open alike share a cluster);
    its noise is Gaussian with about the centre's norm, so members of one cluster have cosine ~0.5
    and of two clusters ~0: every other step (themes, sentiment, metrics, ...) sees data with
    themes in it at any size. Noise is drawn from a generator seeded by the batch's texts: the same
    texts give the same vectors.
    """

    def __init__(self, *, dim: int = 384, n_clusters: int = 60, noise: float = 1.0, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        centres = rng.standard_normal((n_clusters, dim)).astype(np.float32)
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        self.noise = noise
        self.dim = dim
        self.model_id = f"synthetic-{dim}-{n_clusters}-{seed}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows."""
        if not len(texts):
            return np.zeros((0, self.dim), np.float32)
        cluster = np.array([zlib.crc32(" ".join(str(t).split()[:3]).encode()) for t in texts]) % len(self.centres)
        rng = np.random.default_rng([zlib.crc32(str(t).encode()) for t in texts])
        noise = rng.standard_normal((len(texts), self.dim)).astype(np.float32) * (self.noise / np.sqrt(self.dim))
        vectors = self.centres[cluster] + noise
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def synthetic_records(n: int, *, seed: int = 7, days: int = 90) -> pd.DataFrame:
    """``n`` demo-like records, every text unique, spread over ``days`` days.

    Records of the demo generator (a few thousand) are drawn with replacement and each text gets
    a second text of the same language appended, ids and customers are new and times uniform.
    """
    from voc.sample import DEFAULT_END_DATE, generate_sample

    base, _ = generate_sample(n_records=min(max(n, 500), 5000), seed=seed, days=max(days, 40))
    base = base[base["text"].notna() & base["text"].astype(str).str.len().gt(0)].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    rows = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    second = pd.Series("", index=rows.index, dtype=object)
    for language, part in rows.groupby("language").groups.items():
        pool = base.loc[base["language"] == language, "text"].to_numpy(dtype=object)
        second[part] = pool[rng.integers(0, len(pool), len(part))]
    rows["text"] = rows["text"].astype(str) + " " + second.astype(str) + " #" + pd.Series(range(n)).astype(str)
    rows["feedback_id"] = [f"SY-{i:08d}" for i in range(n)]
    rows["customer_id"] = [f"C{c:07d}" for c in rng.integers(0, max(n // 3, 1), n)]
    end = pd.Timestamp(DEFAULT_END_DATE) + pd.Timedelta(days=1)
    offsets = pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    rows["created_at"] = (end - pd.Timedelta(days=days) + offsets).strftime("%Y-%m-%dT%H:%M:%S")
    return rows


def split_nights(frame: pd.DataFrame, *, new_share: float) -> tuple[pd.DataFrame, pd.DataFrame, date, date]:
    """The first night's records, all records, the first night and the next one.

    The newest ``new_share`` of the records are moved to the day after the first night (their time
    of day kept), so the second night is an increment between two weekly refits, as most nights are.
    """
    moments = pd.to_datetime(frame["created_at"], errors="coerce")
    order = moments.sort_values(na_position="first").index
    cut = int(len(frame) * (1 - new_share))
    new_rows = order[cut:]
    first_night = moments.loc[order[:cut]].max().date()
    next_night = first_night + timedelta(days=1)
    moved = moments.copy()
    moved.loc[new_rows] = pd.Timestamp(next_night) + (moments.loc[new_rows] - moments.loc[new_rows].dt.normalize())
    everything = frame.assign(created_at=moved.dt.strftime("%Y-%m-%dT%H:%M:%S").where(moved.notna(), None))
    return everything.drop(index=new_rows), everything, first_night, next_night


#: The source every night reads: the first night's records, then all of them (a grown export).
EXPORT_FILE = "export.csv"


# --- one night in its own process ------------------------------------------------------------
def run_night(
    folder: Path, *, source: Path, night: date, synthetic: bool, keep_vectors: bool = False
) -> dict[str, Any]:
    """One night of ``run_pipeline`` on the store in ``folder``; step seconds and peak RSS."""
    from voc.config import SourceSettings, load_settings
    from voc.demo import SAMPLE_COLUMNS
    from voc.pipeline import run_pipeline
    from voc.pipeline.pipeline import NIGHTLY

    settings = load_settings(
        sources=[SourceSettings(path=str(source), name="sample", columns=SAMPLE_COLUMNS).model_dump()],
        db_path=folder / "voc.duckdb",
        out_dir=folder / "out",
        cache_dir=folder / "cache",
        progress="off",
    )
    nodes = NIGHTLY
    if synthetic:
        encoder = SyntheticEncoder()
        nodes = tuple(
            dataclasses.replace(node, func=lambda _settings: encoder) if node.name == "embedder" else node
            for node in NIGHTLY
        )
    marks: list[tuple[str, float]] = []  # (step, peak RSS in MB when it started)
    started = time.perf_counter()
    # the theme step's units are kept to the end only for BERTopic's comparison (else released)
    keep = {"theme_units", "theme_embeddings"} if keep_vectors else set()
    result = run_pipeline(
        settings, night=night, nodes=nodes, on_node=lambda node: marks.append((node.name, _peak_mb())), keep=keep
    )
    total = time.perf_counter() - started
    marks.append(("end", _peak_mb()))
    held = result.catalog
    if keep_vectors:
        units = held["theme_units"]
        np.savez(
            folder / BERTOPIC_FILE,
            vectors=held["theme_embeddings"],
            texts=units["text"].astype(str).to_numpy(),
        )
    return {
        "seconds": result.seconds,
        "total": total,
        "n_records": int(len(held["records"])),
        "n_new": int(len(held["new_records"])),
        "n_units": int(len(held["scored_units"])),
        "peak_mb": _peak_mb(),
        "peak_step": _peak_step(marks),
        "peak_marks": marks,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_step(marks: list[tuple[str, float]]) -> str:
    """The step during which the night's process reached its peak RSS (peaks never go down)."""
    final = marks[-1][1]
    for (step, _), (_, after) in zip(marks, marks[1:]):
        if after >= final:
            return step
    return marks[-1][0]


def run_bertopic(folder: Path, *, seed: int = 42) -> dict[str, Any]:
    """Plain BERTopic on the first night's theme units (their vectors as given), in this process."""
    from bertopic import BERTopic
    from umap import UMAP

    data = np.load(folder / BERTOPIC_FILE, allow_pickle=False)
    started = time.perf_counter()
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(data["texts"].tolist(), embeddings=data["vectors"])
    return {
        "seconds": time.perf_counter() - started,
        "n_topics": int(len(set(topics) - {-1})),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(args: list[str], timeout: float | None) -> dict[str, Any] | None:
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.scale", *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(kind: str, n: int, *, new_share: float, bertopic: bool, bertopic_timeout: float) -> dict[str, Any]:
    """Three nights (first, +new, rerun) on one fresh store; BERTopic on the first night's units."""
    from voc.config import Settings
    from voc.sample import generate_sample

    with tempfile.TemporaryDirectory(prefix="voc-scale-") as tmp:
        folder = Path(tmp)
        frame = synthetic_records(n) if kind == "synthetic" else generate_sample(n_records=n, seed=7)[0]
        first, everything, first_night, next_night = split_nights(frame, new_share=new_share)
        first.to_csv(folder / "first.csv", index=False)
        everything.to_csv(folder / "all.csv", index=False)
        # the reference vectors (taxonomy phrases, catalogue examples) an installation embedded once
        cache = folder / "cache"
        cache.mkdir()
        for file in Settings().cache_dir.glob("taxonomy-*.npy"):
            shutil.copy(file, cache / file.name)
        row: dict[str, Any] = {"kind": kind, "n": n, "nights": {}}
        plan = [("first", "first.csv", first_night), ("+new", "all.csv", next_night), ("rerun", "all.csv", next_night)]
        for name, source, night in plan:
            keep = ["--keep-vectors"] if bertopic and name == "first" else []
            # one export file, rewritten each night with everything up to it, as export jobs do
            shutil.copy(folder / source, folder / EXPORT_FILE)
            result = _child(["--night", str(folder), EXPORT_FILE, night.isoformat(), kind, *keep], timeout=None)
            if result is None:
                raise RuntimeError(f"{kind} {n}: night {name!r} failed")
            row["nights"][name] = result
        if bertopic:
            row["bertopic"] = _child(["--bertopic-in", str(folder)], timeout=bertopic_timeout)
    return row


# --- the table -------------------------------------------------------------------------------
def _cell(seconds: float, records: int) -> list[str]:
    return [f"{seconds:.2f}", f"{records / seconds:,.0f}" if seconds > 0.005 else "-"]


def print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="voc nightly run at scale: seconds and records/s per step (2-core machine)")
    table.add_column("step")
    steps: list[str] = []
    for row in rows:
        for night in row["nights"].values():
            steps += [s for s in night["seconds"] if s not in steps]
    for row in rows:
        label = f"{row['kind'][:5]} {row['n']:,}"
        for name in NIGHTS:
            table.add_column(f"{label} {name} s", justify="right")
            table.add_column("rec/s", justify="right")

    def cells(fn: Any) -> list[str]:
        out: list[str] = []
        for row in rows:
            for name in NIGHTS:
                night = row["nights"][name]
                records = night["n_new"] if name == "+new" else night["n_records"]
                out += fn(night, max(records, 1))
        return out

    for step in steps:
        table.add_row(step, *cells(lambda night, r, step=step: _cell(night["seconds"].get(step, 0.0), r)))
    table.add_row("TOTAL", *cells(lambda night, r: _cell(night["total"], r)))
    table.add_row("records (new)", *cells(lambda night, r: [f"{night['n_records']:,} ({night['n_new']:,})", ""]))
    table.add_row(
        "outside embedding",
        *cells(lambda night, r: [f"{1 - night['seconds'].get('embed', 0) / night['total']:.0%}", ""]),
    )
    table.add_row("peak RSS, MB", *cells(lambda night, r: [f"{night['peak_mb']:,.0f}", night.get("peak_step", "")]))
    Console(width=400).print(table)
    summary = Table(title="increment and rerun, measured in the same run")
    for column in (
        "size",
        "first s",
        "+new s",
        "+new / first",
        "rerun s",
        "rerun / +new",
        "BERTopic s",
        "voc themes s",
    ):
        summary.add_column(column, justify="right")
    for row in rows:
        nights = row["nights"]
        first, new, rerun = (nights[name]["total"] for name in NIGHTS)
        bertopic = row.get("bertopic")
        summary.add_row(
            f"{row['kind']} {row['n']:,}",
            f"{first:.1f}",
            f"{new:.1f}",
            f"{new / first:.0%}",
            f"{rerun:.1f}",
            f"{rerun / new:.0%}",
            "-" if "bertopic" not in row else "did not finish" if bertopic is None else f"{bertopic['seconds']:.1f}",
            f"{nights['first']['seconds'].get('fit_themes', 0):.1f}",
        )
    Console(width=400).print(summary)
    projected = project_with_encoder(rows)
    if projected:
        table = Table(title="synthetic sizes at the shipped encoder's speed measured in the same run (projected)")
        for column in projected[0]:
            table.add_column(column, justify="right")
        for line in projected:
            table.add_row(*line.values())
        Console(width=400).print(table)


def project_with_encoder(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Synthetic nights with the embedding time the shipped encoder would take, from a real row.

    The synthetic encoder makes every step but embedding measurable at sizes the shipped encoder
    cannot reach here; the real row of the same run gives the encoder's units per second on this
    machine (its first night embeds every unit), and each synthetic night's embedding seconds are
    replaced by its new units at that rate. Empty without both kinds of row.
    """
    real = [r for r in rows if r["kind"] == "real"]
    if not real:
        return []
    first = real[-1]["nights"]["first"]
    rate = first["n_units"] / max(first["seconds"].get("embed", 0.0), 1e-9)
    out = []
    for row in (r for r in rows if r["kind"] == "synthetic"):
        nights = row["nights"]
        new_units = nights["+new"]["n_units"] - nights["first"]["n_units"]
        rest = {name: nights[name]["total"] - nights[name]["seconds"].get("embed", 0.0) for name in NIGHTS}
        cold = rest["first"] + nights["first"]["n_units"] / rate
        increment = rest["+new"] + new_units / rate
        out.append(
            {
                "size": f"{row['n']:,} ({nights['first']['n_units']:,} units, {new_units:,} new)",
                "encoder units/s": f"{rate:.1f}",
                "first night s": f"{cold:,.0f}",
                "+new s": f"{increment:,.0f}",
                "+new outside embedding": f"{rest['+new'] / increment:.0%}",
                "rerun / +new": f"{nights['rerun']['total'] / increment:.1%}",
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", type=int, nargs="*", default=[1000], help="sizes with the shipped encoder")
    parser.add_argument("--synthetic", type=int, nargs="*", default=[10000], help="sizes with synthetic vectors")
    parser.add_argument("--full", action="store_true", help="add 100k records with the shipped encoder")
    parser.add_argument("--new-share", type=float, default=0.1, help="share of records new on the second night")
    parser.add_argument("--bertopic", action="store_true", help="plain BERTopic on the same unit vectors")
    parser.add_argument("--bertopic-timeout", type=float, default=600.0, help="seconds before BERTopic is given up")
    parser.add_argument("--json", type=Path, help="also write the measured rows here")
    parser.add_argument("--night", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--bertopic-in", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--keep-vectors", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--from-json", type=Path, help="print the tables of rows written earlier with --json")
    args = parser.parse_args()
    if args.from_json:
        print_table(json.loads(args.from_json.read_text(encoding="utf-8")))
        return
    if args.night:
        folder, source, night, kind = args.night
        result = run_night(
            Path(folder),
            source=Path(folder) / source,
            night=date.fromisoformat(night),
            synthetic=kind == "synthetic",
            keep_vectors=args.keep_vectors,
        )
        print(json.dumps(result))
        return
    if args.bertopic_in:
        print(json.dumps(run_bertopic(args.bertopic_in)))
        return
    plan = [("real", n) for n in args.real + ([100_000] if args.full else [])]
    plan += [("synthetic", n) for n in args.synthetic]
    rows = []
    for kind, n in plan:
        rows.append(
            measure(kind, n, new_share=args.new_share, bertopic=args.bertopic, bertopic_timeout=args.bertopic_timeout)
        )
        print(f"measured {kind} {n:,}", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")
    print_table(rows)


if __name__ == "__main__":
    main()
