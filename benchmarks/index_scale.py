"""Compressed FAISS indexes against exact search: recall@10, memory, build time, query latency.

    python benchmarks/index_scale.py --vectors /work/exp/v74k/vectors.npy
    python benchmarks/index_scale.py --vectors /work/exp/v74k/vectors.npy --n 2000000
    python benchmarks/index_scale.py --tiny        # a CI-sized smoke run: seconds

Queries are held out: `--queries` rows (seeded) of the given vectors are taken out of the corpus.
With `--n` larger than what is left, the corpus is the rest replicated with seeded Gaussian noise
(`--noise` per dimension) and re-normalised; the held-out queries are the real vectors, so no
query has copies of itself in the corpus and its neighbours are copies of *other* papers.
Ground truth is an exact inner-product scan (numpy, in chunks). Latency is single queries, one
at a time, on FAISS's default thread count (the product sets none). Prints markdown tables.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import faiss
import numpy as np


def normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def clustered(n: int, d: int, seed: int, centres: int = 200, spread: float = 0.35) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = normalise(rng.standard_normal((centres, d)).astype(np.float32))
    x = c[rng.integers(0, centres, n)] + spread / math.sqrt(d) * rng.standard_normal((n, d)).astype(
        np.float32
    )
    return normalise(x)


def replicate(base: np.ndarray, n: int, noise: float, seed: int) -> np.ndarray:
    """n rows: base rows cycled, each copy plus N(0, noise²) per dimension, re-normalised."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float32)
    step = 200_000
    for s in range(0, n, step):
        e = min(n, s + step)
        rows = np.arange(s, e) % len(base)
        chunk = base[rows] + noise * rng.standard_normal((e - s, base.shape[1]), np.float32)
        out[s:e] = normalise(chunk)
    return out


def exact_top(x: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    best_s = np.full((len(q), k), -np.inf, np.float32)
    best_i = np.zeros((len(q), k), np.int64)
    for s in range(0, len(x), 250_000):
        sims = q @ x[s : s + 250_000].T
        kk = min(k, sims.shape[1])
        part = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        ps = np.take_along_axis(sims, part, 1)
        alls = np.concatenate([best_s, ps], 1)
        alli = np.concatenate([best_i, part + s], 1)
        order = np.argsort(-alls, axis=1)[:, :k]
        best_s = np.take_along_axis(alls, order, 1)
        best_i = np.take_along_axis(alli, order, 1)
    return best_s, best_i


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth, strict=True)]))


def index_bytes(index: faiss.Index, n: int, d: int) -> int:
    if isinstance(index, faiss.IndexFlat):
        return n * d * 4
    return int(faiss.serialize_index(index).size)


def latency(index: faiss.Index, q: np.ndarray, k: int, params, limit: int) -> tuple:
    found = np.zeros((len(q), k), np.int64)
    times = []
    for i in range(len(q)):
        t = time.perf_counter()
        _, rows = index.search(q[i : i + 1], k, params=params)
        times.append(time.perf_counter() - t)
        found[i] = rows[0]
        if i + 1 >= limit:
            break
    ms = 1000 * np.array(times)
    return found[: len(times)], float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def candidates(n: int, d: int, hnsw_max: int, nlist: int | None):
    nlist = nlist or max(16, 2 ** round(math.log2(4 * math.sqrt(n))))
    yield "Flat", {}, [("exact", None)]
    if n <= hnsw_max:
        yield "HNSW32,Flat", {"efConstruction": 200}, [(f"efSearch={e}", e) for e in (64, 128)]
        yield "HNSW32,SQ8", {"efConstruction": 200}, [(f"efSearch={e}", e) for e in (64, 128)]
    probes = [p for p in (8, 16, 32, 64, 128) if p <= nlist]
    yield f"IVF{nlist},SQ8", {}, [(f"nprobe={p}", p) for p in probes]
    m = d // 8 if d % 8 == 0 else d // 4
    yield f"IVF{nlist},PQ{m},Refine(SQ8)", {}, [(f"nprobe={p},k_factor=4", p) for p in probes]


def build(spec: str, extra: dict, x: np.ndarray, sample: int, seed: int) -> faiss.Index:
    index = faiss.index_factory(x.shape[1], spec, faiss.METRIC_INNER_PRODUCT)
    if "efConstruction" in extra:
        faiss.downcast_index(index).hnsw.efConstruction = extra["efConstruction"]
    if not index.is_trained:
        rng = np.random.default_rng(seed)
        nlist = faiss.extract_index_ivf(index).nlist if "IVF" in spec else 0
        size = min(len(x), max(sample, 40 * nlist))  # the product's rule (vectors._ivf)
        rows = np.sort(rng.choice(len(x), size, replace=False))
        index.train(x[rows])
    for s in range(0, len(x), 500_000):
        index.add(x[s : s + 500_000])
    return index


