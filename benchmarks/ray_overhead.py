"""The Ray engine's overhead against the local one: embedding only, same texts, cold caches.

    python benchmarks/ray_overhead.py [--n 1000] [--backend auto] [--actors N] [--tiny]

Embeds the first N abstracts of ../shared/data/arxiv-cs-2025/subset-10cats.jsonl (with --tiny
or when it is absent, the 41 seed papers) three ways in one process, each into an empty vector
cache, the model loaded afresh each time: here (`Embedder`), on a local Ray instance started for
the run (start-up included), and again on that running instance (a build on a cluster that is
already up). Prints each one's seconds, its ratio to the local run, and whether the vectors are
the same bits (`np.array_equal`, max abs difference).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import ROOT, SUBSET, describe

from explorer import Embedder, read_corpus
from explorer.embed.cache import VectorCache, embed_cached
from explorer.embed.distributed import RayEmbedder
from explorer.papers import Corpus
from explorer.storage import models_root


def run(embedder: Embedder, texts: list[str], hashes: list[str], cache_dir: Path):
    """(seconds, vectors, embedded): embedding `texts` into a cold cache, model load included."""
    cache = VectorCache(cache_dir, embedder.model_id)
    try:
        t0 = time.perf_counter()
        vectors, embedded = embed_cached(texts, hashes, embedder, cache)
        return time.perf_counter() - t0, vectors, embedded
    finally:
        cache.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--backend", default="auto", help="auto (the default backend), torch, …")
    ap.add_argument("--actors", type=int, default=None, help="default: one per core")
    ap.add_argument("--tiny", action="store_true", help="seed corpus only (CI keeps it working)")
    args = ap.parse_args()

    if args.tiny or not SUBSET.exists():
        corpus = read_corpus(sorted((ROOT / "seeds").glob("*.txt"))[0], listing_year=2026)
    else:
        corpus = Corpus(read_corpus(SUBSET)[: args.n])
    texts, hashes = [p.text for p in corpus], corpus.text_hashes
    tmp = Path(tempfile.mkdtemp(prefix="explorer-ray-bench-"))
    models = models_root()

    def fresh() -> Embedder:
        return Embedder(backend=args.backend, progress=False, model_cache=models)

    _ = fresh().backend  # a fast backend's one-off export is not what is measured
    print(f"machine: {describe()}")
    print(f"texts: {len(texts)} (backend {fresh().backend_name}, cold vector caches)")
    local_s, local_v, n = run(fresh(), texts, hashes, tmp / "local")
    print(f"local:                  {local_s:7.1f} s  {n / local_s:6.1f} texts/s")
    rows = []
    with RayEmbedder(fresh(), actors=args.actors) as first:
        cold = run(first, texts, hashes, tmp / "ray-cold")
        rows.append(("ray, starting Ray", cold, first))
        second = RayEmbedder(fresh(), actors=args.actors)  # the instance `first` started
        rows.append(("ray, Ray running", run(second, texts, hashes, tmp / "ray-warm"), second))
    for label, (secs, vecs, _), e in rows:
        same = np.array_equal(vecs, local_v)
        diff = float(np.abs(vecs - local_v).max())
        print(
            f"{label + ':':23s} {secs:7.1f} s  {n / secs:6.1f} texts/s  "
            f"ratio {secs / local_s:5.2f} (overhead {secs / local_s - 1:+.0%})  "
            f"workers' model time {e.worker_seconds:.1f} s  "
            f"vectors {'identical' if same else 'DIFFER'} (max |diff| {diff:.3g})"
        )
        if not same:
            raise SystemExit("the Ray engine's vectors differ from the local engine's")


if __name__ == "__main__":
    main()
