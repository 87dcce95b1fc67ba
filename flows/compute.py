"""The night's partitions on the Dask cluster of the flow's task runner (``prefect-dask``'s ``DaskTaskRunner``).

With ``compute.cluster`` set, the ``voc-nightly`` flow runs under a ``DaskTaskRunner`` (a
``LocalCluster`` it starts and closes, or the scheduler at the address), and the ``compute`` node
hands the steps a runner on that task runner's cluster: each partition of ingest parsing,
embedding and sentiment runs on its workers. The steps themselves are the library's
(:mod:`voc.compute.partitioned`, :func:`voc.ingest.parse_chunk`); only this module knows Prefect.
Node tasks still run in the flow's process, which alone writes the store.
"""

from __future__ import annotations

from typing import Any

from voc.compute.runners import DaskRunner
from voc.config import ComputeSettings


def dask_task_runner(compute: ComputeSettings) -> Any:
    """The ``DaskTaskRunner`` the settings name, or None to keep Prefect's default runner.

    ``local`` starts a ``distributed.LocalCluster`` for the flow run and closes it after;
    an address connects to that scheduler (dask-kubernetes, dask-jobqueue, ``dask scheduler``).
    """
    if not compute.distributed:
        return None
    from prefect_dask import DaskTaskRunner

    if compute.cluster == "local":
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": compute.workers,
                "threads_per_worker": compute.threads_per_worker,
                "processes": compute.processes,
                "dashboard_address": None,
            }
        )
    return DaskTaskRunner(address=compute.cluster)


def flow_compute(compute: ComputeSettings) -> DaskRunner | None:
    """The partition runner of the running flow when it runs under a ``DaskTaskRunner``, else None.

    Partitions go to the task runner's cluster through its client (the ``get_dask_client``
    pattern of prefect-dask for parallel work inside a task) as plain Dask tasks: a Prefect task
    submitted from inside a node's task would carry that task's context, whose parameters hold
    the night's catalogue and its store connection, which cannot travel to a worker.
    """
    from prefect.context import FlowRunContext
    from prefect_dask import DaskTaskRunner

    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    if not isinstance(runner, DaskTaskRunner):
        return None
    return DaskRunner(runner.client, partition_size=compute.partition_size)
