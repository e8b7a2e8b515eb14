"""How stable are a corpus's topics under the noise that separates backends and processors?

    python benchmarks/stability.py [--sizes 100 300 1000 2000] [--noise-seeds 12]

Part 1, the seed corpus: topics from float32 (torch) vectors against those from int8 (the
default backend) and bf16 (torch under autocast) vectors, and from float32 vectors moved by
random noise of a given L2 length (then renormalised), for the map's HDBSCAN and for the
vectors' average linkage. ARI against the float32 topics.
Part 2, samples of the 3,990-paper subset (skipped without ../shared/data): V-measure against the
primary category and stability under bf16-sized (0.006) and int8-sized (0.1) noise, for both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _machine import SUBSET, describe  # noqa: E402
from sklearn.metrics import adjusted_rand_score as ari  # noqa: E402
from sklearn.metrics import v_measure_score  # noqa: E402

from explorer.embed.embedder import Embedder  # noqa: E402
from explorer.maps import topics  # noqa: E402


def perturbed(v: np.ndarray, eps: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=v.shape).astype(np.float32)
    moved = v + eps * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


def by_map(v: np.ndarray, min_cluster_size: int | None = None) -> np.ndarray:
    return topics.cluster(topics.project(v), min_cluster_size=min_cluster_size, assign_noise=True)


def by_vectors(v: np.ndarray, min_cluster_size: int | None = None) -> np.ndarray:
    return topics.cluster_vectors(v, min_cluster_size=min_cluster_size, assign_noise=True)


METHODS = {"map (HDBSCAN on UMAP)": by_map, "vectors (average linkage)": by_vectors}


def seeds(noise_seeds: int) -> None:
    from explorer.readers import read_corpus
    from explorer.storage import seed_file

    texts = [p.text for p in read_corpus(seed_file(), listing_year=2026)]
    torch_embedder = Embedder(backend="torch", progress=False)
    f32 = torch_embedder.embed(texts)
    int8 = Embedder(progress=False).embed(texts)
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16):
        bf16 = torch_embedder.embed(texts)
    for name, v in (("int8", int8), ("bf16", bf16)):
        d = np.linalg.norm(v - f32, axis=1)
        print(f"{name}: L2 distance to float32 mean {d.mean():.4f}, max {d.max():.4f}")
    for name, method in METHODS.items():
        ref = method(f32)
        row = [f"int8 {ari(ref, method(int8)):.2f}", f"bf16 {ari(ref, method(bf16)):.2f}"]
        for eps in (0.001, 0.05, 0.075, 0.1):
            n = noise_seeds if name.startswith("vectors") or eps == 0.001 else 0
            if n:
                s = [ari(ref, method(perturbed(f32, eps, k))) for k in range(n)]
                ok = sum(x >= 0.95 for x in s)
                row.append(f"noise {eps}: {min(s):.2f}-{max(s):.2f} ({ok}/{n} >= 0.95)")
        print(f"seeds, {name}: {ref.max() + 1} topics; " + "; ".join(row), flush=True)


def subset(sizes: list[int]) -> None:
    import json

    if not SUBSET.exists():
        print(f"{SUBSET} is not here: part 2 skipped")
        return
    rows = [json.loads(line) for line in SUBSET.open(encoding="utf-8")]
    vectors = Embedder(progress=False).embed([f"{r['title']}. {r['abstract']}" for r in rows])
    order = np.random.default_rng(0).permutation(len(rows))
    for n in sizes:
        sel = order[:n]
        v, truth = vectors[sel], [rows[i]["label"] for i in sel]
        for name, method in METHODS.items():
            ref = method(v)
            s = [ari(ref, method(perturbed(v, eps, k))) for eps in (0.006, 0.1) for k in range(2)]
            print(
                f"subset {n}, {name}: {ref.max() + 1} topics, V {v_measure_score(truth, ref):.3f}; "
                f"stability bf16-sized {s[0]:.2f}, {s[1]:.2f}; int8-sized {s[2]:.2f}, {s[3]:.2f}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 300, 1000, 2000])
    ap.add_argument("--noise-seeds", type=int, default=12)
    args = ap.parse_args()
    print(f"machine: {describe()}")
    seeds(args.noise_seeds)
    subset(args.sizes)


if __name__ == "__main__":
    main()
