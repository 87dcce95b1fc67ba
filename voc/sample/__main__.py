"""``python -m voc.sample OUT_DIR``: write the sample data set (feedback, customers, truth)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from voc.sample.generator import write_sample


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m voc.sample", description=__doc__)
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("data/sample"))
    parser.add_argument("--n-records", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=None,
        help="last day (YYYY-MM-DD); default a fixed date, so files are reproducible",
    )
    parser.add_argument("--today", action="store_true", help="end the sample today (a demo that looks current)")
    args = parser.parse_args(argv)
    end = dt.date.today() if args.today else args.end_date
    for name, path in write_sample(args.out_dir, n_records=args.n_records, seed=args.seed, end_date=end).items():
        print(f"{name:9s} {path}")


if __name__ == "__main__":
    main()
