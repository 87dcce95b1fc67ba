"""The `voc-train-sentiment` Prefect flow: retrain the default sentiment head and publish its metrics.

Run ``python -m flows.train_sentiment [--data ../shared/data] [--out FILE] [--hand-only]``; the head
is written to ``models/sentiment/head.npz`` with ``metrics.json`` beside it (quoted by
``MODEL_CARD.md``). The recipe is :func:`voc.sentiment.train.train_default`, the same as
``python -m voc.sentiment.train``: the public labelled sets found under ``--data`` (their held-out
rows excluded) plus the hand-written texts. Held-out figures come from
``python -m bench.sentiment_quality``.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from voc.config import load_settings
from voc.sentiment.default import default_model_path
from voc.sentiment.train import embed_frame, train_default, training_frame


@task(name="load-training-data", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load_data(data: str, use_real: bool) -> pd.DataFrame:
    return training_frame(data, use_real=use_real)


@task(name="embed", cache_policy=NO_CACHE)
def embed(frame: pd.DataFrame, cache_dir: str) -> int:
    """Embed every training text once; the vectors land in the on-disk cache the fit reads."""
    return len(embed_frame(frame, cache_dir=cache_dir))


@task(name="fit-calibrate-save", retries=1, cache_policy=NO_CACHE)
def fit_calibrate_save(data: str, cache_dir: str, use_real: bool, out: str) -> dict[str, Any]:
    _, report = train_default(data_dir=data, cache_dir=cache_dir, use_real=use_real, out=out)
    return report


@flow(name="voc-train-sentiment", log_prints=False)
def train_sentiment(data: str | None = None, use_real: bool = True, out: str | None = None) -> dict[str, Any]:
    """Load the public sets' training rows and the hand-written texts, embed, fit, calibrate, save.

    ``data`` defaults to the settings' ``shared_data_dir`` and the vectors are cached in their
    ``cache_dir`` (``VOC_SHARED_DATA``, ``VOC_CACHE_DIR``).
    """
    settings = load_settings()
    out = out or str(default_model_path())
    data = data or str(settings.shared_data_root)
    cache_dir = str(settings.cache_dir)
    frame = load_data(data, use_real)
    embed(frame, cache_dir)
    report = fit_calibrate_save(data, cache_dir, use_real, out)
    rows = [
        {"group": group, "weight_share": report["weight_share"].get(group, 0.0), **metrics}
        for group, metrics in report.get("out_of_fold", {}).items()
    ]
    create_table_artifact(
        rows, key="sentiment-head-metrics", description="out-of-fold metrics of the retrained head per set"
    )
    create_markdown_artifact(
        f"# Sentiment head retrained\n- written to `{out}`\n- training rows (polar): {report['n_train']}\n"
        f"- temperature: {report['temperature']}\n- held-out figures: `python -m bench.sentiment_quality`",
        key="sentiment-head",
    )
    get_run_logger().info("sentiment head written to %s", out)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Retrain the default sentiment head.")
    parser.add_argument("--data", help="folder of the public sets (default: the settings' shared_data_dir)")
    parser.add_argument("--hand-only", action="store_true", help="train on the hand-written texts only")
    parser.add_argument("--out", help="output .npz (default models/sentiment/head.npz)")
    args = parser.parse_args()
    train_sentiment(data=args.data, use_real=not args.hand_only, out=args.out)
