"""A pipeline is data: named nodes with named inputs and outputs, run by interchangeable runners.

The plain runner here (used by the library and tests) and the Prefect flow in ``flows/nightly.py``
run the same :data:`voc.pipeline.pipeline.NIGHTLY` nodes in the same order; they differ only in how a
node is wrapped (a function call, or a Prefect task with retries and a run page).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voc.pipeline.catalog import DataCatalog

log = logging.getLogger(__name__)

#: How an orchestrator runs one node over the catalogue and returns its named outputs. The
#: catalogue is typed loosely here because orchestrators (``flows/nightly.py``) type it as the
#: mapping they read (``catalog["settings"]``); :class:`~voc.pipeline.catalog.DataCatalog` is one.
NodeCall = Callable[["Node", Any], dict[str, Any]]


@dataclass(frozen=True)
class Node:
    """One step: ``outputs = func(*[catalog[name] for name in inputs])``.

    Inputs are passed in the order named (as kedro does), so a catalogue name such as
    ``params:themes`` or ``db.alerts`` feeds a parameter with a plain name.
    ``retries`` applies to steps that touch I/O (reading sources, delivering alerts); computing
    steps are deterministic and retrying them only hides bugs.
    """

    name: str
    func: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...] = ()
    retries: int = 0
    description: str = ""

    def __call__(self, catalog: Mapping[str, Any]) -> dict[str, Any]:
        missing = [name for name in self.inputs if name not in catalog]
        if missing:
            raise KeyError(f"node {self.name!r} needs {missing}, which no earlier node produced")
        return self.bind(self.func(*[catalog[name] for name in self.inputs]))

    def bind(self, result: Any) -> dict[str, Any]:
        """Name a function result by ``outputs`` (a tuple result is spread over several names)."""
        if not self.outputs:
            return {}
        if len(self.outputs) == 1:
            return {self.outputs[0]: result}
        if not isinstance(result, tuple) or len(result) != len(self.outputs):
            raise TypeError(f"node {self.name!r} must return {len(self.outputs)} values {self.outputs}")
        return dict(zip(self.outputs, result))


def output_counts(node: Node, produced: Mapping[str, Any]) -> dict[str, int]:
    """Rows (or items) of each output of ``node``, for its one log line."""
    counts: dict[str, int] = {}
    for name in node.outputs:
        value: Any = produced.get(name)
        value = getattr(value, "rows", value)  # one night's rows of a results table
        if hasattr(value, "records") and hasattr(value, "quarantine"):  # an ingest result
            counts[f"{name}_records"], counts[f"{name}_quarantined"] = len(value.records), len(value.quarantine)
        elif hasattr(value, "themes") and hasattr(value, "units"):  # a theme update
            counts[f"{name}_themes"] = len(value.themes)
        elif hasattr(value, "shape") and getattr(value, "ndim", 0) >= 1:
            counts[name] = int(value.shape[0])
        elif isinstance(value, (list, tuple, dict)) and not isinstance(value, str):
            counts[name] = len(value)
    return counts


@dataclass
class RunTimings:
    """Seconds per node, for the run summary and the speed benchmark."""

    seconds: dict[str, float] = field(default_factory=dict)


def run_nodes(
    nodes: Iterable[Node],
    catalog: DataCatalog | dict[str, Any],
    *,
    on_start: Callable[[Node], None] | None = None,
    on_end: Callable[[Node, float], None] | None = None,
    call: NodeCall | None = None,
    contracts: Mapping[str, tuple[str, ...]] | None = None,
    release: Collection[str] = (),
) -> DataCatalog:
    """Run ``nodes`` in order over ``catalog`` (updated in place and returned).

    Each node's inputs are loaded from the catalogue and its outputs saved to it
    (:class:`voc.pipeline.catalog.DataCatalog`; a plain dict is held in memory).
    ``call(node, catalog)`` runs one node; orchestrators pass their own (the Prefect flow wraps
    each node in a task) while the order and the data passed stay defined here once.
    ``contracts`` (default :data:`voc.schemas.BOUNDARY_COLUMNS`) names the columns each output
    table must have; a node that breaks one stops the run with a :class:`voc.schemas.SchemaError`.
    Values named in ``release`` are dropped from memory once the last node reading them has run
    (as kedro releases datasets): intermediate results as large as the night's vectors need not
    be held through every later step.
    """
    from voc.pipeline.catalog import DataCatalog
    from voc.schemas import BOUNDARY_COLUMNS, check_columns

    if not isinstance(catalog, DataCatalog):
        catalog = DataCatalog(values=catalog)
    contracts = BOUNDARY_COLUMNS if contracts is None else contracts
    nodes = list(nodes)
    last_reader = {name: i for i, node in enumerate(nodes) for name in node.inputs if name in release}
    timings = catalog.get("timings")
    if not isinstance(timings, RunTimings):
        timings = RunTimings()
        catalog.save("timings", timings)
    for index, node in enumerate(nodes):
        if on_start:
            on_start(node)
        started = time.perf_counter()
        produced = call(node, catalog) if call else node(catalog)
        for name, value in produced.items():
            if name in contracts:
                check_columns(value, contracts[name], table=name, step=node.name)
        catalog.update(produced)
        elapsed = time.perf_counter() - started
        timings.seconds[node.name] = elapsed
        log.info(
            "step=%s seconds=%.2f%s",
            node.name,
            elapsed,
            "".join(f" {k}={v}" for k, v in output_counts(node, produced).items()),
        )
        if on_end:
            on_end(node, elapsed)
        for name in [n for n, last in last_reader.items() if last == index]:
            catalog.release(name)
    return catalog
