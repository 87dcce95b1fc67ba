"""The nightly pipeline as data (nodes) plus a plain runner; ``flows/`` runs the same nodes in Prefect."""

from voc.pipeline.core import Node, run_nodes
from voc.pipeline.pipeline import NIGHTLY
from voc.pipeline.runner import RunResult, run_pipeline

__all__ = ["NIGHTLY", "Node", "RunResult", "run_nodes", "run_pipeline"]
