"""What a night reuses instead of recomputing: fingerprints of a step's inputs, and its outputs kept by them.

A night rerun with nothing new (the same records, settings and encoder) gives the same themes, so
every later step receives the same inputs and, being a pure function, would return the same
outputs. :func:`memoised` wraps such a step: it fingerprints the step's inputs (records,
embeddings, theme tables, its settings section, the encoder's id) together with the code that
computes it, and returns the outputs kept under that fingerprint when there are any, else
computes and keeps them. The rerun is cheap and idempotent: it hands on exactly what the first run
computed, and a changed record, setting, encoder or source file changes the fingerprint and
computes afresh.

Kept outputs are pickles under ``<cache_dir>/steps``, the user's own cache folder (read from
nowhere else), a few per step (:data:`KEEP_PER_STEP`). A cache that cannot be read or written is
skipped: it is only a speed-up.

:class:`CachedEncoder` gives steps that embed a few texts of their own (the taxonomy embeds its
themes' labels) the night's embedding cache, so a text is embedded once per encoder, not nightly.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from pydantic import BaseModel

from voc.embed.base import Embedder

log = logging.getLogger(__name__)

#: Kept outputs per step; older ones are removed (a rerun needs the newest, a revert the one before).
KEEP_PER_STEP: Final = 3
#: Folder under the settings' ``cache_dir`` where kept outputs go.
STEPS_FOLDER: Final = "steps"
#: Folder under the settings' ``cache_dir`` where parsed input blocks go (:class:`ParseCache`).
PARSED_FOLDER: Final = "ingest"
#: Parsed blocks of any source unused for this many days are removed (:class:`ParseCache`).
PARSED_KEEP_DAYS: Final = 14


class NotFingerprintable(TypeError):
    """An input whose content cannot be fingerprinted: the step is computed, never reused."""


def fingerprint(*values: Any) -> str:
    """A sha256 hex digest of the content of ``values``: equal content, equal digest.

    Understands DataFrames and Series (values, column names and dtypes, index), ndarrays, scalars,
    dates, paths, settings sections (pydantic models), dataclasses, mappings and sequences of these,
    and encoders (by ``model_id``: the vectors they give are a function of it).

    Raises
    ------
    NotFingerprintable
        For anything else (an open connection, an arbitrary object).
    """
    digest = hashlib.sha256()
    for value in values:
        _feed(digest, value)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    update = digest.update
    if value is None or isinstance(value, (bool, int, float, str, date, datetime, Path, np.generic)):
        update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, pd.DataFrame):
        update(f"frame{value.shape}{list(map(str, value.columns))}{list(map(_kind, value.dtypes))};".encode())
        _feed(digest, pd.Series(value.index.to_numpy()))
        for column in value.columns:
            _feed(digest, value[column])
    elif isinstance(value, pd.Series):
        update(f"series{len(value)}{_kind(value.dtype)};".encode())
        try:
            hashed = pd.util.hash_pandas_object(value, index=False).to_numpy()
        except TypeError:  # cells holding lists or arrays
            for cell in value.tolist():
                _feed(digest, cell)
        else:
            update(hashed.tobytes())
    elif isinstance(value, np.ndarray):
        update(f"array{value.shape}{value.dtype};".encode())
        if value.dtype == object:
            for cell in value.ravel().tolist():
                _feed(digest, cell)
        else:
            update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, BaseModel):
        update(f"{type(value).__name__}:{value.model_dump_json()};".encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        update(f"{type(value).__name__}(".encode())
        for item in dataclasses.fields(value):
            update(f"{item.name}=".encode())
            _feed(digest, getattr(value, item.name))
        update(b")")
    elif isinstance(value, dict):
        update(f"dict{len(value)}(".encode())
        for key, item in value.items():
            _feed(digest, key)
            _feed(digest, item)
        update(b")")
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        update(f"{type(value).__name__}{len(value)}(".encode())
        for item in items:
            _feed(digest, item)
        update(b")")
    elif isinstance(getattr(value, "model_id", None), str):
        update(f"encoder:{value.model_id};".encode())
    else:
        raise NotFingerprintable(f"cannot fingerprint a {type(value).__name__}")


def _kind(dtype: Any) -> str:
    """A dtype's name, text dtypes as one: a frame read back from the store holds the same strings as
    ``str`` where the night built them as ``object``, and a step sees no difference."""
    return "text" if pd.api.types.is_string_dtype(dtype) else str(dtype)


@functools.cache
def code_version() -> str:
    """A digest of the library's source files (path, size, modification time).

    Part of every step's fingerprint: outputs kept by an older version of the code are not reused.
    """
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".yaml", ".json"}:
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def memoised(
    step: Callable[..., Any], *, reads: Callable[..., Any] | None = None, with_cache_dir: bool = False
) -> Callable[..., Any]:
    """Wrap a pure step so that equal inputs return the outputs kept from an earlier run.

    The wrapped step takes one more, last, argument: the folder of kept outputs (the settings'
    ``cache_dir``, catalogue name ``cache_dir``). Its other arguments and result are the step's.

    Parameters
    ----------
    step : callable
        A pure function of its arguments (same arguments, same result).
    reads : callable, optional
        Called with the step's arguments, returns the parts of them the step reads (a step that
        reads only the tables of a larger value must not miss its kept outputs because a part it
        never reads changed); all arguments by default.
    with_cache_dir : bool
        Hand the folder on to the step as its last argument too (a step that keeps per-unit
        values of its own there, :func:`cached_per_unit`); it is never part of the fingerprint.

    Examples
    --------
    ``Node("metrics", memoised(nodes.measure_surveys), ("records", ..., "cache_dir"), ...)``
    """

    name = getattr(step, "__name__", type(step).__name__)
    qualified = f"{getattr(step, '__module__', '')}.{getattr(step, '__qualname__', name)}"

    @functools.wraps(step)
    def run(*args: Any) -> Any:
        *inputs, cache_dir = args
        call = (*inputs, cache_dir) if with_cache_dir else tuple(inputs)
        try:
            read = inputs if reads is None else reads(*inputs)
            key = fingerprint(code_version(), qualified, read)
        except NotFingerprintable as exc:
            log.debug("step %s computed (%s)", name, exc)
            return step(*call)
        folder = Path(cache_dir) / STEPS_FOLDER
        file = folder / f"{name}-{key[:32]}.pkl"
        kept = _read(file)
        if kept is not None:
            log.info("step %s reused (inputs unchanged)", name)
            return kept[0]
        result = step(*call)
        _write(file, result, prefix=f"{name}-")
        return result

    return run


def _read(file: Path) -> tuple[Any] | None:
    """The kept result as a one-tuple (a step may return None), or None when there is none."""
    try:
        with file.open("rb") as handle:
            kept = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
        return None
    os.utime(file)  # the newest used stays when older ones are pruned
    return (kept,)


def _write(file: Path, result: Any, *, prefix: str) -> None:
    try:
        _replace_pickled(file, result)
        _prune(file.parent, f"{prefix}*.pkl")
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.debug("kept outputs not written to %s: %s", file, exc)


def _replace(file: Path, dump: Callable[[Path], Any]) -> None:
    """Write ``file`` whole or not at all: ``dump`` writes a temporary file beside it, then it is renamed."""
    file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=file.parent, prefix=".tmp-", suffix=file.suffix, delete=False) as handle:
        temporary = Path(handle.name)
    try:
        dump(temporary)
        os.replace(temporary, file)
    finally:
        temporary.unlink(missing_ok=True)


def _replace_pickled(file: Path, value: Any) -> None:
    """:func:`_replace` with ``value`` pickled: kept step outputs and parsed blocks alike."""
    _replace(file, lambda path: path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))


def _prune(folder: Path, pattern: str, *, keep: int = KEEP_PER_STEP) -> None:
    """Remove all but the ``keep`` newest files of ``folder`` matching ``pattern``."""
    older = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for stale in older[keep:]:
        stale.unlink(missing_ok=True)


class CachedEncoder:
    """An encoder that looks texts up in the night's embedding cache and embeds only the misses.

    Parameters
    ----------
    embedder : Embedder
    lookup : callable(hashes, model_id) -> {hash: vector}
    save : callable(hashes, vectors, model_id)
        Usually the ``lookup`` and ``put`` of :class:`voc.pipeline.datasets.EmbeddingCache`.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        lookup: Callable[[list[str], str], Any],
        save: Callable[[list[str], np.ndarray, str], None],
    ) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dim = embedder.dim
        self._lookup, self._save = lookup, save

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows; texts seen before by this encoder come from the cache."""
        from voc.embed import embed_with_cache

        return embed_with_cache(list(texts), self.embedder, lookup=self._lookup, save=self._save)


class ParseCache:
    """Parsed blocks of input rows kept between nights (a :class:`voc.ingest.blocks.ParsedBlockCache`).

    A nightly export usually holds last night's rows plus a day's: their blocks parse to what
    they parsed to before, and ingest takes them from here instead of detecting languages and
    redacting them again. A block is kept under the fingerprint of its raw cells, row numbers,
    the reader's problems of its rows, the parse settings and the code version; a changed row,
    setting or version is parsed afresh. Once a source is read, its kept blocks this read did not
    use are removed, so the folder holds about one parse of each source, not one per night.

    Parameters
    ----------
    folder : Path
        Usually ``<cache_dir>/ingest``. A folder that cannot be read or written is skipped.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._used: dict[str, set[str]] = {}

    def get(self, block: pd.DataFrame, *, source: str, context: object) -> Any | None:
        file = self._file(block, source, context)
        kept = _read(file) if file is not None else None
        if file is None or kept is None:
            return None
        self._used.setdefault(source, set()).add(file.name)
        return kept[0]

    def put(self, block: pd.DataFrame, parsed: Any, *, source: str, context: object) -> None:
        file = self._file(block, source, context)
        if file is None:
            return
        try:
            _replace_pickled(file, parsed)
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            log.debug("parsed block not kept in %s: %s", file, exc)
            return
        self._used.setdefault(source, set()).add(file.name)

    def finish(self, source: str) -> None:
        used = self._used.pop(source, set())
        prefix = self._prefix(source)
        oldest = time.time() - PARSED_KEEP_DAYS * 86_400
        try:
            for kept in self.folder.glob("*.pkl"):
                mine = kept.name.startswith(f"{prefix}-")
                if (mine and kept.name not in used) or (not mine and kept.stat().st_mtime < oldest):
                    kept.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("stale parsed blocks not removed from %s: %s", self.folder, exc)

    @staticmethod
    def _prefix(source: str) -> str:
        return hashlib.sha256(source.encode()).hexdigest()[:16]

    def _file(self, block: pd.DataFrame, source: str, context: object) -> Path | None:
        try:
            key = fingerprint(code_version(), context, block, block.attrs.get("read_problems") or {})
        except NotFingerprintable as exc:
            log.debug("parsed block not kept (%s)", exc)
            return None
        return self.folder / f"{self._prefix(source)}-{key[:32]}.pkl"


