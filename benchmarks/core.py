"""Embedding throughput and query latency of the core path, on real arXiv abstracts.

    python benchmarks/core.py [--n 1000] [--queries 200] [--backend torch] [--tiny]

Reads the first N papers of ../shared/data/arxiv-cs-2025/papers.jsonl.gz (or, with --tiny or
when that file is absent, the seed corpus), embeds them with a cold vector cache, builds the
exact index, and times related-by-id (no model) and free-text queries (model loaded once).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import ARXIV, ROOT, describe

from explorer import Embedder, Explorer, read_corpus
from explorer.papers import Corpus


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--backend", default="auto", help="auto (the default backend), torch, …")
    ap.add_argument("--tiny", action="store_true", help="seed corpus only (CI keeps it working)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="explorer-bench-"))
    if args.tiny or not ARXIV.exists():
        src = sorted((ROOT / "seeds").glob("*.txt"))[0]
        corpus = read_corpus(src, listing_year=2026)
    else:
        full = read_corpus(ARXIV)
        corpus = Corpus(full[: args.n])
        src = tmp / "sample.jsonl"
        src.write_text(corpus.to_jsonl(), encoding="utf-8")
    n = len(corpus)
    chars = statistics.median(len(p.text) for p in corpus)
    print(f"machine: {describe()}")
    print(f"corpus: {n} papers from {src.name} (median text {chars:.0f} chars)")

    embedder = Embedder(backend=args.backend, progress=False)
    t = time.perf_counter()
    _ = embedder.backend  # load the model now, so that its time is the load's
    load_s = time.perf_counter() - t

    t = time.perf_counter()
    calls0, secs0 = embedder.calls, embedder.seconds
    ex = Explorer.build(src, name="bench", root=tmp / "cache", embedder=embedder, listing_year=2026)
    build_s = time.perf_counter() - t
    embedded, embed_s = embedder.calls - calls0, embedder.seconds - secs0
    t = time.perf_counter()
    Explorer.build(src, name="bench", root=tmp / "cache", embedder=embedder, listing_year=2026)
    rebuild_s = time.perf_counter() - t

    rng = np.random.default_rng(0)
    ids = [corpus[int(i)].id for i in rng.integers(0, n, size=args.queries)]
    by_id = []
    for pid in ids:
        t = time.perf_counter()
        ex.related(pid, k=10)
        by_id.append(time.perf_counter() - t)
    texts = [corpus[int(i)].title for i in rng.integers(0, n, size=args.queries)]
    by_text = []
    for q in texts:
        t = time.perf_counter()
        ex.search(q, k=10)
        by_text.append(time.perf_counter() - t)

    print(f"backend: {args.backend}; model load {load_s:.2f}s")
    print(
        f"embedding: {embedded} abstracts in {embed_s:.1f}s -> {embedded / embed_s:.1f} abstracts/s"
    )
    print(
        f"first build (read, embed {ex.report.embedded}, index, save): {build_s:.1f}s "
        f"-> {n / build_s:.1f} papers/s end to end"
    )
    print(f"second build (nothing changed): {rebuild_s:.2f}s")
    for name, xs in (("related by id (k=10)", by_id), ("free-text search (k=10)", by_text)):
        print(
            f"{name}: median {1000 * statistics.median(xs):.2f} ms, "
            f"p95 {1000 * percentile(xs, 95):.2f} ms over {len(xs)} queries"
        )


if __name__ == "__main__":
    main()
