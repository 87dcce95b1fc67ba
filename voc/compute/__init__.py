"""Where the per-record and per-unit steps run: in this process or over partitions on Dask.

:func:`get_runner` turns the ``compute`` settings into a :class:`PartitionRunner`; the steps in
:mod:`voc.compute.partitioned` (embedding, sentiment, cues) and :func:`voc.ingest.ingest_source`
(parsing) hand it their partitions. Dask is imported only when a cluster is configured.
"""

from voc.compute.runners import DaskRunner, InProcess, PartitionRunner, close_runners, get_runner

__all__ = ["DaskRunner", "InProcess", "PartitionRunner", "close_runners", "get_runner"]
