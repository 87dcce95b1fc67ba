"""Map themes onto the CX taxonomy (areas, pillars, journey stages) and score each area in %.

Mapping: every category of ``taxonomy.yaml`` has short phrases in several languages. A theme's
vector (its ``centroid`` when the themes table has one, else the embedding of its label and
keywords) is compared with every phrase; a category's similarity is the mean cosine of its two
best phrases.
The confidence is the softmax of the category similarities divided by the file's
``temperature``: near 1 when one category clearly wins, near 1/k when all are alike. Below
``min_confidence`` or ``min_similarity`` the theme is put in ``"unmapped"`` instead of being
forced into a category.

Score per area/pillar (:func:`score_cx_areas`): ``score_pct = 100 * non-negative mentions /
mentions with a sentiment``, over the mentions of the themes mapped to it, a mention being
non-negative when its sentiment is at least -0.15. It reads like the "percentage per area" of CX
maturity audits: the share of what customers say about the area that is not a complaint.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import yaml

from voc.impact._frames import NEGATIVE_BELOW
from voc.schemas import UNASSIGNED_THEME

log = logging.getLogger(__name__)

DEFAULT_TAXONOMY: Final = Path(__file__).with_name("taxonomy.yaml")
UNMAPPED: Final = "unmapped"
#: A category's similarity is the mean over its best this-many phrases.
TOP_PHRASES: Final = 2
#: Output column names per taxonomy dimension: (category column, confidence column).
DIMENSION_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "area": ("area", "area_confidence"),
    "pillar": ("pillar", "pillar_confidence"),
    "journey_stage": ("journey_stage", "journey_confidence"),
}
MAP_COLUMNS: Final[tuple[str, ...]] = ("theme_id",) + tuple(c for pair in DIMENSION_COLUMNS.values() for c in pair)
SCORE_COLUMNS: Final[tuple[str, ...]] = ("level", "name", "score_pct", "n_themes", "n_mentions")


@dataclass(frozen=True)
class Taxonomy:
    """Parsed taxonomy file: per dimension, category names and their phrases."""

    categories: dict[str, list[tuple[str, list[str]]]]
    temperature: float
    min_confidence: float
    min_similarity: float


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy YAML file (default: the one shipped next to this module).

    Raises
    ------
    ValueError
        Naming the file and the dimension or category at fault.
    """
    path = Path(path or DEFAULT_TAXONOMY)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    dims = data.get("dimensions") or {}
    missing = [d for d in DIMENSION_COLUMNS if d not in dims]
    if missing:
        raise ValueError(f"{path}: missing dimension(s) {missing} under 'dimensions'")
    categories: dict[str, list[tuple[str, list[str]]]] = {}
    for dim in DIMENSION_COLUMNS:
        entries = []
        for i, cat in enumerate(dims[dim] or []):
            name = cat.get("name") if isinstance(cat, dict) else None
            phrases = (
                [str(p) for per_lang in (cat.get("phrases") or {}).values() for p in (per_lang or [])] if name else []
            )
            if not name or not phrases:
                raise ValueError(f"{path}: dimensions.{dim}[{i}] needs a 'name' and at least one phrase")
            entries.append((str(name), phrases))
        categories[dim] = entries
    opts = data.get("settings") or {}
    return Taxonomy(
        categories=categories,
        temperature=float(opts.get("temperature", 0.02)),
        min_confidence=float(opts.get("min_confidence", 0.3)),
        min_similarity=float(opts.get("min_similarity", 0.78)),
    )


def theme_texts(themes: pd.DataFrame) -> list[str]:
    """ "label: kw1, kw2, ..." per theme, keywords of all languages (JSON {lang: [kw]})."""
    texts = []
    for label, keywords in zip(themes["label"], themes.get("keywords", pd.Series([None] * len(themes)))):
        words: list[str] = []
        if isinstance(keywords, str) and keywords.strip():
            try:
                parsed = json.loads(keywords)
            except json.JSONDecodeError:
                parsed = [keywords]
            items = parsed.values() if isinstance(parsed, dict) else [parsed]
            for item in items:
                words.extend(str(w) for w in (item if isinstance(item, list) else [item]))
        texts.append(f"{label}: {', '.join(dict.fromkeys(words))}" if words else str(label))
    return texts


