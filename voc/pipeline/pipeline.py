"""The nightly pipeline, read top to bottom as extract, transform, load.

Only the node list lives here. A name in ``inputs``/``outputs`` is either a dataset of the data
catalogue (:func:`voc.pipeline.catalog.nightly_catalog`: ``db.*``, ``night``, ``units``,
``theme_state``, ``theme_changes``, ...) that the runner loads or saves, a value an earlier node
produced, or one section of the settings (``params:<section>``).
"""

from __future__ import annotations

from voc.pipeline import assemble, nodes
from voc.pipeline.core import Node
from voc.pipeline.fingerprint import memoised
from voc.pipeline.night import AnalysisClock, resolve_night
from voc.pipeline.nodes import empty_ingest
from voc.themes.pipeline import split_theme_levels

__all__ = ["ANALYSIS", "NIGHTLY", "RELEASED", "empty_ingest"]

NIGHTLY: tuple[Node, ...] = (
    Node("compute", nodes.open_compute, ("params:compute",), ("compute",), description="this process or Dask"),
    # extract
    Node(
        "ingest",
        nodes.read_sources,
        ("params:sources", "params:ingest", "night", "compute", "cache_dir"),
        ("ingested",),
        retries=2,
        description="read and clean sources",
    ),
    Node("store_records", nodes.offer_records, ("ingested",), ("db.feedback", "db.quarantine")),
    Node("count_stored", nodes.count_stored, ("ingested", "new_records"), ("ingested",)),
    Node(
        "resolve_night",
        resolve_night,
        ("night", "requested_night", "last_record_date"),
        ("night",),
        description="the night given, else the last day with data",
    ),
    Node("clock", AnalysisClock, ("night",), ("clock",), description="the night's one clock"),
    Node("load_history", nodes.window_history, ("db.feedback", "clock"), ("history",)),
    Node("load_customers", nodes.read_customers, ("params:customers_path", "params:ingest"), ("customers",), retries=2),
    # transform
    Node(
        "units",
        # a night splits only records no earlier night split, and a rerun reuses the whole split:
        # the stored units are what earlier nights derived from the same history
        memoised(nodes.build_units, reads=lambda history, themes, _stored: (history, themes.split_sentences)),
        ("history", "params:themes", "db.units", "cache_dir"),
        ("units",),
    ),
    Node("embedder", nodes.load_embedder, ("params:embedding",), ("embedder",), description="the night's one encoder"),
    Node(
        "embed",
        nodes.embed_units,
        ("units", "embedder", "embedding_cache", "params:progress", "compute", "params:embedding", "params:compute"),
        ("embeddings",),
    ),
    Node(
        "tone",
        # scored before the themes, so the vectors of all units can go before the theme fit
        memoised(nodes.score_tone, reads=nodes.score_tone_reads),
        ("history", "units", "embeddings", "embedder", "params:sentiment", "compute", "cache_dir"),
        ("tone", "sentiment_info"),
        description="sentiment of every unit and record",
    ),
    Node(
        "theme_units",
        nodes.content_units,
        ("units", "embeddings", "cache_dir"),
        ("theme_units", "theme_embeddings"),
    ),
    Node(
        "match_catalogue",
        nodes.match_catalogue,
        ("theme_units", "theme_embeddings", "embedder", "params:themes", "cache_dir"),
        ("catalogue_matches",),
        description="units matched to the catalogue of CX issues",
    ),
    Node(
        "fit_themes",
        nodes.fit_themes,
        (
            "theme_state",
            "theme_units",
            "theme_embeddings",
            "embedder",
            "catalogue_matches",
            "params:themes",
            "run_id",
            "clock",
            "refit",
            "history",
        ),
        ("theme_fit",),
        description="assign to the registry, refit on schedule",
    ),
    Node("curate_themes", nodes.curate_themes, ("theme_fit", "theme_state"), ("curated_themes",)),
    Node(
        "catalogue_names",
        nodes.catalogue_names,
        ("curated_themes", "catalogue_matches", "params:themes", "params:report", "theme_fit"),
        ("catalogue_names",),
        description="themes named after recurring CX issues",
    ),
    Node(
        "label_themes",
        nodes.label_themes,
        ("curated_themes", "theme_fit", "theme_units", "catalogue_names", "params:themes", "params:report"),
        ("labelled_themes",),
    ),
    Node(
        "settle_themes",
        nodes.settle_themes,
        ("labelled_themes", "curated_themes", "theme_fit", "theme_units", "run_id", "params:themes", "history"),
        ("theme_update", "theme_changes"),
    ),
    Node("theme_table", split_theme_levels, ("theme_update",), ("themes", "theme_hierarchy")),
    Node(
        "sentiment",
        # a rerun reuses unchanged steps
        memoised(nodes.score_feedback, reads=nodes.score_feedback_reads, with_cache_dir=True),
        ("history", "units", "tone", "theme_update", "compute", "cache_dir"),
        ("records", "scored_units", "record_themes"),
    ),
    Node(
        "metrics",
        memoised(nodes.measure_surveys),
        ("records", "record_themes", "params:metrics", "cache_dir"),
        ("metrics", "drivers", "volumes"),
    ),
    Node(
        "taxonomy",
        memoised(nodes.map_cx_taxonomy, reads=lambda *inputs: inputs[:5]),
        ("themes", "record_themes", "records", "embedder", "cache_dir", "embedding_cache", "cache_dir"),
        ("theme_map", "cx_scores"),
    ),
    Node(
        "priorities",
        memoised(nodes.rank_issues),
        ("records", "record_themes", "themes", "drivers", "params:impact", "clock", "cache_dir"),
        ("priorities",),
    ),
    Node(
        "signals",
        memoised(nodes.find_unsaid),
        ("records", "record_themes", "themes", "drivers", "customers", "params:impact", "clock", "cache_dir"),
        ("signals",),
    ),
    Node(
        "alerts",
        nodes.raise_alerts,
        ("db.alerts", "records", "record_themes", "themes", "params:alerts", "clock"),
        ("raw_alerts",),
    ),
    Node("deliver_alerts", nodes.deliver_alerts, ("raw_alerts", "params:alerts"), ("alerts",), retries=1),
    # load
    Node(
        "persist",
        nodes.night_results,
        ("night", "scored_units", "metrics", "priorities", "alerts"),
        ("db.unit_scores", "db.metrics", "db.priorities", "db.alerts"),
    ),
    Node("persist_scores", nodes.record_scores, ("records", "sentiment_info"), ("db.record_scores",)),
    Node("previous", assemble.previous_priorities, ("db.priorities", "night"), ("previous_priorities",)),
    Node(
        "run_info",
        assemble.run_info,
        ("run_id", "night", "new_records", "ingested", "params:embedding", "theme_update", "sentiment_info"),
        ("run_info",),
    ),
    Node(
        "results",
        assemble.gather_results,
        (
            "records",
            "themes",
            "theme_hierarchy",
            "theme_map",
            "record_themes",
            "priorities",
            "metrics",
            "volumes",
            "alerts",
            "cx_scores",
            "signals",
        ),
        ("results",),
    ),
    Node(
        "context",
        assemble.build_report_context,
        ("run_info", "results", "ingested", "theme_update", "previous_priorities"),
        ("context",),
    ),
    Node(
        "outputs",
        assemble.write_run_outputs,
        ("out_dir", "context", "results", "ingested", "params:export_sql_url", "params:export_sql_table"),
        ("paths",),
        retries=1,
    ),
)


#: Intermediate values dropped once their last reader has run (``run_pipeline(keep=...)`` holds
#: some to the end): the vectors of all units (0.5 GB at 10^5 records) are read by no step after
#: ``theme_units``, as ``tone`` scores them first, so they are gone before the theme fit makes its
#: own copies; the theme step's views by none after ``settle_themes``; units and tone by none
#: after ``sentiment``.
RELEASED: frozenset[str] = frozenset(
    {
        "history",
        "units",
        "tone",
        "embeddings",
        "theme_units",
        "theme_embeddings",
        "catalogue_matches",
        "theme_fit",
        "curated_themes",
        "labelled_themes",
    }
)

#: Everything after ingest: re-analyse what the store holds (``voc report``/``voc export``); such a
#: run stores no record, so its ``new_records`` are empty.
ANALYSIS: tuple[Node, ...] = tuple(
    node for node in NIGHTLY if node.name not in {"ingest", "store_records", "count_stored"}
)
