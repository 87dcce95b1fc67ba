"""Partition runners: run one function over a stream of partitions, here or on Dask workers.

A step that is the same function of each record or unit (parsing a chunk of input, embedding a
batch of texts, scoring a block of vectors) hands its partitions to a runner and gets the results
back in order. The in-process runner is a loop; :class:`DaskRunner` submits to a Dask cluster
with at most a few partitions per worker in flight, so the memory the caller holds is bounded by
the window, not by the input. Workers only compute: they return arrays and frames, and the
process running the night is the only one that writes the store.
"""

from __future__ import annotations

import atexit
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from voc.config import ComputeSettings
from voc.errors import InputError, TransientError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: partitions in flight per worker: one running, one queued behind it, so no worker waits
IN_FLIGHT_PER_WORKER = 2


@runtime_checkable
class PartitionRunner(Protocol):
    """Runs a function over partitions and yields the results in the partitions' order.

    ``workers`` is how many partitions run at once; ``partition_size`` the rows per partition the
    steps cut their inputs into; ``distributed`` whether partitions leave this process.
    """

    partition_size: int
    distributed: bool

    @property
    def workers(self) -> int:
        """How many partitions run at once."""
        ...

    def imap(
        self, fn: Callable[[T], R], parts: Iterable[T], *, resources: Mapping[str, float] | None = None
    ) -> Iterator[R]:
        """``fn(part)`` for each part, in order; ``resources`` are the Dask worker resources it needs."""
        ...


class InProcess:
    """Every partition in this process, one after another (``compute.cluster: none``)."""

    distributed = False
    workers = 1

    def __init__(self, *, partition_size: int = 2_000) -> None:
        self.partition_size = partition_size

    def imap(
        self, fn: Callable[[T], R], parts: Iterable[T], *, resources: Mapping[str, float] | None = None
    ) -> Iterator[R]:
        for part in parts:
            yield fn(part)

    def __repr__(self) -> str:
        return "InProcess()"


class DaskRunner:
    """Partitions as tasks of a :class:`distributed.Client`, a bounded window of them in flight.

    Parameters
    ----------
    client : distributed.Client
    partition_size : int
        Rows per partition the steps cut their inputs into.
    cluster : distributed.LocalCluster, optional
        A cluster this runner started and closes with itself.
    """

    distributed = True

    def __init__(self, client: Any, *, partition_size: int, cluster: Any = None) -> None:
        self.client = client
        self.cluster = cluster
        self.partition_size = partition_size

    @property
    def workers(self) -> int:
        """Workers the scheduler knows now (at least one, so a window is never empty)."""
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def imap(
        self, fn: Callable[[T], R], parts: Iterable[T], *, resources: Mapping[str, float] | None = None
    ) -> Iterator[R]:
        resources = dict(resources or {}) or None
        if resources:
            check_resources(self.client, resources)
        window = IN_FLIGHT_PER_WORKER * self.workers
        pending: deque[Any] = deque()
        try:
            for part in parts:
                # scatter: a partition travels to a worker once, not inside the task's description
                [data] = self.client.scatter([part], hash=False)
                pending.append(self.client.submit(fn, data, resources=resources, pure=False))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # a failed partition or an abandoned caller: nothing left running
                future.cancel()

    def close(self) -> None:
        """Close the client, and the local cluster when this runner started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __repr__(self) -> str:
        return f"DaskRunner({self.client.scheduler.address if self.client.scheduler else '?'})"


def check_resources(client: Any, resources: Mapping[str, float]) -> None:
    """A task needing a resource no worker has would wait forever: say so instead.

    Raises
    ------
    InputError
        Naming the resources asked for and how to start a worker that offers them.
    """
    workers = client.scheduler_info().get("workers", {}).values()
    if not any(all(w.get("resources", {}).get(k, 0) >= v for k, v in resources.items()) for w in workers):
        raise InputError(
            f"compute.embed_resources asks for {dict(resources)} but no Dask worker offers it; "
            "start a worker with `dask worker ADDRESS --resources GPU=1` or clear the setting"
        )


_OPEN: dict[str, DaskRunner] = {}


def get_runner(settings: ComputeSettings | None = None) -> PartitionRunner:
    """The runner the settings name, opened once per process and reused by later nights.

    ``local`` starts a :class:`distributed.LocalCluster`; an address connects to the scheduler
    already running there. A warm cluster keeps each worker's encoder loaded between nights.

    Raises
    ------
    InputError
        When Dask is not installed (``pip install 'voc[dask]'``).
    TransientError
        When the scheduler at the address cannot be reached (it may come back: the flow retries).
    """
    settings = settings or ComputeSettings()
    if not settings.distributed:
        return InProcess(partition_size=settings.partition_size)
    key = settings.model_dump_json()
    runner = _OPEN.get(key)
    if runner is not None and runner.client.status == "running":
        return runner
    _OPEN[key] = runner = _open_dask(settings)
    return runner


def _open_dask(settings: ComputeSettings) -> DaskRunner:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise InputError(
            f"compute.cluster is {settings.cluster!r} but Dask is not installed: pip install 'voc[dask]'"
        ) from exc
    if settings.cluster == "local":
        cluster = LocalCluster(
            n_workers=settings.workers,
            threads_per_worker=settings.threads_per_worker,
            processes=settings.processes,
            dashboard_address=None,  # no web server on a nightly job; a real cluster has its own
        )
        log.info("dask LocalCluster started", extra={"workers": settings.workers, "processes": settings.processes})
        return DaskRunner(
            Client(cluster, set_as_default=False), partition_size=settings.partition_size, cluster=cluster
        )
    try:
        client = Client(settings.cluster, set_as_default=False, timeout="30s")
    except OSError as exc:
        raise TransientError(f"compute.cluster: no Dask scheduler reachable at {settings.cluster} ({exc})") from exc
    log.info("connected to dask scheduler", extra={"address": settings.cluster})
    return DaskRunner(client, partition_size=settings.partition_size)


@atexit.register
def close_runners() -> None:
    """Close every cluster and client this process opened (at exit, or between tests)."""
    while _OPEN:
        _, runner = _OPEN.popitem()
        try:
            runner.close()
        except Exception:  # closing at exit must not mask the run's own outcome
            log.debug("closing a dask runner failed", exc_info=True)
