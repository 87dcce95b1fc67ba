"""The per-record and per-unit steps on a two-worker Dask LocalCluster give what they give in process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.config import ColumnMapping, ComputeSettings, EmbeddingSettings, IngestSettings, SourceSettings

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """Two workers as threads of this process: no start-up of processes, real scheduling."""
    from voc.compute import close_runners, get_runner

    runner = get_runner(ComputeSettings(cluster="local", workers=2, processes=False, partition_size=7))
    yield runner
    close_runners()


def _export(tmp_path, n: int = 64):
    """A CSV with what crosses chunk borders: repeats of earlier rows, a reused id, short texts, bad rows."""
    rows = []
    for i in range(n):
        text = [
            f"The delivery of order {i % 9} came late and the box was damaged",
            "Die Lieferung kam zu spät, Paket beschädigt",
            "ok",
            "Zamówienie przyszło uszkodzone, kurier był niemiły",
        ][i % 4]
        rows.append(
            {
                "id": f"r{i}" if i != 41 else "r3",  # reuses an id of the first chunk with another text
                "comment": text if i % 13 else "",
                "date": "2024-03-01" if i % 11 else "31/02/2024",
                "nps": str(i % 11),
                "cust": f"c{i % 5}",
            }
        )
    for i in range(50, 54):  # re-sends of rows of the first chunk under new ids: duplicates
        rows[i] = {**rows[i - 48], "id": f"d{i}"}
    path = tmp_path / "export.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    mapping = ColumnMapping(text="comment", id="id", date="date", score="nps", score_type="nps", customer="cust")
    return SourceSettings(path=str(path), columns=mapping)


def _ingest_all(source, settings, runner=None):
    from voc.ingest import ingest_source

    batches = list(ingest_source(source, settings=settings, runner=runner))
    records = pd.concat([b.records for b in batches], ignore_index=True)
    quarantine = pd.concat([b.quarantine for b in batches], ignore_index=True)
    return records, quarantine, len(batches)


def test_ingest_parsed_on_workers_gives_the_records_of_one_process(tmp_path, cluster):
    source = _export(tmp_path)
    settings = IngestSettings(chunk_size=10)
    local_records, local_quarantine, n_local = _ingest_all(source, settings)
    dask_records, dask_quarantine, n_dask = _ingest_all(source, settings, runner=cluster)
    assert n_local == n_dask == 7
    # the cross-chunk steps ran: duplicates dropped, the reused id quarantined, short texts got a language
    assert len(local_records) < 64 - len(local_quarantine)
    assert local_quarantine["reason"].str.contains("repeats row").any()
    assert set(local_records.loc[local_records["text"] == "ok", "language"]) != {"und"}
    pd.testing.assert_frame_equal(dask_records, local_records)
    pd.testing.assert_frame_equal(dask_quarantine, local_quarantine)


def test_an_input_error_on_a_worker_arrives_naming_file_and_column(tmp_path, cluster):
    from voc.ingest import IngestError, ingest_source

    source = _export(tmp_path).model_copy(update={"columns": ColumnMapping(text="no_such_column")})
    with pytest.raises(IngestError) as caught:
        list(ingest_source(source, settings=IngestSettings(chunk_size=10), runner=cluster))
    assert caught.value.file == source.path and caught.value.column == "no_such_column"


def test_embedding_in_partitions_matches_the_local_encoder_and_loads_once_per_worker(cluster, embedder):
    from voc.compute import partitioned
    from voc.compute.partitioned import PartitionedEmbedder

    texts = [f"comment number {i}: the courier left the parcel at the wrong door" for i in range(40)]
    remote = PartitionedEmbedder(embedder, settings=EmbeddingSettings(), runner=cluster)
    assert (remote.model_id, remote.dim) == (embedder.model_id, embedder.dim)
    first = remote.encode(texts)  # 6 partitions of 7
    again = remote.encode(texts[::-1])
    np.testing.assert_allclose(first, embedder.encode(texts), atol=1e-5)
    np.testing.assert_allclose(again, first[::-1], atol=1e-5)
    loaded = [key for key in partitioned._WORKER_EMBEDDERS if key[0] == EmbeddingSettings().model_dump_json()]
    assert len(loaded) <= 2  # at most one encoder per worker, kept across partitions and calls


def test_sentiment_and_cues_in_partitions_equal_one_call(cluster, embedder):
    from voc.compute.partitioned import detect_cues_partitioned, score_sentiment_partitioned
    from voc.sentiment import default_model_for, detect_cues, score_sentiment

    texts = ["Great staff, thank you", "I had to call three times, I will cancel my contract", "fine"] * 7
    langs = ["en"] * len(texts)
    vectors = embedder.encode(texts)
    vectors[4] = 0.0  # a record without text keeps NaN
    model = default_model_for(embedder)
    whole = score_sentiment(vectors, model=model, neutral_band=0.15)
    parts = score_sentiment_partitioned(vectors, model=model, neutral_band=0.15, runner=cluster)
    pd.testing.assert_frame_equal(parts, whole)
    assert parts["sentiment"].isna().sum() == 1 and parts["sentiment_label"].nunique() >= 2
    cues = detect_cues_partitioned(texts, langs, runner=cluster)
    pd.testing.assert_frame_equal(cues, detect_cues(texts, langs))
    assert cues["churn_cue"].sum() == 7


def test_a_resource_no_worker_offers_is_an_error_not_a_wait(cluster):
    from voc.errors import InputError

    with pytest.raises(InputError, match="GPU"):
        list(cluster.imap(len, [[1, 2]], resources={"GPU": 1}))


def test_the_runner_is_opened_once_per_process_and_none_stays_in_process(cluster):
    from voc.compute import InProcess, get_runner

    settings = ComputeSettings(cluster="local", workers=2, processes=False, partition_size=7)
    assert get_runner(settings) is cluster and cluster.workers == 2
    assert isinstance(get_runner(ComputeSettings()), InProcess)
    with pytest.raises(ValueError, match="scheduler address"):
        ComputeSettings(cluster="kubernetes")


@pytest.mark.slow
def test_a_plain_night_on_dask_equals_the_night_in_process(tmp_path):
    """``voc run --engine plain`` with ``compute.cluster: local``: the same records, scores and themes."""
    from voc.demo import demo_settings, prepare_demo
    from voc.pipeline import run_pipeline

    night, sample = prepare_demo(tmp_path / "sample", n_records=500, seed=4)
    in_process = run_pipeline(demo_settings(sample, tmp_path / "plain"), night=night, keep={"embeddings"}).catalog
    settings = demo_settings(sample, tmp_path / "dask").model_copy(
        update={"compute": ComputeSettings(cluster="local", workers=2, processes=False, partition_size=50)}
    )
    on_dask = run_pipeline(settings, night=night, keep={"embeddings"}).catalog
    assert on_dask["compute"].distributed and not in_process["compute"].distributed
    assert len(on_dask["records"]) == len(in_process["records"]) > 300
    np.testing.assert_allclose(on_dask["embeddings"], in_process["embeddings"], atol=1e-5)
    key = ["record_id", "language", "sentiment_label", "theme_id", "effort_cue", "churn_cue"]
    pd.testing.assert_frame_equal(on_dask["records"][key], in_process["records"][key])
    np.testing.assert_allclose(on_dask["records"]["sentiment"], in_process["records"]["sentiment"], atol=1e-4)
    pd.testing.assert_frame_equal(
        on_dask["priorities"][["theme_id", "rank"]], in_process["priorities"][["theme_id", "rank"]]
    )


@pytest.mark.slow
def test_worker_processes_receive_chunks_and_texts_and_return_the_same(tmp_path, embedder):
    """Two worker processes (the settings' default): partitions and errors travel pickled."""
    from voc.compute import get_runner
    from voc.compute.partitioned import PartitionedEmbedder
    from voc.ingest import IngestError

    source = _export(tmp_path)
    settings = IngestSettings(chunk_size=10)
    runner = get_runner(ComputeSettings(cluster="local", workers=2, processes=True, partition_size=16))
    try:
        local_records, local_quarantine, _ = _ingest_all(source, settings)
        dask_records, dask_quarantine, _ = _ingest_all(source, settings, runner=runner)
        pd.testing.assert_frame_equal(dask_records, local_records)
        pd.testing.assert_frame_equal(dask_quarantine, local_quarantine)
        wrong = source.model_copy(update={"columns": ColumnMapping(text="no_such_column")})
        with pytest.raises(IngestError) as caught:
            _ingest_all(wrong, settings, runner=runner)
        assert caught.value.column == "no_such_column"
        texts = local_records["text"].tolist()
        remote = PartitionedEmbedder(embedder, settings=EmbeddingSettings(), runner=runner)
        np.testing.assert_allclose(remote.encode(texts), embedder.encode(texts), atol=1e-5)
    finally:
        runner.close()