#: Folder under ``cache_dir`` where per-unit values are kept (:func:`cached_per_unit`).
UNIT_VALUES_FOLDER: Final = "unit-values"


def cached_per_unit(
    compute: Callable[[pd.DataFrame], np.ndarray],
    units: pd.DataFrame,
    *,
    name: str,
    context: Any,
    cache_dir: Path | None,
) -> np.ndarray:
    """``compute(units)`` for a value that is a function of each unit's text and language alone.

    Why: a night's units are mostly the units of every earlier night, and a per-unit judgement
    (is it boilerplate, which catalogue issue does it match) does not change while its text,
    language, the ``context`` (settings, catalogue, encoder) and the code do. Kept values are
    looked up by (``text_hash``, ``language``); only units without one are computed, and the
    union is kept for the next night. Without a ``cache_dir``, or when the kept file cannot be
    read or written, everything is computed: the cache is only a speed-up.

    Parameters
    ----------
    compute : callable(DataFrame of m units) -> ndarray (m,)
    units : DataFrame with ``text_hash`` and ``language`` (n rows); records work alike
    name : the step's name, the kept file's prefix
    context : everything besides the unit the value depends on (fingerprinted)

    Returns
    -------
    ndarray (n,), the values in the units' order
    """

    def as_frame(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"value": np.asarray(compute(part))})

    return cached_rows_per_unit(as_frame, units, name=name, context=context, cache_dir=cache_dir)["value"].to_numpy()


