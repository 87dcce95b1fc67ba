"""A LoRA adapter is only ever read from a local folder: anything else is a clear error, never a hub look-up."""

from __future__ import annotations

import pytest

from voc.embed.lora_sentiment import LoraSentiment
from voc.errors import InputError


def test_a_folder_without_an_adapter_is_refused_by_name(tmp_path):
    (tmp_path / "head.safetensors").write_bytes(b"")
    with pytest.raises(InputError, match="adapter_config.json"):
        LoraSentiment.load(tmp_path)
    with pytest.raises(InputError, match="intfloat/multilingual-e5-small"):
        LoraSentiment.load("intfloat/multilingual-e5-small")