def params_for(index: faiss.Index, value) -> object:
    if value is None:
        return None
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexRefine):
        p = faiss.IndexRefineSearchParameters()
        p.k_factor = 4
        p.base_index_params = faiss.SearchParametersIVF(nprobe=value)
        return p
    if isinstance(inner, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(efSearch=value)
    return faiss.SearchParametersIVF(nprobe=value)


def product(x: np.ndarray, q: np.ndarray, truth: np.ndarray, k: int, seed: int) -> None:
    """explorer's own index: build, saved size, nprobe sweep, filtered searches."""
    import tempfile
    from pathlib import Path

    from explorer.index.vectors import VectorIndex

    n = len(x)
    t = time.perf_counter()
    index = VectorIndex.build(
        x, [str(i) for i in range(n)], model_id="m", corpus_hash="h", kind="ivf"
    )
    built = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        index.save(Path(tmp) / "ix")
        size = (Path(tmp) / "ix" / "index.faiss").stat().st_size
    print(
        f"\nVectorIndex ivf {index.meta.params}: build {built:.1f} s, "
        f"index.faiss {size / 1e6:.0f} MB"
    )
    print("\n| search | filter keeps | p50 ms | p95 ms | recall@10 | queries with k rows |")
    print("|---|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(seed + 7)
    filters: list[tuple[float, np.ndarray | None, np.ndarray]] = [(1.0, None, truth)]
    for share in (0.5, 0.01, 0.0002):
        allowed = rng.random(n) < share
        rows = np.flatnonzero(allowed)
        m = min(k, len(rows))
        filters.append((share, allowed, rows[exact_top(np.ascontiguousarray(x[rows]), q, m)[1]]))
    for nprobe in (64, 96, 128):
        index.meta.params["nprobe"] = nprobe
        for share, allowed, want in filters:
            found = np.zeros((len(q), k), np.int64)
            times = []
            for i in range(len(q)):
                t = time.perf_counter()
                _, r = index.search(q[i : i + 1], k, allowed=allowed)
                times.append(1000 * (time.perf_counter() - t))
                found[i] = r[0]
            full = np.mean((found >= 0).sum(1) == min(k, n if allowed is None else allowed.sum()))
            if allowed is not None:
                assert allowed[found[found >= 0]].all()
            print(
                f"| nprobe={nprobe} | {share:.2%} | {np.percentile(times, 50):.2f} | "
                f"{np.percentile(times, 95):.2f} | {recall(found[:, : want.shape[1]], want):.3f} | "
                f"{full:.0%} |",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", help="an (n, d) float32 .npy of L2-normalised rows")
    ap.add_argument("--n", type=int, help="corpus size (replicated with noise when larger)")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--noise", type=float, default=0.03, help="replication noise per dimension")
    ap.add_argument(
        "--sample",
        type=int,
        default=100_000,
        help="training sample: this many rows, or 40 per IVF list if more",
    )
    ap.add_argument("--nlist", type=int, help="IVF lists (default 4·√n, a power of two)")
    ap.add_argument("--hnsw-max", type=int, default=300_000, help="skip HNSW above this n")
    ap.add_argument("--flat-queries", type=int, default=200, help="timed queries for Flat")
    ap.add_argument("--only", help="run only candidates whose spec contains this")
    ap.add_argument("--threads", type=int, help="FAISS threads (default: FAISS's, as the product)")
    ap.add_argument(
        "--product",
        action="store_true",
        help="measure explorer's own VectorIndex(kind='ivf'): nprobe, filters, saved size",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tiny", action="store_true", help="synthetic 10k×32: a smoke run")
    a = ap.parse_args()
    k = 10
    if a.tiny and not a.threads:
        a.threads = 1  # a smoke run on a busy CI box: no OpenMP barriers to wait on
    if a.threads:
        faiss.omp_set_num_threads(a.threads)
    if a.tiny:
        base = clustered(10_000 + 50, 32, a.seed)
        a.queries, a.sample = 50, 5_000
    elif a.vectors:
        base = np.load(a.vectors, mmap_mode="r")
        base = np.ascontiguousarray(base, dtype=np.float32)
    else:
        ap.error("give --vectors or --tiny")
    rng = np.random.default_rng(a.seed)
    held = np.zeros(len(base), bool)
    held[rng.choice(len(base), a.queries, replace=False)] = True
    q = np.ascontiguousarray(base[held])
    rest = np.ascontiguousarray(base[~held])
    n = a.n or len(rest)
    x = rest[:n] if n <= len(rest) else replicate(rest, n, a.noise, a.seed + 1)
    del rest
    d = x.shape[1]
    t = time.perf_counter()
    truth_s, truth = exact_top(x, q, k)
    print(
        f"corpus {n:,}×{d} ({'replicated, noise ' + str(a.noise) if n > len(base) else 'real'}), "
        f"{len(q)} held-out queries; exact ground truth {time.perf_counter() - t:.1f} s; "
        f"mean cosine of the true 1st / 10th neighbour {truth_s[:, 0].mean():.3f} / "
        f"{truth_s[:, -1].mean():.3f}; faiss {faiss.__version__}, "
        f"{faiss.omp_get_max_threads()} threads, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if a.product:
        product(x, q, truth, k, a.seed)
        return
    print("\n| index | search | build s | MB | MB per 10M | p50 ms | p95 ms | recall@10 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for spec, extra, settings in candidates(n, d, a.hnsw_max, a.nlist):
        if a.only and a.only not in spec:
            continue
        t = time.perf_counter()
        index = build(spec, extra, x, a.sample, a.seed)
        built = time.perf_counter() - t
        size = index_bytes(index, n, d)
        for label, value in settings:
            limit = a.flat_queries if spec == "Flat" else len(q)
            found, p50, p95 = latency(index, q, k, params_for(index, value), limit)
            r = recall(found, truth[: len(found)])
            print(
                f"| {spec} | {label} | {built:.1f} | {size / 1e6:.0f} | "
                f"{size / n * 1e7 / 1e6:,.0f} | {p50:.2f} | {p95:.2f} | {r:.3f} |",
                flush=True,
            )
        del index
    print(f"\nload at the end {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
