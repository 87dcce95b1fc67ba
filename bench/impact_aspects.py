"""Do the top ranked themes name the causes that the reviewers' own ratings blame?

Skytrax seat and lounge reviews carry a recommend flag and sub-ratings per aspect (seat legroom,
width, recline, ...; lounge comfort, cleanliness, catering, staff, ...). The aspects whose ratings
best tell a reviewer who does not recommend from one who does are the causes an owner should act
on first; the product never sees the sub-ratings, only the review text and the overall rating
(1-10, read as an NPS answer). A night runs through ``run_pipeline`` (the plain engine's path) and
its ranked priorities are read back:

* **aspects**: every sub-rating's AUC for *not recommending* (a low rating, a detractor), on the
  reviews that rate it, strongest first;
* **top themes**: the first ten ranked themes, each with the aspects its label, keywords and
  verbatims name (the aspect words below: the data set's own aspect names and their plain
  synonyms, used only to read the output, never by the product);
* **hit**: whether each of the three most predictive aspects is named by one of the top five
  themes, and the rank of the first theme that names it.

    python -m bench.impact_aspects [--n 1500] [--rank-level leaf analyst]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

from bench.common import shared_data
from bench.themes_product import _copy_embeddings

NIGHT = date(2015, 8, 1)

#: Sub-rating column -> words that name the aspect in a theme's label, keywords or verbatims.
ASPECTS: dict[str, tuple[str, ...]] = {
    "seat_legroom_rating": ("legroom", "leg room", "knee", "pitch"),
    "seat_width_rating": ("width", "narrow", "wide", "cramped", "tight", "shoulder"),
    "seat_recline_rating": ("recline", "reclin"),
    "aisle_space_rating": ("aisle",),
    "viewing_tv_rating": ("tv", "screen", "entertainment", "ife", "movie", "film"),
    "power_supply_rating": ("power", "socket", "usb", "outlet", "charg", "plug"),
    "seat_storage_rating": ("storage", "overhead", "bin", "pocket", "locker"),
    "comfort_rating": ("comfort", "seating", "crowded", "busy", "space", "chair"),
    "cleanliness_rating": ("clean", "dirty", "tidy"),
    "bar_beverages_rating": ("drink", "bar", "wine", "beer", "champagne", "beverage", "alcohol"),
    "catering_rating": ("food", "snack", "buffet", "meal", "catering", "breakfast", "sandwich"),
    "washrooms_rating": ("shower", "toilet", "washroom", "bathroom", "restroom"),
    "wifi_connectivity_rating": ("wifi", "wi-fi", "internet", "connection", "wireless"),
    "staff_service_rating": ("staff", "service", "friendly", "rude", "attendant", "crew"),
}


def load_reviews(n: int, seed: int = 0) -> pd.DataFrame | None:
    """Seat and lounge reviews with text, date, overall rating and recommend flag; ``n`` sampled."""
    seat, lounge = (
        shared_data("skytrax_lounge_seat_en", "seat.csv"),
        shared_data("skytrax_lounge_seat_en", "lounge.csv"),
    )
    if seat is None or lounge is None:
        return None
    frame = pd.concat([pd.read_csv(seat).assign(kind="seat"), pd.read_csv(lounge).assign(kind="lounge")])
    frame = frame.dropna(subset=["content", "date", "overall_rating", "recommended"])
    frame = frame.sample(n=min(n, len(frame)), random_state=seed).reset_index(drop=True)
    return frame.assign(id=[f"s{i}" for i in range(len(frame))])


def aspect_strength(frame: pd.DataFrame) -> pd.DataFrame:
    """AUC of each sub-rating for not recommending (a low rating predicts it), strongest first."""
    rows = []
    for column in ASPECTS:
        if column not in frame:
            continue
        rated = frame.dropna(subset=[column])
        if rated["recommended"].nunique() < 2 or len(rated) < 30:
            continue
        auc = roc_auc_score(rated["recommended"].eq(0), -rated[column].astype(float))
        rows.append({"aspect": column, "auc_not_recommend": auc, "n_rated": len(rated)})
    return pd.DataFrame(rows).sort_values("auc_not_recommend", ascending=False, ignore_index=True)


def aspects_named(text: str) -> list[str]:
    """Aspects whose words occur in ``text`` (word starts, case-insensitive)."""
    lowered = text.lower()
    return [a for a, words in ASPECTS.items() if any(re.search(rf"\b{re.escape(w)}", lowered) for w in words)]


def run_night(frame: pd.DataFrame, folder: Path, *, rank_level: str) -> pd.DataFrame:
    """One night of the product on the reviews; its ranked priorities with the text each names."""
    from voc.config import ColumnMapping, EmbeddingSettings, SourceSettings, load_settings
    from voc.pipeline import run_pipeline
    from voc.store import Store

    path = folder / "reviews.csv"
    frame[["id", "content", "date", "overall_rating", "kind"]].to_csv(path, index=False)
    source = SourceSettings(
        path=str(path),
        name="skytrax",
        columns=ColumnMapping(text="content", id="id", date="date", score="overall_rating", score_type="nps"),
    )
    settings = load_settings(
        None,
        sources=[source.model_dump()],
        db_path=folder / "voc.duckdb",
        out_dir=folder / "out",
        embedding=EmbeddingSettings(backend="e5-torch").model_dump(),
        themes={"rank_level": rank_level},
        progress="off",
    )
    with Store(settings.db_path) as store:
        store.migrate()
    _copy_embeddings(settings.db_path, into_store=True)
    run_pipeline(settings, night=NIGHT)
    _copy_embeddings(settings.db_path, into_store=False)
    out = settings.out_dir
    priorities = pd.DataFrame(json.loads((out / "priorities.json").read_text(encoding="utf-8"))["priorities"])
    themes = pd.read_parquet(out / "themes.parquet").set_index("theme_id")

    def said(row: pd.Series) -> str:
        keywords = " ".join(" ".join(words) for words in (row.get("keywords") or {}).values())
        verbatims = themes.loc[row["theme_id"], "verbatims"] if row["theme_id"] in themes.index else ""
        return f"{row['theme_label']} {keywords} {verbatims}"

    priorities["aspects"] = priorities.apply(lambda row: aspects_named(said(row)), axis=1)
    return priorities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1500, help="reviews sampled from seat + lounge")
    parser.add_argument("--rank-level", nargs="+", default=["leaf", "analyst"])
    args = parser.parse_args()
    frame = load_reviews(args.n)
    if frame is None:
        print("skytrax_lounge_seat_en not found under the shared data folder; nothing to measure")
        return
    strength = aspect_strength(frame)
    print("Sub-ratings that predict not recommending (AUC of a low rating):")
    print(strength.to_string(index=False, float_format="%.3f"))
    top_aspects = strength["aspect"].head(3).tolist()
    summary = []
    for level in args.rank_level:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            priorities = run_night(frame, Path(tmp), rank_level=level)
            seconds = time.perf_counter() - start
        print(f"\nrank_level={level}: {len(priorities)} ranked themes ({seconds:.0f} s); the top ten:")
        print(priorities.head(10)[["rank", "theme_label", "n_records", "impact", "aspects"]].to_string(index=False))
        for aspect in top_aspects:
            first = next(
                (int(r) for r, named in zip(priorities["rank"], priorities["aspects"]) if aspect in named), None
            )
            summary.append(
                {
                    "rank_level": level,
                    "aspect": aspect,
                    "first_rank": first,
                    "in_top_5": first is not None and first <= 5,
                }
            )
    print("\nThe three most predictive aspects: rank of the first theme that names each")
    print(pd.DataFrame(summary).to_string(index=False))


if __name__ == "__main__":
    main()
