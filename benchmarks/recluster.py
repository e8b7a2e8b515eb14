"""Finding topics again with other settings: reusing the saved map vs laying it out again.

    python benchmarks/recluster.py [--data subset-10cats.jsonl] [--work DIR]

Builds the corpus (vectors cached in --work), then times, in one run, the landscape with
`min_cluster_size=15` computed from scratch (UMAP + HDBSCAN + labels) and computed on the
corpus's saved map (`reuse=`: HDBSCAN + labels only), and checks that both give the same topics.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from _machine import SUBSET, describe

from explorer import Explorer
from explorer.maps import landscape


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SUBSET)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--min-cluster-size", type=int, default=15)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="explorer-recluster-"))
    print(f"machine: {describe()}")
    ex = Explorer.build(args.data, name="recluster", root=work / "cache", progress=False)
    own = ex.landscape()
    settings = replace(ex.settings, min_cluster_size=args.min_cluster_size)
    vectors, texts = np.asarray(ex.vectors), [p.text for p in ex.corpus]
    t = time.perf_counter()
    fresh = landscape.compute(vectors, texts, settings, "x")
    fresh_s = time.perf_counter() - t
    t = time.perf_counter()
    reused = landscape.compute(vectors, texts, settings, "x", reuse=own)
    reuse_s = time.perf_counter() - t
    same_map = np.array_equal(fresh.coords, reused.coords)
    same_topics = np.array_equal(fresh.clusters, reused.clusters)
    print(
        f"{len(texts):,} papers, min_cluster_size {args.min_cluster_size}: laid out again "
        f"{fresh_s:.1f} s, on the saved map {reuse_s:.1f} s ({fresh_s / reuse_s:.0f}x); "
        f"same map {same_map}, same topics {same_topics} ({len(reused.topics)} topics)"
    )


if __name__ == "__main__":
    main()
