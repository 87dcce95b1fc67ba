"""Write a night's deliverables: records/themes Parquet, the HTML report and the priority exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from voc.schemas import RECORD_COLUMNS, THEME_COLUMNS

if TYPE_CHECKING:
    from voc.report import ReportContext

#: records.parquet column order: the contract's columns first, the mapped input columns after.
RECORD_OUTPUT_FIRST = (
    "record_id",
    "source",
    "language",
    "text",
    "theme_id",
    "theme_label",
    "sentiment",
    "sentiment_label",
)


def records_output(records: pd.DataFrame) -> pd.DataFrame:
    """records.parquet: the contract's columns, then every mapped input column, then the cues.

    ``extra`` (further segment columns) is expanded into columns of their own, so a user finds the
    columns they mapped under their own names.
    """
    rest = [c for c in RECORD_COLUMNS if c not in RECORD_OUTPUT_FIRST and c != "extra"]
    cues = [c for c in ("effort_cue", "churn_cue", "cue_text") if c in records.columns]
    out = records[list(RECORD_OUTPUT_FIRST) + rest + cues].copy()
    extras = records["extra"].fillna("{}").map(json.loads) if "extra" in records else pd.Series(dtype=object)
    extra_frame = pd.DataFrame(list(extras), index=records.index) if len(extras) else pd.DataFrame(index=records.index)
    for column in extra_frame.columns:
        if column not in out.columns:
            out[column] = extra_frame[column].astype("string")
    out["theme_id"] = out["theme_id"].astype("int64")
    out["sentiment"] = out["sentiment"].astype("float64")
    return out.sort_values(["created_at", "record_id"], kind="stable").reset_index(drop=True)


def themes_output(themes: pd.DataFrame, theme_map: pd.DataFrame | None, priorities: pd.DataFrame) -> pd.DataFrame:
    """themes.parquet: the registry's view plus CX mapping and the night's rank."""
    out = themes[[c for c in (*THEME_COLUMNS, "level") if c in themes.columns]].copy()
    if theme_map is not None and not theme_map.empty:
        out = out.merge(theme_map, on="theme_id", how="left")
    if not priorities.empty:
        out = out.merge(priorities[["theme_id", "rank", "priority_score", "why"]], on="theme_id", how="left")
    return out.sort_values("theme_id").reset_index(drop=True)


def theme_positions(themes: pd.DataFrame, centroids: dict[int, np.ndarray] | None) -> pd.DataFrame:
    """2-D positions for the intertopic map: PCA of theme centroids (cheap and deterministic)."""
    if not centroids or len(centroids) < 3:
        return themes.assign(x=np.nan, y=np.nan)
    ids = [t for t in themes["theme_id"] if t in centroids]
    matrix = np.vstack([centroids[t] for t in ids])
    centred = matrix - matrix.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    pos = pd.DataFrame({"theme_id": ids, "x": coords[:, 0], "y": coords[:, 1]})
    return themes.merge(pos, on="theme_id", how="left")


def write_outputs(
    out_dir: Path,
    *,
    context: ReportContext,
    records: pd.DataFrame,
    themes: pd.DataFrame,
    quarantine: pd.DataFrame,
    sql_url: str | None = None,
    sql_table: str = "voc_priorities",
) -> dict[str, Path]:
    """Write every file of the output contract into ``out_dir`` and return their paths."""
    from voc.report import write_exports, write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    paths["records"] = out_dir / "records.parquet"
    records.to_parquet(paths["records"], index=False)
    paths["themes"] = out_dir / "themes.parquet"
    _parquet_safe(themes).to_parquet(paths["themes"], index=False)
    quarantine_file = out_dir / "quarantine.csv"
    if not quarantine.empty:
        from voc.report.exports import guard_formulas

        guard_formulas(quarantine).to_csv(quarantine_file, index=False, encoding="utf-8-sig")
        paths["quarantine"] = quarantine_file
    elif quarantine_file.exists():
        quarantine_file.unlink()  # a stale file from an earlier night would mislead
    paths.update(write_exports(context, out_dir, sql_url=sql_url, sql_table=sql_table))
    paths["report"] = write_report(context, out_dir / "report.html")
    return paths


def write_mentions(out_dir: Path, record_themes: pd.DataFrame) -> Path:
    """mentions.parquet: every (record, theme) mention of the night, so readers need not open the store.

    Analysts' notebooks compute drivers from it; reading the night's files instead of the live
    DuckDB file means a reader never holds the lock the next night needs.
    """
    path = Path(out_dir) / "mentions.parquet"
    columns = [
        c
        for c in ("record_id", "theme_id", "is_primary", "n_units", "similarity", "sentiment")
        if c in record_themes.columns
    ]
    record_themes[columns].sort_values(["record_id", "theme_id"]).reset_index(drop=True).to_parquet(path, index=False)
    return path


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop array-valued columns (centroids) that belong in the store, not in an analyst's file."""
    keep = [
        c
        for c in frame.columns
        if not (frame[c].dtype == object and len(frame) and isinstance(frame[c].iloc[0], np.ndarray))
    ]
    return frame[keep]
