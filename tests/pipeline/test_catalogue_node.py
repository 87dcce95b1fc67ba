"""The night's catalogue step: each unit's issue, the same however many units are matched at once."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

import voc.pipeline.nodes as nodes
from voc.config import ThemeSettings
from voc.embed.cache import text_hash
from voc.themes.catalogue import load_catalogue


class IssueEncoder:
    """Texts of one catalogue issue land near one point of their own; any other text anywhere.

    Seeded by the text or the issue, so the same text always has the same vector.
    """

    model_id, dim = "issue-encoder", 64

    def __init__(self, issue_of: dict[str, int]) -> None:
        self.issue_of = issue_of

    @staticmethod
    def _point(key: str, size: int) -> np.ndarray:
        return np.random.default_rng(int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)).normal(size=size)

    def encode(self, texts):
        rows = []
        for t in texts:
            issue = self.issue_of.get(t)
            noise = 0.1 * self._point(t, self.dim)
            rows.append(
                noise + (self._point(t, self.dim) if issue is None else self._point(f"issue {issue}", self.dim))
            )
        x = np.vstack(rows).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_units_take_their_issue_in_chunks_as_at_once(tmp_path, monkeypatch):
    texts, languages, issue = load_catalogue().examples()
    encoder = IssueEncoder(dict(zip(texts, issue)))
    # units worded as the catalogue's own examples, plus ones nothing in it resembles
    picked = np.arange(0, len(texts), 7)
    unit_texts = [texts[i] for i in picked] + [f"unrelated note {i}" for i in range(20)]
    unit_languages = [languages[i] for i in picked] + ["en"] * 20
    units = pd.DataFrame(
        {"text": unit_texts, "language": unit_languages, "text_hash": [text_hash(t) for t in unit_texts]},
        index=np.arange(len(unit_texts)) * 3,  # a filtered frame's index, not 0..n-1
    )
    vectors = encoder.encode(unit_texts)
    settings = ThemeSettings()

    at_once = nodes.match_catalogue(units, vectors, encoder, settings, tmp_path / "a")
    monkeypatch.setattr(nodes, "MATCH_CHUNK", 5)
    chunked = nodes.match_catalogue(units, vectors, encoder, settings, tmp_path / "b")

    np.testing.assert_array_equal(chunked, at_once)
    own = at_once[: len(picked)]
    assert np.mean(own == np.asarray(issue)[picked]) > 0.9  # an example's own words find its issue
    assert np.all(at_once[len(picked) :] == -1)  # random points near no issue match none