def cached_rows_per_unit(
    compute: Callable[[pd.DataFrame], pd.DataFrame],
    units: pd.DataFrame,
    *,
    name: str,
    context: Any,
    cache_dir: Path | None,
) -> pd.DataFrame:
    """:func:`cached_per_unit` for several values per unit: ``compute`` returns a frame of m rows.

    Returns
    -------
    DataFrame (n rows, index 0..n-1) with ``compute``'s columns, in the units' order
    """
    if cache_dir is None or not len(units):
        return compute(units).reset_index(drop=True)
    try:
        key = fingerprint(code_version(), name, context)[:32]
    except NotFingerprintable as exc:
        log.debug("per-unit values of %s not kept (%s)", name, exc)
        return compute(units).reset_index(drop=True)
    file = Path(cache_dir) / UNIT_VALUES_FOLDER / f"{name}-{key}.parquet"
    keys = units["text_hash"].astype(str).str.cat(units["language"].astype(str), sep="|").to_numpy(dtype=object)
    try:
        kept = pd.read_parquet(file)
    except (OSError, ValueError, ImportError):
        kept = None
    position = pd.Index(kept["key"]).get_indexer(keys) if kept is not None else np.full(len(keys), -1)
    missing = np.flatnonzero(position < 0)
    if not len(missing):
        log.info("step %s reused for every unit", name)
    else:
        fresh = compute(units.iloc[missing]).reset_index(drop=True)
        added = fresh.assign(key=keys[missing]).drop_duplicates("key")
        kept = added if kept is None else pd.concat([kept, added], ignore_index=True)
        try:
            _replace(file, lambda path: kept.to_parquet(path, index=False))
            _prune(file.parent, f"{name}-*.parquet")
        except (OSError, ValueError, ImportError) as exc:
            log.debug("per-unit values not written to %s: %s", file, exc)
        position = pd.Index(kept["key"]).get_indexer(keys)
        log.info("step %s computed for %d of %d units", name, len(missing), len(units))
    return kept.drop(columns="key").iloc[position].reset_index(drop=True)
