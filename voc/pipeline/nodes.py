"""The nightly steps as functions over DataFrames and typed results.

Each node is a thin adapter: it receives what earlier nodes produced and what the data catalogue
(:mod:`voc.pipeline.catalog`) loaded, plus only its own section of the settings
(``params:<section>``), calls the step's library function (``voc.ingest``, ``voc.themes``, ...)
and returns plain values. No node receives the store: what a night keeps is returned under a
catalogue name (``db.feedback``, ``theme_changes``, ``db.priorities``, ...) and the catalogue
writes it, inside the one transaction the runner opens for the whole night
(:func:`voc.pipeline.runner.run_pipeline`), so a night commits once, at its end.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.compute.runners import InProcess, PartitionRunner
from voc.config import (
    AlertSettings,
    ComputeSettings,
    EmbeddingSettings,
    ImpactSettings,
    IngestSettings,
    MetricsSettings,
    ProgressMode,
    ReportSettings,
    SentimentSettings,
    Settings,
    SourceSettings,
    ThemeSettings,
)
from voc.embed.base import Embedder
from voc.pipeline.datasets import EmbeddingCache, NightRows
from voc.pipeline.night import AnalysisClock
from voc.schemas import QUARANTINE_COLUMNS, RECORD_COLUMNS, UNASSIGNED_THEME
from voc.themes.pipeline import CuratedThemes, ThemeFit, ThemeUpdate
from voc.themes.state import ThemeChanges, ThemeState

if TYPE_CHECKING:
    from voc.impact.signals.base import SignalResult

log = logging.getLogger(__name__)

#: units matched to the catalogue at once (their vectors are copied a chunk at a time)
MATCH_CHUNK = 16_384


@dataclass
class Ingested:
    """What the night read: new candidate records, rejected rows and counts."""

    records: pd.DataFrame
    quarantine: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


def empty_ingest() -> Ingested:
    """The ingest result of a run that reads no source (``voc report`` re-analyses the store)."""
    return Ingested(pd.DataFrame(columns=list(RECORD_COLUMNS)), pd.DataFrame(columns=list(QUARANTINE_COLUMNS)), {})


# --- extract ------------------------------------------------------------------------------
def read_sources(
    sources: list[SourceSettings],
    ingest: IngestSettings,
    night: date | None = None,
    compute: PartitionRunner | None = None,
    cache_dir: Path | None = None,
) -> Ingested:
    """Read every configured source in chunks, map, clean, redact and dedup it.

    With ``night``, rows dated after it go to quarantine (a later night reads them). With a
    distributed ``compute`` runner the chunks are parsed on its workers (same records). With a
    ``cache_dir``, rows parsed on an earlier night are taken from there, not parsed again.
    """
    from voc.errors import InputError
    from voc.ingest import ingest_source
    from voc.pipeline.fingerprint import PARSED_FOLDER, ParseCache

    if not sources:
        raise InputError("no sources configured: give --input files or `sources:` in voc.yaml")
    not_after = AnalysisClock(night).cutoff if night else None
    records: list[pd.DataFrame] = []
    quarantine: list[pd.DataFrame] = []
    stats: dict[str, int] = {}
    kept = ParseCache(Path(cache_dir) / PARSED_FOLDER) if cache_dir is not None else None
    for source in sources:
        for batch in ingest_source(source, settings=ingest, not_after=not_after, runner=compute, parsed_cache=kept):
            records.append(batch.records)
            quarantine.append(batch.quarantine)
            for key, value in batch.stats.items():
                if isinstance(value, (int, np.integer)):
                    stats[key] = stats.get(key, 0) + int(value)
    return Ingested(
        records=_concat(records, RECORD_COLUMNS),
        quarantine=_concat(quarantine, QUARANTINE_COLUMNS),
        stats=stats,
    )


def ingest_sources(settings: Settings, night: date | None = None) -> Ingested:
    """:func:`read_sources` with the sources and options of one settings object (scripts, tests)."""
    return read_sources(settings.sources, settings.ingest, night)


def offer_records(ingested: Ingested) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records to store (the catalogue keeps only unseen ones and new versions) and the night's quarantine."""
    return ingested.records, ingested.quarantine


