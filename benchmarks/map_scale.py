"""A map for millions: sample fit + placement against a full UMAP fit, times at 1M, the page.

    python benchmarks/map_scale.py --tiny                      # seconds: a CI smoke run
    python benchmarks/map_scale.py quality --vectors V.npy --cache DIR [--samples 10000 25000]
    python benchmarks/map_scale.py million --vectors V.npy --papers P.jsonl.gz [--n 1000000]
    python benchmarks/map_scale.py page --vectors V.npy --papers P.jsonl.gz --cache DIR

`quality`: the full fit (cached in DIR, computed once) against sample fits whose other points are
placed at the median of their sampled neighbours' coordinates (`sampled.place`), at their
similarity-weighted mean (`topics.place`, growth's) or by umap's `transform`: time, ARI of the
clusters (HDBSCAN on all the points, as `landscape.compute`) against the full fit's, and
trustworthiness / 10-NN preservation on a seeded sample of points. `million`: the vectors
replicated to n rows with seeded Gaussian noise (σ per coordinate, then re-normalised), the
stages of `landscape.compute` timed one by one. `page`: the self-contained HTML page's size and
time to write, and its paint time in headless Chromium, at several point counts.
Prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explorer.maps import sampled, topics  # noqa: E402


def _clustered(n: int, d: int = 32, k: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d))
    x = centres[rng.integers(0, k, n)] + 0.35 * rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _clusters(coords: np.ndarray) -> np.ndarray:
    return topics.cluster(coords, assign_noise=True)


def _trust(x: np.ndarray, coords: np.ndarray, rows: np.ndarray, k: int = 10) -> tuple[float, float]:
    """(trustworthiness within the sampled rows, 10-NN preservation of the rows in all points)."""
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors

    t = float(trustworthiness(x[rows], coords[rows], n_neighbors=k, metric="cosine"))
    high, _ = topics.neighbours(x[rows], x, k + 1)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(coords)
    _, low = nn.kneighbors(coords[rows])
    kept = [
        len(set(h[h != r][:k].tolist()) & set(lo[lo != r][:k].tolist())) / k
        for r, h, lo in zip(rows, high, low, strict=True)
    ]
    return t, float(np.mean(kept))


def _sample_fit(x: np.ndarray, size: int, how: str, seed: int) -> tuple[np.ndarray, float, float]:
    """(coords, fit seconds, placement seconds) for a fit on a seeded sample of `size`."""
    n = len(x)
    rows = sampled.sample_rows(n, size, seed)
    rest = np.setdiff1d(np.arange(n), rows)
    t0 = time.perf_counter()
    reducer = topics.fit_reducer(x[rows], seed=seed)
    fitted = np.asarray(reducer.embedding_, dtype=np.float32)
    t1 = time.perf_counter()
    out = np.empty((n, 2), dtype=np.float32)
    out[rows] = fitted
    if how == "median":
        out[rest] = sampled.place(x[rest], x[rows], fitted, k=sampled.PLACE_K)
    elif how == "mean":
        out[rest] = topics.place(x[rest], x[rows], fitted, k=sampled.PLACE_K)
    else:
        out[rest] = reducer.transform(x[rest])
    return out, t1 - t0, time.perf_counter() - t1


def quality(x: np.ndarray, cache: Path, samples: list[int], hows: list[str], seed: int) -> None:
    from sklearn.metrics import adjusted_rand_score as ari

    cache.mkdir(parents=True, exist_ok=True)
    full_path = cache / f"full_coords_seed{seed}.npy"
    if full_path.exists():
        full = np.load(full_path)
        fit_s = json.loads((cache / f"full_seed{seed}.json").read_text())["fit_s"]
    else:
        t0 = time.perf_counter()
        full = topics.project(x, seed=seed)
        fit_s = time.perf_counter() - t0
        np.save(full_path, full)
        (cache / f"full_seed{seed}.json").write_text(json.dumps({"fit_s": fit_s, "n": len(x)}))
    t0 = time.perf_counter()
    ref = _clusters(full)
    cl_s = time.perf_counter() - t0
    rows = sampled.sample_rows(len(x), 3000, seed + 1)
    t, p = _trust(x, full, rows)
    print(f"\n{len(x):,} points; clusters of the full fit: {ref.max() + 1}; HDBSCAN {cl_s:.1f} s\n")
    print("| layout | fit s | place s | total s | topics | ARI vs full | trust@10 | 10-NN kept |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| full fit | {fit_s:.1f} | – | {fit_s:.1f} | {ref.max() + 1} | 1 | {t:.4f} | {p:.3f} |")
    for size in samples:
        for how in hows:
            coords, f, pl = _sample_fit(x, size, how, seed)
            got = _clusters(coords)
            t, p = _trust(x, coords, rows)
            print(
                f"| sample {size:,} + {how} | {f:.1f} | {pl:.1f} | {f + pl:.1f} | {got.max() + 1}"
                f" | {ari(ref, got):.3f} | {t:.4f} | {p:.3f} |",
                flush=True,
            )


def million(x: np.ndarray, texts: list[str], n: int, sigma: float, seed: int) -> None:
    from explorer.maps import labels as _labels  # noqa: F401  (imported before timing)

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    reps = -(-n // len(x))
    big = np.tile(x, (reps, 1))[:n]
    big[len(x) :] += rng.normal(scale=sigma, size=(n - len(x), x.shape[1])).astype(np.float32)
    big /= np.linalg.norm(big, axis=1, keepdims=True)
    big_texts = (texts * reps)[:n]
    print(
        f"\n{n:,} vectors ({reps} copies, σ={sigma} noise per coordinate, re-normalised), "
        f"made in {time.perf_counter() - t0:.1f} s\n",
        flush=True,
    )
    times: dict[str, float] = {}
    size = min(sampled.SAMPLE_SIZE, n)
    rows = sampled.sample_rows(n, size, seed)
    t0 = time.perf_counter()
    fitted = topics.project(big[rows], seed=seed)
    times["fit (UMAP on the sample)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rest = np.setdiff1d(np.arange(n), rows)
    coords = np.empty((n, 2), dtype=np.float32)
    coords[rows] = fitted
    coords[rest] = sampled.place(big[rest], big[rows], fitted, k=sampled.PLACE_K)
    times["placement"] = time.perf_counter() - t0
    print(
        f"fit {times['fit (UMAP on the sample)']:.1f} s, placement {times['placement']:.1f} s",
        flush=True,
    )
    t0 = time.perf_counter()
    clusters = topics.cluster(coords, assign_noise=True)
    times["clustering (HDBSCAN, all points)"] = time.perf_counter() - t0
    print(f"clustering {times['clustering (HDBSCAN, all points)']:.1f} s", flush=True)
    t0 = time.perf_counter()
    found = topics.summarize(big_texts, big, clusters)
    times["labelling (c-TF-IDF + representatives)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    keep = sampled.thin(coords, clusters, sampled.PAGE_POINT_LIMIT, seed=seed)
    times["thinning for the page"] = time.perf_counter() - t0
    print(f"\n{len(found)} topics; page keeps {len(keep):,} of {n:,} points\n")
    print("| stage | seconds |\n|---|---:|")
    for k, v in times.items():
        print(f"| {k} | {v:.1f} |")
    print(f"| total | {sum(times.values()):.1f} |")


def page(x: np.ndarray, corpus: object, cache: Path, counts: list[int], seed: int) -> None:
    import tempfile

    from explorer.maps.figure import map_figure
    from explorer.maps.page import write_html

    full = np.load(cache / f"full_coords_seed{seed}.npy")
    clusters = _clusters(full)
    names = {c: f"topic {c}" for c in range(int(clusters.max()) + 1)}
    papers = list(corpus)  # type: ignore[call-overload]
    print("\n| points | write s | MB | paint s (headless Chromium, software GL) |")
    print("|---:|---:|---:|---:|")
    for m in counts:
        reps = -(-m // len(x))
        rng = np.random.default_rng(seed)
        xy = np.tile(full, (reps, 1))[:m] + rng.normal(scale=0.05, size=(m, 2)).astype(np.float32)
        lab = np.tile(clusters, reps)[:m]
        ps = (papers * reps)[:m]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "map.html"
            t0 = time.perf_counter()
            write_html(map_figure(xy, ps, lab, names, title=f"{m:,}"), path)
            w = time.perf_counter() - t0
            mb = path.stat().st_size / 1e6
            paint = _paint(path)
        shown = min(m, sampled.PAGE_POINT_LIMIT)  # map_figure thins above the limit
        print(f"| {m:,} ({shown:,} shown) | {w:.1f} | {mb:.1f} | {paint} |", flush=True)


def _paint(path: Path) -> str:
    """Seconds from navigation until plotly has drawn the points (headless Chromium)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "n/a (no playwright)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        pg = b.new_page(viewport={"width": 1280, "height": 900})
        t0 = time.perf_counter()
        pg.goto(path.as_uri(), timeout=300_000)
        # The page's own scripts run once Plotly.newPlot has drawn: their note marks the end.
        pg.wait_for_selector("#explorer-hidden-labels", state="attached", timeout=300_000)
        s = time.perf_counter() - t0
        b.close()
    return f"{s:.1f}"


