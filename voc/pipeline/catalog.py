"""The data catalogue: every dataset a night reads or writes, by name, and how each is loaded and saved.

A node names its inputs and outputs; the runner asks the catalogue for each input
(:meth:`DataCatalog.load`) and hands it each output (:meth:`DataCatalog.save`). A name with a
registered dataset goes through that dataset (a DuckDB table today; a Parquet or PostgreSQL table
is another class with the same two methods); any other name is a value held in memory for the
rest of the run. Steps therefore never see the store: they are functions of DataFrames and typed
results.

:func:`nightly_catalog` is the one place that says which table backs which name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from voc.config import Settings
    from voc.pipeline.run_context import RunContext

#: Prefix of the entries that hold one section of the settings (``params:themes``, ...).
PARAMS = "params:"


@runtime_checkable
class Dataset(Protocol):
    """How one named dataset is loaded and saved (kedro's ``AbstractDataset``)."""

    def load(self) -> Any: ...

    def save(self, data: Any) -> None: ...


class DatasetError(KeyError):
    """A name with no dataset and no value, or a dataset that cannot do what was asked."""


class CachedDataset:
    """A dataset whose saved (or first loaded) value is kept for the rest of the run.

    Later nodes get exactly the object an earlier node produced (``units``), and a dataset read
    by several nodes (``theme_state``) is read once.
    """

    _EMPTY = object()

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self._value: Any = self._EMPTY

    def load(self) -> Any:
        if self._value is self._EMPTY:
            self._value = self.dataset.load()
        return self._value

    def save(self, data: Any) -> None:
        self.dataset.save(data)
        self._value = data

    def release(self) -> None:
        """Forget the held value (a later load reads the dataset again)."""
        self._value = self._EMPTY

    @property
    def held(self) -> bool:
        """Whether a value is held (saved or loaded this run)."""
        return self._value is not self._EMPTY

    def __repr__(self) -> str:
        return f"CachedDataset({self.dataset!r})"


class DataCatalog(Mapping[str, Any]):
    """Named datasets plus the values the run's nodes produced.

    Reading it as a mapping (``catalog[name]``) loads; :meth:`update` saves. That lets both the
    plain runner and the Prefect flow hand it to :class:`voc.pipeline.core.Node` unchanged.

    Parameters
    ----------
    datasets : mapping of str to Dataset, optional
        Names backed by storage.
    values : mapping of str to object, optional
        Names held in memory from the start (the run context, the settings sections).
    """

    def __init__(self, datasets: Mapping[str, Dataset] | None = None, values: Mapping[str, Any] | None = None):
        self.datasets: dict[str, Dataset] = dict(datasets or {})
        self.memory: dict[str, Any] = dict(values or {})
        overlap = set(self.datasets) & set(self.memory)
        if overlap:
            raise DatasetError(f"names both stored and held in memory: {sorted(overlap)}")

    # -- kedro's interface ----------------------------------------------------------------------
    def load(self, name: str) -> Any:
        """The value of ``name``: read from its dataset, or the one held in memory."""
        if name in self.datasets:
            return self.datasets[name].load()
        if name in self.memory:
            return self.memory[name]
        raise DatasetError(f"no dataset or value named {name!r} in the catalogue")

    def save(self, name: str, data: Any) -> None:
        """Write ``data`` to the dataset of ``name``, or hold it in memory when none is registered."""
        if name in self.datasets:
            self.datasets[name].save(data)
        else:
            self.memory[name] = data

    def exists(self, name: str) -> bool:
        return name in self.datasets or name in self.memory

    def add(self, name: str, dataset: Dataset) -> None:
        """Register another dataset (a step that keeps a new table)."""
        if name in self.memory:
            raise DatasetError(f"{name!r} already holds a value in memory")
        self.datasets[name] = dataset

    def release(self, name: str) -> None:
        """Forget the value ``name`` holds in memory, produced or cached (stored datasets keep what they saved)."""
        self.memory.pop(name, None)
        dataset = self.datasets.get(name)
        if isinstance(dataset, CachedDataset):
            dataset.release()

    def held(self) -> dict[str, Any]:
        """What the run holds in memory: produced values and cached datasets' values, by name.

        The run's result keeps this (no store handle needed to read it after the run).
        """
        cached = {n: d.load() for n, d in self.datasets.items() if isinstance(d, CachedDataset) and d.held}
        return {**self.memory, **cached}

    # -- the mapping the runners use -------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        return self.load(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.exists(name)

    def __iter__(self) -> Iterator[str]:
        yield from self.datasets
        yield from self.memory

    def __len__(self) -> int:
        return len(self.datasets) + len(self.memory)

    def update(self, produced: Mapping[str, Any]) -> None:
        """Save every produced output (the runner calls this after each node)."""
        for name, data in produced.items():
            self.save(name, data)

    def get(self, name: str, default: Any = None) -> Any:
        """A value held in memory (never a read from storage), else ``default``."""
        return self.held().get(name, default)

    def __repr__(self) -> str:
        return f"DataCatalog(datasets={sorted(self.datasets)}, values={sorted(self.memory)})"


def params_of(settings: Settings) -> dict[str, Any]:
    """``params:<section>`` for every field of the settings: each node asks only for what it uses."""
    return {f"{PARAMS}{name}": getattr(settings, name) for name in type(settings).model_fields}


def nightly_catalog(context: RunContext) -> DataCatalog:
    """The catalogue of one night: which table backs each name, and the run's values.

    | name | dataset | loads | saves |
    |---|---|---|---|
    | ``db.feedback`` | :class:`~voc.pipeline.datasets.FeedbackTable` | all stored records | new records and versions |
    | ``db.quarantine`` | :class:`~voc.pipeline.datasets.QuarantineTable` | the run's rejected rows | replaces them |
    | ``new_records`` | :class:`~voc.pipeline.datasets.RunRecords` (cached) | records this run stored | - |
    | ``last_record_date`` | :class:`~voc.pipeline.datasets.LastRecordDate` | newest record date | - |
    | ``night`` | :class:`~voc.pipeline.datasets.RunNight` (cached) | the run's night | moves the run's row |
    | ``units`` | :class:`~voc.pipeline.datasets.TableRows` ``units`` (cached) | stored units | adds new ones |
    | ``db.units`` | :class:`~voc.pipeline.datasets.TableRows` ``units`` | units earlier nights stored | - |
    | ``embedding_cache`` | :class:`~voc.pipeline.datasets.EmbeddingCacheTable` | a lookup/save handle | - |
    | ``theme_state`` | :class:`~voc.pipeline.datasets.ThemeRegistry` (cached) | ThemeState | - |
    | ``theme_changes`` | :class:`~voc.pipeline.datasets.ThemeRegistry` | - | ThemeChanges |
    | ``db.unit_scores``, ``db.record_scores`` | :class:`~voc.pipeline.datasets.TableRows` | all rows | upsert |
    | ``db.metrics``, ``db.priorities``, ``db.alerts`` | :class:`~voc.pipeline.datasets.NightTable` | all | a night |
    """
    from voc.pipeline.datasets import (
        EmbeddingCacheTable,
        FeedbackTable,
        LastRecordDate,
        NightTable,
        QuarantineTable,
        RunNight,
        RunRecords,
        TableRows,
        ThemeRegistry,
    )

    store, run_id = context.store, context.run_id
    datasets: dict[str, Dataset] = {
        # extract
        "db.feedback": FeedbackTable(store, run_id=run_id),
        "db.quarantine": QuarantineTable(store, run_id=run_id),
        "new_records": CachedDataset(RunRecords(store, run_id=run_id)),
        "last_record_date": LastRecordDate(store),
        "night": CachedDataset(RunNight(store, run_id=run_id, night=context.night)),
        # transform
        "units": CachedDataset(TableRows(store, "units", on_conflict="ignore")),
        "db.units": TableRows(store, "units", on_conflict="ignore"),
        "embedding_cache": EmbeddingCacheTable(store),
        "theme_state": CachedDataset(ThemeRegistry(store)),
        "theme_changes": ThemeRegistry(store),
        # load
        "db.unit_scores": TableRows(store, "unit_scores", on_conflict="replace"),
        "db.record_scores": TableRows(store, "record_scores", on_conflict="replace"),
        "db.metrics": NightTable(store, "metrics"),
        "db.priorities": NightTable(store, "priorities"),
        "db.alerts": NightTable(store, "alerts"),
    }
    return DataCatalog(datasets, context.values())
