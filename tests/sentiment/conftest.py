"""Small files in the formats of the public labelled sets, written by the tests themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

POS = ["great stay {i}", "lovely staff {i}", "super fast {i}"]
NEG = ["awful room {i}", "rude desk {i}", "slow and broken {i}"]
NEU = ["the hotel has {i} floors", "we arrived on day {i}"]


def _rows(n: int = 12) -> list[tuple[str, str]]:
    """(label, text) pairs, distinct texts, all three classes."""
    out = []
    for i in range(n):
        out += [
            ("positive", POS[i % 3].format(i=i)),
            ("negative", NEG[i % 3].format(i=i)),
            ("neutral", NEU[i % 2].format(i=i)),
        ]
    return out


def write_sets(root: Path) -> Path:
    """Write one tiny file per set, in the layout ``../shared/data`` uses."""
    rows = _rows()
    (root / "polemo_hotels_pl").mkdir(parents=True)
    tags = {"positive": "z_plus_m", "negative": "z_minus_m", "neutral": "z_zero"}
    with open(root / "polemo_hotels_pl" / "main_all.jsonl", "w", encoding="utf-8") as handle:
        for i, (label, text) in enumerate(rows):
            row = {"id": i, "text": f"pl {text} __label__{tags[label]}", "entities": [], "relations": []}
            if i % 3 == 0:  # aspect span "pl" (chars 0-2) tied to an opinion
                row["entities"] = [
                    {"id": 1, "label": "ASPEKT", "start_offset": 0, "end_offset": 2},
                    {"id": 2, "label": "OPINIA", "start_offset": 3, "end_offset": 8},
                ]
                row["relations"] = [{"id": 9, "from_id": 2, "to_id": 1, "type": label.upper()}]
            handle.write(json.dumps(row) + "\n")
        handle.write(json.dumps({"id": 99, "text": "mixed bag __label__z_amb", "entities": [], "relations": []}) + "\n")
    (root / "finnsentiment_fi").mkdir()
    value = {"positive": 1, "negative": -1, "neutral": 0}
    derived = {"positive": 5, "negative": 1, "neutral": 3}
    lines = ["a\tb\tc\tmajority\tderived\tsmiley\tproduct_review\tsplit\tbatch\tsource_index\ttext"]
    lines += [f"0\t0\t0\t{value[lab]}\t{derived[lab]}\t0\t-1\t1\t1\tx {i}\tfi {t}" for i, (lab, t) in enumerate(rows)]
    (root / "finnsentiment_fi" / "finnsentiment.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "sb10k_de").mkdir()
    (root / "sb10k_de" / "corpus_label_text.tsv").write_text(
        "".join(f"{lab}\tde {t}\n" for lab, t in rows), encoding="utf-8"
    )
    (root / "germeval2017").mkdir()
    lines = ["url\ttext\trelevant\tdoc_sentiment\taspects"]
    lines += [
        f"u{i}\tge {t}\ttrue\t{lab}\tZugfahrt#Haupt:{lab} Allgemein#Haupt:{lab}" for i, (lab, t) in enumerate(rows)
    ]
    lines += ["u-x\tirrelevant news\tfalse\tneutral\t"]
    (root / "germeval2017" / "dev.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "airline_tweets_en").mkdir()
    lines = ["tweet_id,airline_sentiment,negativereason,text"]
    lines += [f"{i},{lab},{'Late Flight' if lab == 'negative' else ''},en {t}" for i, (lab, t) in enumerate(rows)]
    (root / "airline_tweets_en" / "Tweets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def labelled_sets(tmp_path) -> Path:
    """A folder with one tiny file per training set (no measured-only sets)."""
    return write_sets(tmp_path / "data")