def _theme_vectors(themes: pd.DataFrame, embedder) -> np.ndarray:
    """(n_themes, dim) unit vectors: centroids when every theme has one, else embedded text."""
    if "centroid" in themes and themes["centroid"].map(lambda v: v is not None and np.size(v) > 1).all():
        vectors = np.vstack([np.asarray(v, dtype=np.float32) for v in themes["centroid"]])
    else:
        vectors = np.asarray(embedder.encode(theme_texts(themes)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def classify(
    vectors: np.ndarray,
    phrase_vectors: np.ndarray,
    phrase_category: np.ndarray,
    n_categories: int,
    *,
    temperature: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best category, its confidence and its similarity per row.

    Parameters
    ----------
    vectors : (n, d) unit rows; phrase_vectors : (m, d) unit rows; phrase_category : (m,) int in [0, k).

    Returns
    -------
    best : (n,) int, confidence : (n,) float in (0, 1], similarity : (n,) float.
    """
    sims = vectors @ phrase_vectors.T
    per_cat = np.full((len(vectors), n_categories), -np.inf, dtype=np.float64)
    for k in range(n_categories):
        # mean of the two best phrases: one accidental near-match does not decide a category
        best_two = np.sort(sims[:, phrase_category == k], axis=1)[:, -TOP_PHRASES:]
        per_cat[:, k] = best_two.mean(axis=1)
    logits = (per_cat - per_cat.max(axis=1, keepdims=True)) / temperature
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    best = per_cat.argmax(axis=1)
    rows = np.arange(len(vectors))
    return best, probs[rows, best], per_cat[rows, best]


#: In-process cache of phrase vectors: (model id, phrases digest) -> (m, d) array.
_PHRASE_VECTORS: dict[tuple[str, str], np.ndarray] = {}


def phrase_vectors(phrases: list[str], embedder, *, cache_dir: Path) -> np.ndarray:
    """(m, d) vectors of the taxonomy phrases, cached in memory and on disk per model.

    The phrases change only when the file is edited, while embedding a few hundred of them costs
    seconds to a minute on a busy CPU, so they are embedded once per model and file content, in
    ``cache_dir`` (the settings' ``cache_dir``). A cache that cannot be written is skipped
    silently (it is only a speed-up).
    """
    model_id = str(getattr(embedder, "model_id", type(embedder).__name__))
    digest = hashlib.sha1(("\x1f".join(phrases) + "\x1e" + model_id).encode("utf-8")).hexdigest()[:20]
    key = (model_id, digest)
    if key in _PHRASE_VECTORS:
        return _PHRASE_VECTORS[key]
    file = Path(cache_dir) / f"taxonomy-{digest}.npy"
    vectors = None
    if file.exists():
        try:
            vectors = np.load(file)
        except (OSError, ValueError):
            vectors = None
    if vectors is None or len(vectors) != len(phrases):
        vectors = np.asarray(embedder.encode(phrases), dtype=np.float32)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            np.save(file, vectors)
        except OSError:
            log.debug("taxonomy phrase cache not writable: %s", file)
    _PHRASE_VECTORS[key] = vectors
    return vectors


def map_taxonomy(
    themes: pd.DataFrame, *, taxonomy_path: Path | None = None, embedder=None, cache_dir: Path | None = None
) -> pd.DataFrame:
    """Map each theme to an area, a pillar and a journey stage, with confidences.

    Parameters
    ----------
    themes : DataFrame
        ``theme_id``, ``label``, optional ``keywords`` (JSON) and ``centroid`` (arrays of the
        embedder's dimension). The unassigned id -1 is skipped.
    taxonomy_path : Path, optional
        An edited taxonomy file; the shipped ``taxonomy.yaml`` by default.
    embedder : optional
        Anything with ``encode(texts) -> (n, d)``; :func:`voc.embed.get_embedder` by default. It must
        be the model the centroids come from.
    cache_dir : Path, optional
        Where the phrase vectors are kept between runs: the settings' ``cache_dir``
        (:func:`voc.config.default_cache_dir`, which honours ``VOC_CACHE_DIR``, when None).

    Returns
    -------
    DataFrame with :data:`MAP_COLUMNS`; a category is ``"unmapped"`` when its confidence is below the
    file's ``min_confidence`` or its similarity below ``min_similarity``.
    """
    taxonomy = load_taxonomy(taxonomy_path)
    themes = themes.loc[themes["theme_id"].astype(int) != UNASSIGNED_THEME].reset_index(drop=True)
    out = pd.DataFrame({"theme_id": themes["theme_id"].astype(int)})
    if themes.empty:
        return out.reindex(columns=MAP_COLUMNS)
    if embedder is None:
        from voc.embed import get_embedder

        embedder = get_embedder()
    vectors = _theme_vectors(themes, embedder)
    all_phrases = [p for dim in DIMENSION_COLUMNS for _, ps in taxonomy.categories[dim] for p in ps]
    if cache_dir is None:
        from voc.config import default_cache_dir

        cache_dir = default_cache_dir()
    all_vectors = phrase_vectors(all_phrases, embedder, cache_dir=cache_dir)
    start = 0
    for dim, (col, conf_col) in DIMENSION_COLUMNS.items():
        names = [name for name, _ in taxonomy.categories[dim]]
        owner = np.array([k for k, (_, ps) in enumerate(taxonomy.categories[dim]) for _ in ps])
        dim_vectors, start = all_vectors[start : start + len(owner)], start + len(owner)
        best, confidence, similarity = classify(
            vectors, dim_vectors, owner, len(names), temperature=taxonomy.temperature
        )
        mapped = (confidence >= taxonomy.min_confidence) & (similarity >= taxonomy.min_similarity)
        out[col] = np.where(mapped, np.array(names, dtype=object)[best], UNMAPPED)
        out[conf_col] = confidence.round(4)
    return out[list(MAP_COLUMNS)]


def score_cx_areas(theme_map: pd.DataFrame, record_themes: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Percentage score per area, pillar and journey stage (definition in the module docstring).

    Parameters
    ----------
    theme_map : DataFrame from :func:`map_taxonomy`.
    record_themes : DataFrame with ``record_id``, ``theme_id``, ``sentiment``.
    records : DataFrame; only mentions of these records count (the reporting period).

    Returns
    -------
    DataFrame with :data:`SCORE_COLUMNS`; ``level`` is "area", "pillar" or "journey_stage"; every
    category of the map appears, with NaN ``score_pct`` when it has no mention with a sentiment.
    """
    mentions = record_themes.loc[record_themes["record_id"].isin(set(records["record_id"]))]
    mentions = mentions.assign(theme_id=mentions["theme_id"].astype(int)).merge(theme_map, on="theme_id", how="inner")
    rows = []
    for level, col in (("area", "area"), ("pillar", "pillar"), ("journey_stage", "journey_stage")):
        for name in sorted(set(theme_map[col].dropna()) - {UNMAPPED}):
            part = mentions.loc[mentions[col] == name, "sentiment"] if not mentions.empty else pd.Series(dtype=float)
            rated = part.dropna()
            rows.append(
                {
                    "level": level,
                    "name": name,
                    "score_pct": 100.0 * float((rated >= NEGATIVE_BELOW).mean()) if len(rated) else np.nan,
                    "n_themes": int((theme_map[col] == name).sum()),
                    "n_mentions": int(len(part)),
                }
            )
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