def tiny() -> None:
    """Seconds: sample fit vs full fit and thinning on 3,000 synthetic clustered points."""
    from sklearn.metrics import adjusted_rand_score as ari

    x = _clustered(3000)
    full = topics.project(x)
    ref = _clusters(full)
    coords = sampled.project_sampled(x, sample_size=800)
    got = _clusters(coords)
    keep = sampled.thin(coords, got, 500)
    print("| check | value |\n|---|---:|")
    print(f"| ARI sample fit vs full fit | {ari(ref, got):.3f} |")
    print(f"| thinned points | {len(keep)} of {len(x)} |")
    kept, all_ = len(set(got[keep].tolist())), len(set(got.tolist()))
    print(f"| topics kept by thinning | {kept} of {all_} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("what", nargs="?", choices=("quality", "million", "page"))
    ap.add_argument("--tiny", action="store_true", help="a seconds-long smoke run")
    ap.add_argument("--vectors", type=Path)
    ap.add_argument("--papers", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/work/exp/map74k"))
    ap.add_argument("--samples", type=int, nargs="+", default=[10_000, 25_000])
    ap.add_argument("--how", nargs="+", default=["median", "mean", "transform"])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--sigma", type=float, default=0.002)
    ap.add_argument("--counts", type=int, nargs="+", default=[25_000, 75_000, 150_000])
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if a.tiny or a.what is None:
        tiny()
        return
    x = np.load(a.vectors, mmap_mode="r").astype(np.float32)
    if a.what == "quality":
        quality(x, a.cache, a.samples, a.how, a.seed)
        return
    from explorer.readers import read_corpus

    corpus = read_corpus(a.papers)
    if a.what == "million":
        million(x, [p.text for p in corpus], a.n, a.sigma, a.seed)
    else:
        page(x, corpus, a.cache, a.counts, a.seed)


if __name__ == "__main__":
    main()
