"""How close embedding runs to what this processor allows: the matrix-product rate at the model's
shapes, the model's FLOPs for real token lengths, and each backend's share of the ceiling.

    python benchmarks/roofline.py [--texts 300] [--backends torch,openvino,openvino-int8]

1. The ceiling: the sustained rate of torch's float32 matrix product (and bf16 where the CPU has
   avx512_bf16 or AMX) at MiniLM's shapes, (tokens x 384) @ (384 x 1536) and (384 x 384), with
   every core, timed for about 3 s each after a warm-up.
2. The work: MiniLM-L6's FLOPs per text from its real token count (6 layers; per token and
   layer 2 x (4 x 384^2 + 2 x 384 x 1536) for the projections and the feed-forward, plus
   2 x 2 x T x 384 for attention), for the text cut at 256 tokens (a plain pass), read whole in
   windows (the one pass: `explorer.embed.late`), and the two passes of before (the cut text,
   then every sentence alone).
3. Each backend's abstracts/s on the same texts (plain pass and one pass), and the rate in
   GFLOP/s it implies, as a fraction of the ceiling. int8 does its products in 8 bits: its
   fraction of the float32 ceiling can pass 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explorer.embed import late
from explorer.embed.choice import machine
from explorer.embed.embedder import Embedder
from explorer.index.sentences import paper_sentences
from explorer.readers import read_corpus

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HIDDEN, FFN, LAYERS, WINDOW = 384, 1536, 6, 256


def flops(tokens: int) -> float:
    """MiniLM-L6's floating-point operations for one sequence of `tokens` (specials included)."""
    per_token = 2 * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN) + 2 * 2 * tokens * HIDDEN
    return float(LAYERS * tokens * per_token)


def ceiling(dtype: str, seconds: float = 3.0) -> float:
    """GFLOP/s of torch's matrix product at the model's two shapes (their mean, weighted by
    the FLOPs each takes in a layer)."""
    import torch

    dt = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    rates = []
    for k, n, weight in ((HIDDEN, FFN, 2 * HIDDEN * FFN), (HIDDEN, HIDDEN, 4 * HIDDEN**2)):
        a = torch.randn(32 * WINDOW, k, dtype=dt)
        b = torch.randn(k, n, dtype=dt)
        for _ in range(3):
            a @ b  # warm-up
        done, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            a @ b
            done += 1
        rate = done * 2 * a.shape[0] * k * n / (time.perf_counter() - t0) / 1e9
        rates.append((rate, weight))
    total = sum(w for _, w in rates)
    return total / sum(w / r for r, w in rates)  # time-weighted: the layer's own mix


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", type=int, default=300)
    ap.add_argument("--backends", default="torch,openvino,openvino-int8")
    ap.add_argument("--models", type=Path, default=None, help="exported models' folder")
    args = ap.parse_args()
    src = DATA / "arxiv-cs-2025" / "subset-10cats.jsonl"
    if not src.exists():
        sys.exit(f"{src} is not here: this benchmark needs the shared data")
    papers = list(read_corpus(src))
    rng = np.random.default_rng(0)
    papers = [papers[i] for i in sorted(rng.choice(len(papers), args.texts, replace=False))]
    texts = [p.text for p in papers]
    spans = [late.spans(p.text, paper_sentences(p)) for p in papers]
    flat = [s for p in papers for s in paper_sentences(p)]

    m = machine()
    print(
        f"{m['cpu']}, {m['cores']} cores, flags {', '.join(m['flags'])}; "
        f"load {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d')}; {len(texts)} arXiv abstracts"
    )
    first = Embedder(backend="torch", progress=False)
    tok = first.backend.tok
    n_tok = [len(x) for x in tok(texts, add_special_tokens=False)["input_ids"]]
    s_tok = [len(x) for x in tok(flat, add_special_tokens=False)["input_ids"]]
    cut = sum(flops(min(n, WINDOW - 2) + 2) for n in n_tok)
    whole = sum(flops(w + 2) for n in n_tok for _, w in late.windows(n, WINDOW - 2))
    two = cut + sum(flops(min(n, WINDOW - 2) + 2) for n in s_tok)
    over = np.mean(np.array(n_tok) > WINDOW - 2)
    print(
        f"\ntokens per abstract: mean {np.mean(n_tok):.0f}, {over:.0%} longer than one window; "
        f"GFLOP per abstract: cut at 256 {cut / len(texts) / 1e9:.2f}, one pass (windows) "
        f"{whole / len(texts) / 1e9:.2f}, two passes {two / len(texts) / 1e9:.2f}"
    )
    torch_threads = __import__("torch").get_num_threads()
    peaks = {"float32": ceiling("float32")}
    if {"avx512_bf16", "amx_bf16"} & set(m["flags"]):
        peaks["bfloat16"] = ceiling("bfloat16")
    print(
        "\nceiling (torch matmul at the model's shapes, "
        f"{torch_threads} threads): " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in peaks.items())
    )
    print(
        "\n| backend | pass | abstracts/s | GFLOP/s | of the float32 ceiling |\n"
        "|---|---|---|---|---|"
    )
    for name in args.backends.split(","):
        emb = Embedder(backend=name, progress=False, model_cache=args.models)
        emb.embed(texts[:8])  # loaded and warm
        for what, work, run in (
            ("plain (cut at 256)", cut, lambda emb=emb: emb.embed(texts)),
            ("one pass (whole, + sentences)", whole, lambda emb=emb: emb.embed_late(texts, spans)),
        ):
            t0 = time.perf_counter()
            run()
            dt = time.perf_counter() - t0
            rate = work / dt / 1e9
            print(
                f"| {name} | {what} | {len(texts) / dt:.1f} | {rate:.1f} | "
                f"{rate / peaks['float32']:.0%} |"
            )


if __name__ == "__main__":
    main()