def count_stored(ingested: Ingested, new_records: pd.DataFrame) -> Ingested:
    """The ingest counts completed with what the store kept.

    Every row read is a new record, a new version, already known, a duplicate or quarantined.
    """
    edited = int((new_records["version"] > 1).sum()) if "version" in new_records else 0
    stats = {
        **ingested.stats,
        "edited": edited,
        "new_records": len(new_records) - edited,
        "already_stored": len(ingested.records) - len(new_records),
    }
    log.info("records stored", extra={"offered": len(ingested.records), "new": len(new_records), "edited": edited})
    # the records now live in the store: later steps read counts and the quarantine only, and the
    # rows read (all of a file, 10^5 at a time) need not be held through the rest of the night
    return Ingested(ingested.records.iloc[:0], ingested.quarantine, stats)


def window_history(feedback: pd.DataFrame, clock: AnalysisClock) -> pd.DataFrame:
    """All stored records up to the night (the analysis window of every later step)."""
    cutoff = clock.cutoff
    return feedback[feedback["created_at"].isna() | (feedback["created_at"] < cutoff)].reset_index(drop=True)


# --- transform -----------------------------------------------------------------------------
def build_units(history: pd.DataFrame, themes: ThemeSettings, stored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Split records into sentence units (the grain of themes and mention sentiment).

    Records split on an earlier night keep their ``stored`` units (checked on a sample, see
    :func:`voc.themes.segment.split_new_units`): a night splits only its new and edited records.
    """
    from voc.themes.segment import split_new_units

    return split_new_units(history, stored, split_sentences=themes.split_sentences)


def open_compute(compute: ComputeSettings) -> PartitionRunner:
    """Where the per-record and per-unit steps run: this process, or a Dask cluster's workers."""
    from voc.compute import get_runner

    return get_runner(compute)


def load_embedder(embedding: EmbeddingSettings) -> Embedder:
    """The night's one encoder, loaded once and handed to every step that needs it."""
    from voc.embed import get_embedder

    return get_embedder(embedding)


def embed_units(
    units: pd.DataFrame,
    embedder: Embedder,
    embedding_cache: EmbeddingCache,
    progress: ProgressMode = "auto",
    compute: PartitionRunner | None = None,
    embedding: EmbeddingSettings | None = None,
    compute_settings: ComputeSettings | None = None,
) -> np.ndarray:
    """Embed every unit, computing only texts missing from the cache. Shape (n_units, dim).

    ``progress`` is the settings' ``progress`` (a bar on a terminal, or never). With a
    distributed ``compute`` runner the missing texts are embedded in partitions on its workers,
    each with its own encoder built from ``embedding``; this process looks up and saves the cache.
    """
    from voc.embed import embed_with_cache
    from voc.pipeline.progress import progress_bar

    batch_size = 512
    if compute is not None and compute.distributed and embedding is not None:
        from voc.compute.partitioned import PartitionedEmbedder

        resources = compute_settings.embed_resources if compute_settings else None
        embedder = PartitionedEmbedder(embedder, settings=embedding, runner=compute, resources=resources)
        batch_size = compute.partition_size * compute.workers  # one saved batch keeps every worker busy

    texts = units["text"].tolist()
    unique = list(dict.fromkeys(units["text_hash"]))
    to_do = len(unique) - len(embedding_cache.cached(unique, embedder.model_id))  # sized for the bar only
    with progress_bar("embedding", total=to_do, mode=progress) as advance:
        return embed_with_cache(
            texts,
            embedder,
            lookup=embedding_cache.lookup,
            save=embedding_cache.put,
            batch_size=batch_size,
            progress=advance,
        )


def content_units(
    units: pd.DataFrame, embeddings: np.ndarray, cache_dir: Path | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The units that may carry a theme, and their embeddings (n_content, dim).

    Greetings, sign-offs and contact lines name no issue; they stay unassigned (theme -1). The
    judgement is a function of a unit's text and language, kept per unit in ``cache_dir``: a
    night judges only units no earlier night did.
    """
    from voc.pipeline.fingerprint import cached_per_unit
    from voc.themes.boilerplate import is_boilerplate

    def judge(part: pd.DataFrame) -> np.ndarray:
        return is_boilerplate(part["text"].tolist(), part["language"].tolist())

    boilerplate = cached_per_unit(judge, units, name="boilerplate", context=(), cache_dir=cache_dir).astype(bool)
    content = ~boilerplate
    return units[content].reset_index(drop=True), embeddings[content]


def fit_themes(
    theme_state: ThemeState,
    theme_units: pd.DataFrame,
    theme_embeddings: np.ndarray,
    embedder: Embedder,
    catalogue_matches: np.ndarray | None,
    themes: ThemeSettings,
    run_id: str,
    clock: AnalysisClock,
    refit: bool,
    history: pd.DataFrame | None = None,
) -> ThemeFit:
    """Assign units to known themes, find emerging ones, refit on schedule (ids persist).

    With ``themes.erase_tone`` the tone axis of this encoder's sentiment model is removed before
    clustering (the shipped head for the bundled encoder, the anchor model for any other).
    """
    from voc.themes.pipeline import fit_or_assign

    tone = None
    if themes.erase_tone:
        from voc.sentiment import default_model_for

        tone = np.asarray(default_model_for(embedder).coef_, dtype=np.float32)

    if history is not None and themes.fit_sample_size is not None and len(theme_units) > themes.fit_sample_size:
        from voc.themes.sampling import with_record_strata

        theme_units = with_record_strata(theme_units, history)  # a sampled refit keeps sources and weeks
    # the model id makes a change of embedding model trigger a refit (old centroids are meaningless)
    return fit_or_assign(
        theme_state,
        theme_units,
        theme_embeddings,
        settings=themes,
        run_id=run_id,
        now=clock.starts,
        refit=refit or None,
        model_id=embedder.model_id,
        tone_directions=tone,
        anchors=catalogue_matches,
    )


def curate_themes(theme_fit: ThemeFit, theme_state: ThemeState) -> CuratedThemes:
    """Replay the analysts' edits on tonight's model view."""
    from voc.themes.pipeline import curate

    return curate(theme_fit, theme_state.edits)


def match_catalogue(
    theme_units: pd.DataFrame,
    theme_embeddings: np.ndarray,
    embedder: Embedder,
    themes: ThemeSettings,
    cache_dir: Path,
) -> np.ndarray | None:
    """Each unit's issue from the catalogue of CX issues (-1 none); None without a catalogue.

    The catalogue's examples are embedded once per encoder (kept in ``cache_dir``). The matches
    anchor the analyst level (themes taking one issue are one group) and name themes; with
    ``themes.zeroshot`` a refit also takes them as zero-shot themes.
    """
    if not themes.catalogue:
        return None
    from voc.pipeline.fingerprint import cached_per_unit
    from voc.themes.catalogue import CatalogueMatcher, load_catalogue

    catalogue = load_catalogue(None if themes.catalogue == "builtin" else themes.catalogue)
    matcher = CatalogueMatcher().fit(catalogue, embedder, cache_dir=cache_dir)
    vectors_at = pd.Series(np.arange(len(theme_units)), index=theme_units.index)

    def match(part: pd.DataFrame) -> np.ndarray:
        rows = vectors_at.loc[part.index].to_numpy()
        languages = part["language"].astype(str).tolist()
        index = np.empty(len(rows), dtype=np.int64)
        # a chunk of vectors at a time: a first night's copy of every unit vector would cost as
        # much memory as the embeddings themselves
        for start in range(0, len(rows), MATCH_CHUNK):
            chunk = rows[start : start + MATCH_CHUNK]
            index[start : start + len(chunk)], _ = matcher.match(
                theme_embeddings[chunk], languages[start : start + MATCH_CHUNK]
            )
        return index

    # a unit's match is a function of its text (its vector under this encoder) and language
    context = (catalogue, embedder.model_id)
    return cached_per_unit(match, theme_units, name="catalogue-match", context=context, cache_dir=cache_dir).astype(
        np.int64
    )


def catalogue_names(
    curated_themes: CuratedThemes,
    catalogue_matches: np.ndarray | None,
    themes: ThemeSettings,
    report: ReportSettings,
    theme_fit: ThemeFit | None = None,
) -> dict[int, str]:
    """Names from the catalogue of CX issues for themes most of whose units match one issue.

    A zero-shot theme (``themes.zeroshot``) carries its issue's name even when the units it gathered
    by centroid outnumber the matched ones it was built from: the name is what it was fitted as.
    Without a catalogue (``themes.catalogue: null``) every theme keeps its keyphrase label.
    """
    if catalogue_matches is None or not themes.catalogue:
        return {}
    from voc.themes.catalogue import display_names, load_catalogue, name_themes

    catalogue = load_catalogue(None if themes.catalogue == "builtin" else themes.catalogue)
    names = display_names(catalogue, language=report.language)
    leaf_ids = curated_themes.theme_ids
    # parents (the analyst level) are named from all their leaves' units the same way
    registry = curated_themes.registry
    parent_of = {int(t): int(p) for t, p in zip(registry["theme_id"], registry["parent_id"]) if pd.notna(p)}
    parent_ids = np.array([parent_of.get(int(t), UNASSIGNED_THEME) for t in leaf_ids], dtype=np.int64)
    present = set(registry["theme_id"].astype(int))
    zeroshot = {t: names[i] for t, i in (theme_fit.zeroshot if theme_fit else {}).items() if t in present}
    return {
        **name_themes(leaf_ids, catalogue_matches, names=names, min_share=themes.catalogue_min_share),
        **zeroshot,
        **name_themes(parent_ids, catalogue_matches, names=names, min_share=themes.catalogue_min_share),
    }


def label_themes(
    curated_themes: CuratedThemes,
    theme_fit: ThemeFit,
    theme_units: pd.DataFrame,
    catalogue_names: dict[int, str],
    themes: ThemeSettings,
    report: ReportSettings,
) -> pd.DataFrame:
    """Label new and changed themes (all of them after a refit), in the report's language."""
    from voc.themes.pipeline import label

    return label(
        curated_themes,
        theme_fit,
        theme_units,
        settings=themes,
        language=report.language,
        catalogue_names=catalogue_names,
    )


def settle_themes(
    labelled_themes: pd.DataFrame,
    curated_themes: CuratedThemes,
    theme_fit: ThemeFit,
    theme_units: pd.DataFrame,
    run_id: str,
    themes: ThemeSettings,
    history: pd.DataFrame | None = None,
) -> tuple[ThemeUpdate, ThemeChanges]:
    """What later steps read (themes at the ranked level), and what the registry keeps.

    The records' scores tell which sub-themes are far costlier than their group (ranked apart).
    Unhappy here is the ratings' clear tone (detractors, low CSAT or stars, hard effort against
    promoters and the satisfied), passives and middling scores left out, unlike the priority
    list's bands where a passive counts as not unhappy: the standout test contrasts two shares,
    and passives on both sides only dilute the contrast. Counting them as not unhappy was tried:
    the sample's planted blind-spot issue was no longer ranked on its own.
    """
    from voc.themes.pipeline import settle

    unhappy = None
    if history is not None and "score" in history.columns:
        from voc.sentiment import ratings_to_labels

        tone = ratings_to_labels(history["score"].to_numpy(dtype=float), history["score_type"].to_numpy(dtype=object))
        unhappy = pd.Series(np.where(np.isnan(tone), np.nan, (tone == 0).astype(float)), index=history["record_id"])
    return settle(
        labelled_themes, curated_themes, theme_fit, theme_units, run_id=run_id, settings=themes, unhappy=unhappy
    )


@dataclass
class Tone:
    """Sentiment of every unit and record of the night, scored before the themes are fitted.

    Scoring right after the embedding step lets the night drop the vectors of all units before
    the theme fit, which keeps copies of its own (the largest arrays of a night).
    """

    #: ``sentiment``, ``sentiment_label``, one row per unit in the units' order (index 0..n-1)
    units: pd.DataFrame
    #: ``sentiment``, ``sentiment_label`` indexed by ``record_id`` (records with a unit only)
    records: pd.DataFrame


def score_tone(
    history: pd.DataFrame,
    units: pd.DataFrame,
    embeddings: np.ndarray,
    embedder: Embedder,
    sentiment: SentimentSettings,
    compute: PartitionRunner | None = None,
) -> tuple[Tone, dict[str, Any]]:
    """Sentiment per unit and per record (its units' mean vector) with the night's head.

    The head is the shipped one for this encoder or, when allowed and the records carry enough
    ratings, one learned from them (learned here, once). With a distributed ``compute`` runner the
    rows are scored in partitions on its workers (the same rows).

    Parameters
    ----------
    history : DataFrame, the window's records (``record_id``, ``score``, ``score_type``, ...)
    units : DataFrame, n rows (``record_id``)
    embeddings : ndarray (n, d), the units' vectors, row-aligned with ``units``

    Returns
    -------
    tone : Tone
    sentiment_info : which head scored (default or learned from ratings) and its cross-validated AUC
    """
    from voc.compute.partitioned import score_sentiment_partitioned
    from voc.sentiment import fit_from_ratings

    runner = compute or InProcess()
    record_vectors, record_index = _mean_vectors(units["record_id"].to_numpy(), embeddings)
    scored = history.set_index("record_id")
    vec_of = dict(zip(record_index, range(len(record_index))))
    has_vec = scored.index.isin(record_index)
    model, info = _sentiment_model(scored[has_vec], record_vectors, vec_of, embedder, sentiment, fit_from_ratings)
    unit_sent = score_sentiment_partitioned(embeddings, model=model, neutral_band=sentiment.neutral_band, runner=runner)
    rec_sent = score_sentiment_partitioned(
        record_vectors, model=model, neutral_band=sentiment.neutral_band, runner=runner
    )
    rec_sent.index = pd.Index(record_index, name="record_id")
    columns = ["sentiment", "sentiment_label"]
    return Tone(units=unit_sent[columns].reset_index(drop=True), records=rec_sent), info


def score_feedback(
    history: pd.DataFrame,
    units: pd.DataFrame,
    tone: Tone,
    theme_update: ThemeUpdate,
    compute: PartitionRunner | None = None,
    cache_dir: Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Records and units with their themes and tone, effort/churn cues, the record/theme table.

    With a distributed ``compute`` runner, cues are found in partitions on its workers (the same
    rows). A record's cues are a function of its text and language, kept per record in
    ``cache_dir``: a night finds the cues of its new records only.

    Returns
    -------
    records : records + theme_id, theme_label, sentiment, sentiment_label, effort_cue, churn_cue
    units : units + theme_id, theme_similarity, sentiment, sentiment_label
    record_themes : RECORD_THEME_COLUMNS, with the mean sentiment of the record's units per theme
    """
    from voc.compute.partitioned import detect_cues_partitioned
    from voc.embed.cache import text_hash
    from voc.pipeline.fingerprint import cached_rows_per_unit

    runner = compute or InProcess()
    scored = history.set_index("record_id")
    units = units.reset_index(drop=True).copy()
    assigned = theme_update.units.set_index("unit_id")[["theme_id", "theme_similarity"]]
    units = units.join(assigned, on="unit_id")
    units["theme_id"] = units["theme_id"].fillna(UNASSIGNED_THEME).astype(int)
    units[["sentiment", "sentiment_label"]] = tone.units[["sentiment", "sentiment_label"]].to_numpy()
    units["sentiment"] = units["sentiment"].astype(float)
    scored = scored.join(tone.records)

    def find_cues(part: pd.DataFrame) -> pd.DataFrame:
        return detect_cues_partitioned(
            part["text"].fillna("").tolist(), part["language"].fillna("und").tolist(), runner=runner
        )

    # keyed by the exact text: the record's own hash is of the lower-cased text, and the cue's
    # quoted span keeps the customer's casing
    texts = scored[["text", "language"]].assign(text_hash=[text_hash(t) for t in scored["text"].fillna("").tolist()])
    cues = cached_rows_per_unit(find_cues, texts, name="cues", context=(), cache_dir=cache_dir)
    cues.index = scored.index
    scored = scored.join(cues)

    record_themes = theme_update.record_themes.drop(columns=["sentiment"], errors="ignore")
    mention = units[units["theme_id"] != UNASSIGNED_THEME].groupby(["record_id", "theme_id"])["sentiment"].mean()
    record_themes = record_themes.join(mention, on=["record_id", "theme_id"])
    primary = record_themes[record_themes["is_primary"]].set_index("record_id")["theme_id"]
    scored["theme_id"] = primary.reindex(scored.index).fillna(UNASSIGNED_THEME).astype(int)
    labels = theme_update.themes.set_index("theme_id")["label"]
    scored["theme_label"] = scored["theme_id"].map(labels).fillna("unassigned")
    return scored.reset_index(), units, record_themes


def score_tone_reads(
    history: pd.DataFrame,
    units: pd.DataFrame,
    embeddings: np.ndarray,
    embedder: Embedder,
    sentiment: SentimentSettings,
    compute: PartitionRunner | None = None,
) -> tuple[Any, ...]:
    """What :func:`score_tone` reads: where the work runs (``compute``) does not change the result."""
    return history, units, embeddings, embedder, sentiment


def score_feedback_reads(
    history: pd.DataFrame,
    units: pd.DataFrame,
    tone: Tone,
    theme_update: ThemeUpdate,
    compute: PartitionRunner | None = None,
) -> tuple[Any, ...]:
    """What :func:`score_feedback` reads: the theme update's tables, not tonight's events.

    Where the work runs (``compute``) does not change the result, so it is not part of the key.
    """
    tables = (theme_update.units, theme_update.themes, theme_update.record_themes)
    return history, units, tone.units, tone.records, tables


def _sentiment_model(
    scored: pd.DataFrame,
    record_vectors: np.ndarray,
    vec_of: dict[Any, int],
    embedder: Embedder,
    sentiment: SentimentSettings,
    fit_from_ratings: Callable[..., tuple[Any, dict[str, Any]]],
) -> tuple[Any, dict[str, Any]]:
    """Learn from the user's ratings when allowed and sufficient, else the default for this encoder."""
    from voc.sentiment import default_model_for

    default = default_model_for(embedder, neutral_band=sentiment.neutral_band)
    # "anchors" when the shipped head cannot read this encoder's vectors (a user's own model)
    fallback = "anchors" if default.meta_.get("kind") == "anchors" else "default"
    if not sentiment.learn_from_ratings:
        return default, {"used": fallback, "reason": "learning from ratings is off"}
    rated = scored[scored["score"].notna() & scored["score_type"].notna()]
    rows = [vec_of[i] for i in rated.index]
    vectors = record_vectors[rows] if rows else np.zeros((0, record_vectors.shape[1]), np.float32)
    model, info = fit_from_ratings(
        vectors,
        rated["score"].to_numpy(float),
        rated["score_type"].to_numpy(object),
        settings=sentiment,
        default=default,
    )
    return model, {**info, "used": fallback if info["used"] == "default" else info["used"]}


def _mean_vectors(groups: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit-length mean vector per group: (n_groups, dim) and the group keys in that order."""
    if len(groups) == 0:
        return np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), np.float32), np.array([], dtype=object)
    import scipy.sparse

    keys, inverse = np.unique(groups, return_inverse=True)
    # one sparse (groups x rows) product: np.add.at is unbuffered (seconds at 10^5 rows) and a
    # float64 copy of the vectors would double the night's largest array
    members = scipy.sparse.csr_array(
        (np.ones(len(groups), dtype=np.float32), (inverse, np.arange(len(groups)))), shape=(len(keys), len(groups))
    )
    sums = np.asarray(members @ np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32), keys


def measure_surveys(
    records: pd.DataFrame, record_themes: pd.DataFrame, metrics: MetricsSettings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """NPS/CSAT/CES overall and by period, segment, channel, journey stage and theme; drivers; volumes.

    The period fits the data (``metrics.period: auto``); drivers run for every score type, or for
    sentiment when there is no score (:func:`voc.metrics.key_drivers`).
    """
    from voc.metrics import compute_survey_metrics, impact_metric, key_drivers, resolve_period, theme_volumes

    cfg = metrics
    counted = impact_metric(records, prefer=cfg.impact_metric)
    scored = records["score_type"].astype(str).str.lower().eq(counted) & records["score"].notna()
    period = resolve_period(
        cfg.period, records.loc[scored if scored.any() else records.index, "created_at"], min_n=cfg.min_period_n
    )
    frames = [
        compute_survey_metrics(
            records,
            by=by,
            period=grain,
            record_themes=record_themes if by == ("theme",) else None,
            confidence=cfg.confidence,
            min_sample=cfg.min_sample,
        )
        for by, grain in [
            ((), None),
            ((), period),
            (("segment",), None),
            (("channel",), None),
            (("journey_stage",), None),
            (("source_type",), None),
            (("language",), None),
            (("theme",), None),
        ]
    ]
    filled = [f for f in frames if not f.empty]
    # no scores at all (a text-only export) is a normal night: the metric sections say so in the report
    table = pd.concat(filled, ignore_index=True) if filled else (frames[0] if frames else pd.DataFrame())
    drivers = key_drivers(records, record_themes, prefer=cfg.impact_metric, n_boot=cfg.bootstrap)
    volumes = theme_volumes(record_themes, records, period=period).assign(period=period)
    log.info("step=metrics period=%s impact_metric=%s", period, counted)
    return table, drivers, volumes


def rank_issues(
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    themes: pd.DataFrame,
    drivers: pd.DataFrame,
    impact: ImpactSettings,
    clock: AnalysisClock,
) -> pd.DataFrame:
    """The priority list with its `why` per row."""
    from voc.impact import rank_priorities

    return rank_priorities(records, record_themes, themes, drivers, settings=impact, now=clock.cutoff)


def find_unsaid(
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    themes: pd.DataFrame,
    drivers: pd.DataFrame,
    customers: pd.DataFrame | None,
    impact: ImpactSettings,
    clock: AnalysisClock,
) -> dict[str, SignalResult]:
    """What customers don't say (silent detractors, blind spots, ...)."""
    from voc.impact import detect_signals

    return detect_signals(
        records,
        record_themes,
        themes,
        drivers,
        customers=customers,
        now=clock.cutoff,
        settings=impact,
    )


def map_cx_taxonomy(
    themes: pd.DataFrame,
    record_themes: pd.DataFrame,
    records: pd.DataFrame,
    embedder: Embedder,
    cache_dir: Path,
    embedding_cache: EmbeddingCache | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each theme's CX area, pillar and journey stage, and a percentage score per area/pillar.

    The taxonomy's reference phrases are embedded once per encoder and kept under ``cache_dir``;
    the themes' label texts go through the embedding cache, so only a new or relabelled theme's
    text is embedded on a night.
    """
    from voc.impact import map_taxonomy, score_cx_areas
    from voc.pipeline.fingerprint import CachedEncoder

    if embedding_cache is not None:
        embedder = CachedEncoder(embedder, lookup=embedding_cache.lookup, save=embedding_cache.put)

    theme_map = map_taxonomy(themes, embedder=embedder, cache_dir=cache_dir)
    return theme_map, score_cx_areas(theme_map, record_themes, records)


def nights_before(table: pd.DataFrame, night: date, *, latest_only: bool = False) -> pd.DataFrame:
    """Rows of a per-night results table from nights before ``night`` (only the newest such night
    with ``latest_only``: the one tonight is compared with)."""
    if table.empty:
        return table
    nights = pd.to_datetime(table["night"]).dt.date
    earlier = table[nights < night]
    if latest_only and not earlier.empty:
        earlier = earlier[nights[earlier.index] == nights[earlier.index].max()]
    return earlier.reset_index(drop=True)


def raise_alerts(
    stored_alerts: pd.DataFrame,
    records: pd.DataFrame,
    record_themes: pd.DataFrame,
    themes: pd.DataFrame,
    alerts: AlertSettings,
    clock: AnalysisClock,
) -> pd.DataFrame:
    """Spikes, new themes and sentiment drops, with a cooldown against earlier nights' alerts."""
    from voc.impact import detect_alerts

    history = nights_before(stored_alerts, clock.night)[["kind", "theme_id", "segment", "created_at"]]
    return detect_alerts(
        records,
        record_themes,
        themes,
        history=history,
        settings=alerts,
        now=clock.cutoff,
    )


def deliver_alerts(raw_alerts: pd.DataFrame, alerts: AlertSettings) -> pd.DataFrame:
    """POST alerts to the webhook when one is configured; a failure is logged, never fatal."""
    from voc.impact import deliver_alerts as post

    delivered = raw_alerts.copy()
    delivered["delivered"] = False
    if alerts.webhook_url and not delivered.empty:
        delivered["delivered"] = post(delivered, webhook_url=alerts.webhook_url, retries=alerts.retries)
    return delivered


def read_customers(customers_path: str | None, ingest: IngestSettings) -> pd.DataFrame | None:
    """The optional customer list used to study non-responders."""
    if not customers_path:
        return None
    path = Path(customers_path)
    if not path.exists():
        raise FileNotFoundError(f"customers file not found: {path}")
    customers = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"customer_id": str})
    if ingest.redact and "customer_id" in customers:
        from voc.ingest.fields_pii import protect_customer_ids

        # the same stand-in as the records' ids, so the list still joins with the answers
        customers["customer_id"], _ = protect_customer_ids(
            customers["customer_id"].astype(object).where(customers["customer_id"].notna(), None),
            policy=ingest.customer_ids,
            salt=ingest.customer_id_salt,
        )
    return customers


def load_customers(settings: Settings) -> pd.DataFrame | None:
    """:func:`read_customers` with the path and options of one settings object (scripts, tests)."""
    return read_customers(settings.customers_path, settings.ingest)


# --- load ----------------------------------------------------------------------------------
def night_results(
    night: date, scored_units: pd.DataFrame, metrics: pd.DataFrame, priorities: pd.DataFrame, alerts: pd.DataFrame
) -> tuple[pd.DataFrame, NightRows, NightRows, NightRows]:
    """The night's results as the store keeps them; rerunning a night replaces them (idempotent)."""
    return (
        scored_units[["unit_id", "sentiment", "sentiment_label"]],
        NightRows(night, metrics),
        NightRows(night, priorities),
        NightRows(night, alerts),
    )


def record_scores(records: pd.DataFrame, sentiment_info: dict[str, Any]) -> pd.DataFrame:
    """Each record's latest sentiment and cues, with the head that scored it."""
    return records[["record_id", "sentiment", "sentiment_label", "effort_cue", "churn_cue", "cue_text"]].assign(
        model=str(sentiment_info.get("used", "default"))
    )


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(frames, ignore_index=True)


def summary_json(**values: Any) -> str:
    return json.dumps(values, default=str, ensure_ascii=False)
