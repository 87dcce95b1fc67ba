"""The shipped LoRA sentiment adapter loads on the bundled encoder and reads sentiment."""

from pathlib import Path

import numpy as np
import pytest

ADAPTER = Path(__file__).resolve().parents[2] / "models" / "sentiment-lora"


@pytest.mark.slow  # a second encoder in memory plus peft: ~10 s on an idle machine
def test_shipped_adapter_is_small_and_separates_clear_cases():
    pytest.importorskip("peft")
    from voc.embed.lora_sentiment import LoraSentiment

    size = sum(f.stat().st_size for f in ADAPTER.iterdir())
    assert size <= 10 * 2**20
    model = LoraSentiment.load(ADAPTER)
    positive = [
        "Świetna obsługa, bardzo polecam!",
        "Loistava palvelu, kiitos paljon!",
        "Super freundliches Personal, alles top.",
    ]
    negative = [
        "Fatalna obsługa, nigdy więcej.",
        "Surkea palvelu, en suosittele.",
        "Der Zug war wieder eine Stunde zu spät, eine Zumutung.",
    ]
    scores = model.predict(positive + negative)
    assert scores.shape == (6,) and np.all((scores >= 0) & (scores <= 1))
    assert scores[:3].min() > scores[3:].max()
