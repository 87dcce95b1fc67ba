"""The `voc-train-sentiment` Prefect flow: retrain the default sentiment head and publish its metrics.

Run ``python -m flows.train_sentiment [--germeval PATH] [--out FILE]``; the head is written to
``models/sentiment/head.npz`` with ``metrics.json`` beside it (quoted by ``MODEL_CARD.md``). The
recipe is :func:`voc.sentiment.train.train_default`, the same as ``python -m voc.sentiment.train``.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from voc.sentiment.default import default_model_path
from voc.sentiment.train import embed_frame, train_default, training_frame


@task(name="load-training-data", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load_data(germeval: str | None, use_germeval: bool) -> pd.DataFrame:
    return training_frame(germeval, use_germeval=use_germeval)


@task(name="embed", cache_policy=NO_CACHE)
def embed(frame: pd.DataFrame) -> int:
    """Embed every training text once; the arrays land in the on-disk cache the fit reads."""
    return len(embed_frame(frame))


@task(name="fit-measure-save", retries=1, cache_policy=NO_CACHE)
def fit_measure_save(germeval: str | None, use_germeval: bool, out: str) -> dict[str, Any]:
    _, report = train_default(germeval=germeval, use_germeval=use_germeval, out=out)
    return report


@flow(name="voc-train-sentiment", log_prints=False)
def train_sentiment(germeval: str | None = None, use_germeval: bool = True, out: str | None = None) -> dict[str, Any]:
    """Load the hand-written texts (+ GermEval when present), embed, measure held out, fit, save."""
    out = out or str(default_model_path())
    frame = load_data(germeval, use_germeval)
    embed(frame)
    report = fit_measure_save(germeval, use_germeval, out)
    rows = [{"evaluation": f"hand-written {lang}, language held out", **m} for lang, m in report.get("leave_language_out", {}).items()]
    for key in ("germeval_cv", "germeval_unseen_by_hand_only_head", "germeval_anchor_baseline"):
        if key in report:
            rows.append({"evaluation": key, **report[key]})
    create_table_artifact(rows, key="sentiment-head-metrics", description="held-out metrics of the retrained head")
    create_markdown_artifact(
        f"# Sentiment head retrained\n- written to `{out}`\n- training rows (polar): {report['n_train']}\n"
        f"- temperature: {report['temperature']}",
        key="sentiment-head",
    )
    get_run_logger().info("sentiment head written to %s", out)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Retrain the default sentiment head.")
    parser.add_argument("--germeval", help="GermEval 2017 dev.tsv (default: VOC_GERMEVAL_PATH or ../shared/data)")
    parser.add_argument("--no-germeval", action="store_true", help="train on the hand-written texts only")
    parser.add_argument("--out", help="output .npz (default models/sentiment/head.npz)")
    args = parser.parse_args()
    train_sentiment(germeval=args.germeval, use_germeval=not args.no_germeval, out=args.out)
