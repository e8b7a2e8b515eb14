"""Topic trees, three ways, per level: the numbers of docs/quality.md's "The topic tree".

    python benchmarks/topic_tree.py quality [--root CACHE] [--seeds 42 0 1 2 3]
    python benchmarks/topic_tree.py listing --cache /work/run74k/cache --corpus arxiv74k
    python benchmarks/topic_tree.py time --n 74728 1000000 [--skip-evoc-above N]

Methods, each giving levels coarsest first:
  merge/split  explorer's (`maps.tree`): the map's own topics (UMAP 2-D + HDBSCAN), their
               centroids merged by Ward into fields, each topic's part of the map split by HDBSCAN;
  condensed    HDBSCAN's condensed tree on the same 2-D map (min_cluster_size of the finest
               level), cut at the λ that gives each of merge/split's level sizes;
  evoc         EVoC's cluster layers on the vectors themselves (its own sizes), noise assigned
               to the nearest clustered paper (cosine) as explorer assigns the map's.
quality: the 3,990-paper subset (vectors of the default backend, cached under --root), V-measure
and ARI against `label` per level, and stability: the mean ARI between the levels of 5 seeds (a
seed is UMAP's for the map methods, EVoC's own random_state for EVoC). listing: one seed on a built
corpus's saved map, against the primary category and the archive (cs, math, …); the cache is only
read. time: synthetic points (the subset's vectors and map replicated with jitter) at each n.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np
from _machine import SUBSET, describe
from sklearn.metrics import adjusted_rand_score, v_measure_score

from explorer.maps import topics, tree


def condensed_levels(coords: np.ndarray, sizes: list[int], mcs: int) -> list[np.ndarray]:
    """HDBSCAN's condensed tree on the map, cut at the λ nearest to each wanted size (k)."""
    import hdbscan

    hdb = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=max(1, mcs - 1)).fit(coords)
    ct = hdb.condensed_tree_.to_numpy()
    n = len(coords)
    parent = {int(r["child"]): int(r["parent"]) for r in ct if r["child_size"] > 1}
    birth = {int(r["child"]): float(r["lambda_val"]) for r in ct if r["child_size"] > 1}
    root = n
    birth[root] = 0.0
    leaf_of = np.full(n, root)
    for r in ct:
        if r["child_size"] == 1:
            leaf_of[int(r["child"])] = int(r["parent"])
    nodes = np.array(sorted(birth))  # a child's id is above its parent's
    par = np.array([parent.get(int(c), root) for c in nodes])
    born = np.array([birth[int(c)] for c in nodes])
    where = {int(c): i for i, c in enumerate(nodes)}
    par_i = np.array([where[int(p)] for p in par])
    leaf_i = np.array([where[int(c)] for c in leaf_of])

    def cut(lam: float) -> np.ndarray:
        alive = np.arange(len(nodes))
        for i in range(1, len(nodes)):  # parents first
            if born[i] > lam:
                alive[i] = alive[par_i[i]]
        lab = nodes[alive[leaf_i]]
        lab[lab == root] = -1
        return topics._renumber_by_size(lab)

    cands = np.unique(born)
    out = []
    for k in sizes:  # bisect on λ: later cuts hold more clusters (near enough monotone)
        lo, hi = 0, len(cands) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if int(cut(cands[mid]).max()) + 1 < k:
                lo = mid + 1
            else:
                hi = mid
        out.append(topics._assign_noise(coords, cut(cands[lo])))
    return out


def evoc_levels(vectors: np.ndarray, seed: int) -> list[np.ndarray]:
    """EVoC's layers, coarsest first, noise assigned to the nearest clustered paper."""
    import evoc

    model = evoc.EVoC(random_state=seed).fit(vectors)
    unit = topics._unit(vectors)
    return [topics._assign_noise(unit, lab) for lab in reversed(model.cluster_layers_)]


def ours(vectors: np.ndarray, coords: np.ndarray) -> list[np.ndarray]:
    clusters = topics.cluster(coords, assign_noise=True)
    levels, _ = tree.levels_of(vectors, coords, clusters)
    return list(levels)


def score(levels: list[np.ndarray], truth: list[np.ndarray]) -> list[str]:
    return [
        f"{int(lab.max()) + 1}: "
        + ", ".join(
            f"V {v_measure_score(t, lab):.3f} ARI {adjusted_rand_score(t, lab):.3f}" for t in truth
        )
        for lab in levels
    ]


