"""The Prefect engine on a Dask cluster: partitions run on prefect-dask's DaskTaskRunner's workers."""

from __future__ import annotations

import pandas as pd
import pytest

from voc.config import ColumnMapping, ComputeSettings, SourceSettings, load_settings

pytest.importorskip("prefect_dask")
pytestmark = [pytest.mark.flow, pytest.mark.xdist_group("prefect")]

TWO_THREAD_WORKERS = {"cluster": "local", "workers": 2, "processes": False, "partition_size": 5}


def _export(tmp_path) -> SourceSettings:
    texts = ["Delivery was late again", "Die Lieferung kam zu spät", "ok", "Obsługa była bardzo miła"]
    frame = pd.DataFrame(
        {
            "comment": [f"{texts[i % 4]} ({i % 7})" if i % 4 != 2 else "ok" for i in range(33)],
            "nps": [str(i % 11) for i in range(33)],
            "cust": [f"c{i % 3}" for i in range(33)],
        }
    )
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    return SourceSettings(
        path=str(path), columns=ColumnMapping(text="comment", score="nps", score_type="nps", customer="cust")
    )


def test_a_node_task_sends_its_partitions_to_the_flows_dask_task_runner(prefect_api, tmp_path):
    import duckdb
    from prefect import flow
    from prefect_dask import DaskTaskRunner

    from flows.nightly import _as_task, nightly_flow
    from voc.compute import DaskRunner
    from voc.ingest import ingest_source
    from voc.pipeline import Node
    from voc.pipeline.nodes import open_compute, read_sources

    source = _export(tmp_path)
    settings = load_settings(compute=TWO_THREAD_WORKERS, ingest={"chunk_size": 4}, sources=[source.model_dump()])
    compute = Node("compute", open_compute, ("params:compute",), ("compute",))
    ingest = Node("ingest", read_sources, ("params:sources", "params:ingest", "night", "compute"), ("ingested",))
    cluster = {"n_workers": 2, "processes": False, "dashboard_address": None}

    @flow(name="voc-dask-check", task_runner=DaskTaskRunner(cluster_kwargs=cluster))
    def check():
        # as in a night: the node's task holds the catalogue, and the catalogue an open store
        catalog = {
            "settings": settings,
            "params:compute": settings.compute,
            "params:sources": settings.sources,
            "params:ingest": settings.ingest,
            "night": None,
            "store": duckdb.connect(),
        }
        catalog.update(_as_task(compute, catalog))
        workers = catalog["compute"].workers
        return type(catalog["compute"]), workers, _as_task(ingest, catalog)["ingested"].records

    kind, workers, on_dask = check()
    in_process = pd.concat([b.records for b in ingest_source(source, settings=settings.ingest)], ignore_index=True)
    assert kind is DaskRunner and workers == 2
    assert len(in_process) > 20
    pd.testing.assert_frame_equal(on_dask, in_process)
    # the engine and `voc serve` run the flow under the runner the settings name
    assert isinstance(nightly_flow(settings).task_runner, DaskTaskRunner)
    assert not isinstance(nightly_flow(load_settings()).task_runner, DaskTaskRunner)


def test_without_a_dask_task_runner_the_compute_node_runs_as_a_task(prefect_api):
    from prefect import flow

    from flows.nightly import _as_task
    from voc.compute import InProcess
    from voc.pipeline import Node
    from voc.pipeline.nodes import open_compute

    settings = load_settings()
    node = Node("compute", open_compute, ("params:compute",), ("compute",))

    @flow(name="voc-compute-check")
    def check():
        return _as_task(node, {"settings": settings, "params:compute": ComputeSettings()})["compute"]

    assert isinstance(check(), InProcess)


@pytest.mark.slow
def test_a_night_on_dask_equals_the_night_in_process(prefect_api, tmp_path):
    """The whole night through the flow on two Dask workers, next to the plain engine: same results."""
    from flows.nightly import nightly_flow
    from voc.demo import demo_settings, prepare_demo
    from voc.pipeline import run_pipeline

    night, sample = prepare_demo(tmp_path / "sample", n_records=500, seed=4)
    plain = run_pipeline(demo_settings(sample, tmp_path / "plain"), night=night)
    settings = demo_settings(sample, tmp_path / "dask").model_copy(
        update={"compute": ComputeSettings(**TWO_THREAD_WORKERS)}
    )
    nightly_flow(settings)(settings=settings.model_dump(mode="json"), night=night, out_dir=str(tmp_path / "dask"))
    on_dask = pd.read_parquet(tmp_path / "dask" / "records.parquet")
    in_process = pd.read_parquet(tmp_path / "plain" / "records.parquet")
    assert len(on_dask) == len(plain.catalog["records"]) > 300
    key = ["record_id", "language", "sentiment_label", "theme_id", "effort_cue", "churn_cue"]
    pd.testing.assert_frame_equal(
        on_dask.sort_values("record_id")[key].reset_index(drop=True),
        in_process.sort_values("record_id")[key].reset_index(drop=True),
    )
    pd.testing.assert_series_equal(
        on_dask.sort_values("record_id")["sentiment"].reset_index(drop=True),
        in_process.sort_values("record_id")["sentiment"].reset_index(drop=True),
        atol=1e-4,
    )
