"""scikit-learn's HDBSCAN against the hdbscan package (explorer's) on the same maps.

    python benchmarks/clusterers.py [--data subset-10cats.jsonl] [--seeds 42 0 1 2 3 4]
                                    [--coords landscape/coords.npy]

For each UMAP seed, the subset's map (`topics.project`, default backend's vectors, cached in
--root) is clustered by both with explorer's defaults: clusters, noise, V-measure and ARI against
the primary category (outliers kept, and assigned), time, and the ARI between the two. With
--coords, a saved map (e.g. the 74,728-paper one) is clustered by both instead, for time and
agreement only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _machine import SUBSET, describe
from sklearn.cluster import HDBSCAN
from sklearn.metrics import adjusted_rand_score, v_measure_score

from explorer import Explorer
from explorer.maps import topics


def both(xy: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, float]:
    n = len(xy)
    mcs, cap = topics.default_min_cluster_size(n), topics.default_max_cluster_size(n)
    t = time.perf_counter()
    a = HDBSCAN(min_cluster_size=mcs, max_cluster_size=cap, copy=True).fit_predict(xy)
    ta = time.perf_counter() - t
    t = time.perf_counter()
    b = topics._hdbscan(xy, mcs, cap)
    tb = time.perf_counter() - t
    return topics._renumber_by_size(a), ta, topics._renumber_by_size(b), tb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SUBSET)
    ap.add_argument("--root", type=Path, default=Path("/tmp/explorer-clusterers"))
    ap.add_argument("--seeds", type=int, nargs="*", default=[42, 0, 1, 2, 3, 4])
    ap.add_argument("--coords", type=Path, default=None, help="a saved map to cluster instead")
    args = ap.parse_args()
    print(f"machine: {describe()}")
    if args.coords:
        xy = np.load(args.coords).astype(np.float64)
        a, ta, b, tb = both(xy)
        print(
            f"{len(xy):,} points: scikit-learn {ta:.1f}s, {a.max() + 1} clusters; hdbscan "
            f"{tb:.1f}s, {b.max() + 1} clusters; "
            f"ARI between them {adjusted_rand_score(a, b):.4f}"
        )
        return
    ex = Explorer.build(args.data, name="subset", root=args.root, with_map=False)
    truth = [dict(p.extra)["label"] for p in ex.corpus]
    v = np.asarray(ex.vectors)
    print(f"{len(v):,} papers from {args.data.name}, backend {ex.manifest['backend']}")
    for seed in args.seeds:
        xy = topics.project(v, seed=seed).astype(np.float64)
        a, ta, b, tb = both(xy)
        cells = []
        for name, lab, t in (("scikit-learn", a, ta), ("hdbscan", b, tb)):
            full = topics._assign_noise(xy, lab)
            cells.append(
                f"{name} {lab.max() + 1} clusters, noise {(lab < 0).mean():.3f}, "
                f"V {v_measure_score(truth, lab):.3f} kept / "
                f"{v_measure_score(truth, full):.3f} assigned, "
                f"ARI {adjusted_rand_score(truth, full):.3f} assigned ({t:.2f}s)"
            )
        print(
            f"seed {seed}: "
            + " | ".join(cells)
            + f" | ARI between {adjusted_rand_score(a, b):.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