def quality(args: argparse.Namespace) -> None:
    from explorer import Explorer

    ex = Explorer.build(args.data, name="subset", root=args.root, with_map=False)
    v = np.asarray(ex.vectors, dtype=np.float32)
    truth = np.array([dict(p.extra)["label"] for p in ex.corpus])
    print(f"{len(v):,} papers, backend {ex.manifest['backend']}, {len(set(truth))} categories")
    runs: dict[str, list[list[np.ndarray]]] = {"merge/split": [], "condensed": [], "evoc": []}
    for seed in args.seeds:
        t0 = time.perf_counter()
        xy = topics.project(v, seed=seed).astype(np.float64)
        t1 = time.perf_counter()
        mine = ours(v, xy)
        t2 = time.perf_counter()
        fine_mcs = max(5, topics.default_min_cluster_size(len(v)) // tree.SPLIT_SHARE)
        cond = condensed_levels(xy, [int(m.max()) + 1 for m in mine], fine_mcs)
        t3 = time.perf_counter()
        ev = evoc_levels(v, seed)
        t4 = time.perf_counter()
        print(
            f"seed {seed}: UMAP {t1 - t0:.1f}s, merge/split {t2 - t1:.1f}s, condensed "
            f"{t3 - t2:.1f}s, evoc {t4 - t3:.1f}s",
            flush=True,
        )
        for name, levels in (("merge/split", mine), ("condensed", cond), ("evoc", ev)):
            runs[name].append(levels)
            print(f"  {name:12s} " + " | ".join(score(levels, [truth])), flush=True)
    for name, per_seed in runs.items():
        depth = min(len(x) for x in per_seed)
        for lv in range(depth):
            # EVoC's layer counts differ by seed: compare the same layer index, coarsest first
            labs = [x[lv] for x in per_seed]
            aris = [adjusted_rand_score(a, b) for a, b in itertools.combinations(labs, 2)]
            vs = [v_measure_score(truth, lab) for lab in labs]
            ars = [adjusted_rand_score(truth, lab) for lab in labs]
            ks = [int(lab.max()) + 1 for lab in labs]
            print(
                f"SUMMARY {name} level {lv}: topics {min(ks)}-{max(ks)}, "
                f"V {np.mean(vs):.3f} ± {np.std(vs):.3f}, ARI {np.mean(ars):.3f} ± "
                f"{np.std(ars):.3f}, seeds' ARI {np.mean(aris):.3f} (min {np.min(aris):.3f})",
                flush=True,
            )


def listing(args: argparse.Namespace) -> None:
    """One built corpus's saved map (read only: nothing is written to its cache)."""
    from explorer import Explorer
    from explorer.maps import landscape

    os.environ["EXPLORER_CACHE"] = str(args.cache)
    ex = Explorer.open(args.corpus)
    land = landscape.load(ex.layout.landscape, ex.settings, ex.corpus.content_hash)
    if land is None:
        raise SystemExit("no saved map for these settings: nothing measured (nothing written)")
    v = np.asarray(ex.vectors, dtype=np.float32)
    xy = np.asarray(land.coords, dtype=np.float64)
    prim = np.array([p.categories[0] if p.categories else "" for p in ex.corpus])
    arch = np.array([c.split(".")[0] for c in prim])
    print(f"{len(v):,} papers; {len(set(prim))} primary categories, {len(set(arch))} archives")
    t0 = time.perf_counter()
    levels, default = tree.levels_of(v, xy, land.clusters)
    t1 = time.perf_counter()
    print(f"merge/split (default level {default}) {t1 - t0:.1f}s")
    print("  " + " | ".join(score(list(levels), [prim, arch])), flush=True)
    fine_mcs = max(5, topics.default_min_cluster_size(len(v)) // tree.SPLIT_SHARE)
    cond = condensed_levels(xy, [int(m.max()) + 1 for m in levels], fine_mcs)
    t2 = time.perf_counter()
    print(f"condensed {t2 - t1:.1f}s\n  " + " | ".join(score(cond, [prim, arch])), flush=True)
    if args.evoc:
        ev = evoc_levels(v, 42)
        t3 = time.perf_counter()
        print(f"evoc {t3 - t2:.1f}s\n  " + " | ".join(score(ev, [prim, arch])), flush=True)
    if args.labels:
        texts = [p.text for p in ex.corpus]
        t3 = time.perf_counter()
        found = tree.tree_labels(texts, v, levels)
        print(f"labels of every level {time.perf_counter() - t3:.1f}s")
        for lv, level in enumerate(found):
            print(f"level {lv}: {len(level)} topics; " + "; ".join(t.label for t in level[:12]))


def synthetic(n: int, v: np.ndarray, xy: np.ndarray, seed: int = 0):
    """n points: the subset's vectors and map coordinates, replicated with jitter."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(v), n)
    vec = v[rows]  # float32, jittered in chunks to keep memory near the vectors' own
    for i in range(0, n, 65_536):
        part = vec[i : i + 65_536]
        part += rng.standard_normal(part.shape, dtype=np.float32) * np.float32(0.02)
        part /= np.linalg.norm(part, axis=1, keepdims=True)
    spread = xy.std(axis=0) * 0.01
    return vec, xy[rows] + rng.normal(size=(n, 2)) * spread


def timing(args: argparse.Namespace) -> None:
    v = np.load(args.vectors).astype(np.float32)
    xy = np.load(args.coords) if args.coords else topics.project(v, seed=42)
    xy = xy.astype(np.float64)
    if min(args.n) <= args.skip_evoc_above:
        evoc_levels(v[:2000], 0)  # numba compiles once: not timed
    for n in args.n:
        vec, pts = synthetic(n, v, xy)
        t0 = time.perf_counter()
        if n <= args.hdbscan_up_to:
            clusters = topics.cluster(pts, assign_noise=True)
        else:  # HDBSCAN's k-NN of min_samples (~√n/2) neighbours outgrows 24 GiB at 1M points
            rows = np.random.default_rng(0).integers(0, len(v), n)  # synthetic()'s rows
            clusters = topics.cluster(xy, assign_noise=True)[rows]
            print(f"n={n:,}: the map's topics are the subset's, replicated (not timed)")
        t1 = time.perf_counter()
        levels, _ = tree.levels_of(vec, pts, clusters)
        t2 = time.perf_counter()
        print(
            f"n={n:,} (synthetic): the map's topics (HDBSCAN 2-D) {t1 - t0:.1f}s; merge+split "
            f"on top {t2 - t1:.1f}s -> {[int(lv.max()) + 1 for lv in levels]}",
            flush=True,
        )
        if n > args.hdbscan_up_to:
            continue
        fine_mcs = max(5, topics.default_min_cluster_size(n) // tree.SPLIT_SHARE)
        t2 = time.perf_counter()
        cond = condensed_levels(pts, [int(lv.max()) + 1 for lv in levels], fine_mcs)
        t3 = time.perf_counter()
        print(f"  condensed tree {t3 - t2:.1f}s -> {[int(c.max()) + 1 for c in cond]}", flush=True)
        if n <= args.skip_evoc_above:
            t3 = time.perf_counter()
            ev = evoc_levels(vec, 0)
            print(
                f"  evoc {time.perf_counter() - t3:.1f}s -> {[int(e.max()) + 1 for e in ev]}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("quality", "listing", "time"))
    ap.add_argument("--data", type=Path, default=SUBSET)
    ap.add_argument("--root", type=Path, default=Path("/tmp/explorer-topic-tree"))
    ap.add_argument("--seeds", type=int, nargs="*", default=[42, 0, 1, 2, 3])
    ap.add_argument("--cache", type=Path, default=Path("/work/run74k/cache"))
    ap.add_argument("--corpus", default="arxiv74k")
    ap.add_argument("--evoc", action="store_true", help="listing: EVoC too (minutes)")
    ap.add_argument("--labels", action="store_true", help="listing: label every level, timed")
    ap.add_argument("--vectors", type=Path, default=Path("/tmp/tree/subset_vecs.npy"))
    ap.add_argument("--coords", type=Path, default=None, help="time: the subset's map, saved")
    ap.add_argument("--n", type=int, nargs="*", default=[74_728, 1_000_000])
    ap.add_argument("--hdbscan-up-to", type=int, default=200_000, help="time: larger n reuse")
    ap.add_argument("--skip-evoc-above", type=int, default=10**9)
    args = ap.parse_args()
    print(f"machine: {describe()}")
    {"quality": quality, "listing": listing, "time": timing}[args.what](args)


if __name__ == "__main__":
    main()
