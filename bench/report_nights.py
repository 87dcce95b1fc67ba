"""The report on real data: a long scored history and a file without scores, as a user runs them.

Nights through :func:`voc.pipeline.run_pipeline` (the path ``voc run`` takes):

* ``skytrax``: airline seat reviews over about ten years, ``overall_rating`` (1-10) read as the
  NPS question, one review dated 1970 (a real export's placeholder date);
* ``tweets``: airline tweets over eight days, no score at all;
* ``banking``: bank support messages with an id and a text only.

For each, the store, the report and the exports are checked against each other with
:func:`voc.report.consistency.check_consistency`, and the report is opened in Chromium at
1,400 px wide: page height, a screenshot of the top and a full-page screenshot go to ``--out``.

    python -m bench.report_nights [--out bench-out/report-nights] [--sets skytrax tweets banking]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

from bench.common import shared_data

#: Debian's Chromium (``scripts/ensure_chromium.sh``): Playwright cannot download its own here.
CHROMIUM = "/usr/bin/chromium"
#: Width the report is read at.
VIEWPORT_WIDTH = 1400


def skytrax_frame(n: int | None = None) -> pd.DataFrame | None:
    """Seat reviews: id, date, text, overall rating (1-10)."""
    path = shared_data("skytrax_lounge_seat_en", "seat.csv")
    if path is None:
        return None
    frame = pd.read_csv(path).dropna(subset=["content"])
    if n is not None and n < len(frame):
        frame = frame.sample(n=n, random_state=0)
    return pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(len(frame))],
            "date": frame["date"].to_numpy(),
            "text": frame["content"].to_numpy(),
            "rating": frame["overall_rating"].to_numpy(),
            "cabin": frame["cabin_flown"].to_numpy(),
        }
    )


def tweets_frame(n: int = 1500) -> pd.DataFrame | None:
    """Tweets to US airlines: id, created (day first), text; no score."""
    path = shared_data("airline_tweets_en", "Tweets.csv")
    if path is None:
        return None
    frame = pd.read_csv(path).sample(n=n, random_state=0)
    return pd.DataFrame(
        {"id": frame["tweet_id"].astype(str).to_numpy(), "created": frame["tweet_created"], "text": frame["text"]}
    )


def banking_frame(n: int = 1500) -> pd.DataFrame | None:
    """Bank support messages: an id and a text only (no date, no score), as a ticket export may be."""
    path = shared_data("banking77", "test.csv")
    if path is None:
        return None
    frame = pd.read_csv(path).sample(n=min(n, 3080), random_state=0)
    return pd.DataFrame({"id": [f"b{i}" for i in range(len(frame))], "text": frame["text"].to_numpy()})


def _sources(name: str, frame: pd.DataFrame, folder: Path) -> list[dict[str, object]]:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    if name == "skytrax":
        columns = {
            "text": "text",
            "id": "id",
            "date": "date",
            "score": "rating",
            "score_type": "nps",
            "segments": ["cabin"],
        }
    elif name == "tweets":
        columns = {"text": "text", "id": "id", "date": "created"}
    else:
        columns = {"text": "text", "id": "id"}
    return [{"path": str(path), "name": name, "columns": columns}]


def run_set(name: str, frame: pd.DataFrame, folder: Path) -> dict[str, object]:
    """One night on ``frame``; its report checked and photographed."""
    from voc.config import load_settings
    from voc.pipeline import run_pipeline
    from voc.report.consistency import check_consistency

    folder.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        None,
        sources=_sources(name, frame, folder),
        db_path=folder / "voc.duckdb",
        out_dir=folder / "out",
        progress="off",
    )
    if frame.shape[1] > 2:
        dates = pd.to_datetime(frame.iloc[:, 1], errors="coerce", dayfirst=name == "tweets")
        night = (dates.max() + timedelta(days=1)).date()
    else:  # no dates: every record belongs to the night it is read
        night = None
    start = time.perf_counter()
    result = run_pipeline(settings, night=night)
    seconds = time.perf_counter() - start
    findings = check_consistency(settings.db_path, settings.out_dir, run_id=result.run_id)
    report = result.paths["report"]
    height = photograph(report, folder / f"{name}-top.png", folder / f"{name}-full.png")
    return {
        "set": name,
        "records": len(frame),
        "seconds": round(seconds),
        "disagreements": len(findings),
        "page_px": height,
        "report": str(report),
        "findings": findings,
    }


def photograph(report: Path, top: Path, full: Path) -> int | None:
    """Page height at :data:`VIEWPORT_WIDTH` px; screenshots of the first screen and the whole page."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        except Exception:
            return None
        page = browser.new_page(viewport={"width": VIEWPORT_WIDTH, "height": 1000})
        page.goto(report.as_uri())
        page.wait_for_timeout(1500)
        height = int(page.evaluate("document.documentElement.scrollHeight"))
        page.screenshot(path=str(top))
        page.screenshot(path=str(full), full_page=True)
        browser.close()
    return height


SETS = {"skytrax": skytrax_frame, "tweets": tweets_frame, "banking": banking_frame}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench-out") / "report-nights")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    args = parser.parse_args()
    rows = []
    for name in args.sets:
        frame = SETS[name]()
        if frame is None:
            print(f"{name}: data not found under the shared data folder; skipped")
            continue
        # the same folder on every run: a rerun reuses the store's embeddings and is a rerun of the night
        row = run_set(name, frame, args.out / name)
        rows.append(row)
        for finding in row["findings"]:  # type: ignore[union-attr]
            print(f"  {name}: {finding}")
    if rows:
        table = pd.DataFrame(rows).drop(columns=["findings"])
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
