"""Maps of very many papers: UMAP fitted on a seeded sample and the rest placed; a thinned page.

A full UMAP fit grows faster than the corpus (minutes at 75,000 papers on one core) and a
self-contained Plotly page slows down and grows with every point. Above `SAMPLE_FIT_MIN` papers
the layout is fitted on a seeded sample of `SAMPLE_SIZE` and every other paper goes where its
most similar sampled papers are (`topics.place`, the placement growth already uses; measured
against umap's own `transform` in benchmarks/map_scale.py). Clusters and labels are still
computed on all the points. Above `PAGE_POINT_LIMIT` points the HTML page shows a density-thinned
subset (`thin`) that keeps every topic and the sparse regions, and says how many it shows.
Every random step is seeded: the same vectors give the same map twice.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from explorer.maps import topics
from explorer.papers import ExplorerError

# Above this many papers UMAP is fitted on a sample. Measured (benchmarks/map_scale.py quality,
# title vectors of arXiv cs 2025): at 74,728 papers a full fit took 492 s on a loaded 2-core EPYC,
# a fit on 25,000 plus placement about a third of that, but its topics agree with the full
# fit's only partly (ARI ~0.4-0.5; the full fit's own topics move between processors, ARI
# 0.5-0.77 at 3,990 papers, docs/quality.md). A full fit is the better map while it costs less
# than embedding the papers did (~90 abstracts/s: 37 min for 200,000), so it is kept below
# 200,000 papers, where the vector index also turns approximate (index.vectors.HNSW_MIN).
SAMPLE_FIT_MIN = 200_000
# Papers in the fitted sample: enough that every topic of a million papers holds dozens of them
# (the smallest topic at 1M papers is 500), few enough that the fit takes minutes, not hours.
SAMPLE_SIZE = 25_000
# Neighbours a placed paper's position is the median of.
PLACE_K = 10
# From this many papers to place, their neighbours come from an HNSW graph of the sample:
# exact search costs ~2-3 ms a paper on 2 cores against 25,000 (45 minutes for a million).
APPROX_MIN = 200_000
# Above this many points the self-contained page is thinned (see `thin`). Measured
# (benchmarks/map_scale.py page, headless Chromium, software GL, 2 loaded cores): 25,000
# points 17 MB, painted in 4.7 s; 75,000 42 MB, 12.2 s; 100,000 55 MB, 11.0 s. The page grows
# by ~0.5 KB a point (its hover text): a million would be ~500 MB, which no browser opens well.
PAGE_POINT_LIMIT = 100_000
# Thinning grid: the map's bounding box in GRID x GRID cells.
GRID = 128


def sample_rows(n: int, size: int, seed: int) -> NDArray[np.intp]:
    """A seeded sample of `size` rows out of n (all of them if size >= n), sorted."""
    if size >= n:
        return np.arange(n, dtype=np.intp)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=size, replace=False)).astype(np.intp)


def project_sampled(
    vectors: NDArray[np.floating],
    *,
    sample_size: int = SAMPLE_SIZE,
    n_components: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 42,
    k: int = PLACE_K,
) -> NDArray[np.float32]:
    """Like `topics.project`, but UMAP sees only a seeded sample of `sample_size` rows; every
    other row is placed at the per-axis median of its k most similar sampled rows' points.
    Returns float32 (n, n_components); sampled rows keep their fitted coordinates."""
    x = np.asarray(vectors, dtype=np.float32)
    n = x.shape[0]
    if sample_size < topics.MIN_UMAP_POINTS:
        raise ExplorerError(f"sample_size must be at least {topics.MIN_UMAP_POINTS}")
    rows = sample_rows(n, sample_size, seed)
    fitted = topics.project(
        x[rows], n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist, seed=seed
    )
    out = np.empty((n, fitted.shape[1]), dtype=np.float32)
    out[rows] = fitted
    rest = np.setdiff1d(np.arange(n), rows)
    if len(rest):
        out[rest] = place(x[rest], x[rows], fitted, k=k)
    return out


def place(
    new: NDArray[np.float32], old: NDArray[np.float32], coords: NDArray[np.float32], k: int
) -> NDArray[np.float32]:
    """Each row of `new` at the per-axis median of the coordinates of its k most similar rows of
    `old`. The median, not `topics.place`'s weighted mean: a paper whose neighbours straddle two
    topics lands in one of them instead of on a bridge between them, which HDBSCAN would take
    for a topic of its own or use to merge two (ARI 0.43 against 0.33 for the mean, placing
    the 64,728 papers around the full fit's own coordinates of a 10,000 sample)."""
    top = _neighbours(new, old, k)
    return np.median(coords[top], axis=1).astype(np.float32)


def _neighbours(new: NDArray[np.float32], old: NDArray[np.float32], k: int) -> NDArray[np.intp]:
    """The rows of the k most similar `old` rows for each `new` row: exact up to APPROX_MIN new
    rows, else by an HNSW graph of `old` (built on one thread, so the same graph every time)."""
    if len(new) < APPROX_MIN:
        return topics.neighbours(new, old, k)[0]
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        index = faiss.IndexHNSWFlat(old.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.add(np.ascontiguousarray(old, dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(threads)
    index.hnsw.efSearch = 64
    _, found = index.search(np.ascontiguousarray(new, dtype=np.float32), min(k, len(old)))
    top = np.asarray(found, dtype=np.intp)
    # A graph walk that found fewer than k rows marks the rest -1: those rows are found exactly
    # (a -1 would index the last sampled point, silently).
    short = np.flatnonzero((top < 0).any(axis=1))
    if len(short):
        top[short] = topics.neighbours(new[short], old, k)[0]
    return top


def project_any(
    vectors: NDArray[np.floating],
    *,
    n_components: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 42,
) -> tuple[NDArray[np.float32], int]:
    """The map of `vectors`: a full fit up to SAMPLE_FIT_MIN rows, a sample fit above.

    Returns (coords, sampled): sampled is the size of the fitted sample, 0 for a full fit."""
    n = int(np.asarray(vectors).shape[0])
    kw = dict(n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist, seed=seed)
    if n < SAMPLE_FIT_MIN or n <= SAMPLE_SIZE:
        return topics.project(vectors, **kw), 0  # type: ignore[arg-type]
    return project_sampled(vectors, sample_size=SAMPLE_SIZE, **kw), SAMPLE_SIZE  # type: ignore[arg-type]


def thin(
    coords: NDArray[np.floating],
    clusters: NDArray[np.integer],
    limit: int,
    *,
    seed: int = 42,
    grid: int = GRID,
) -> NDArray[np.intp]:
    """Rows to draw when a map has more than `limit` points: at most `limit` of them, sorted.

    The map's box is cut into grid x grid cells; each (cell, topic) group keeps up to q of its
    points (a seeded random choice), q the largest that fits, and the budget left over goes to
    the groups still holding points, at random. So sparse regions keep every point, dense ones
    lose most, and every topic (noise included) keeps at least one point when there are at most
    `limit` topics. Up to `limit` points, every row is kept. Deterministic for a seed.
    """
    xy = np.asarray(coords, dtype=np.float64)
    labels = np.asarray(clusters)
    n = xy.shape[0]
    if labels.shape != (n,) or xy.ndim != 2:
        raise ExplorerError(f"need coords (n, 2) and clusters (n,), got {xy.shape}, {labels.shape}")
    if limit < 1:
        raise ExplorerError(f"limit must be at least 1, got {limit}")
    if n <= limit:
        return np.arange(n, dtype=np.intp)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    cell = np.clip(((xy - lo) / span * grid).astype(np.int64), 0, grid - 1)
    topic = np.unique(labels, return_inverse=True)[1].astype(np.int64)
    group = (topic * grid + cell[:, 0]) * grid + cell[:, 1]
    priority = np.random.default_rng(seed).permutation(n)
    order = np.lexsort((priority, group))  # by group, then at random within it
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    counts = np.bincount(np.minimum(rank, n - 1))  # points of rank r, r = 0, 1, ...
    q = int(np.searchsorted(np.cumsum(counts), limit, side="right"))  # ranks < q fit
    keep = rank < q
    left = limit - int(keep.sum())
    if q == 0:  # more groups than the limit: first a point of each topic, then any rank-0 point
        firsts = order[starts]
        by_topic = firsts[np.unique(topic[firsts], return_index=True)[1]][:limit]
        keep[by_topic] = True
        left = limit - len(by_topic)
    if left > 0:
        candidates = np.flatnonzero((rank == q) & ~keep)
        candidates = candidates[np.argsort(priority[candidates], kind="stable")]
        keep[candidates[:left]] = True
    return np.flatnonzero(keep).astype(np.intp)


def page_rows(
    coords: NDArray[np.floating],
    clusters: NDArray[np.integer],
    limit: int | None = None,
    keep: object = (),
) -> NDArray[np.intp] | None:
    """The rows a page draws: None (all of them) up to `limit` (default PAGE_POINT_LIMIT) points,
    else `thin`'s rows plus those in `keep` (a query's highlighted papers), sorted."""
    limit = PAGE_POINT_LIMIT if limit is None else limit
    if len(coords) <= limit:
        return None
    rows = thin(coords, clusters, limit)
    return np.union1d(rows, np.fromiter(keep, dtype=np.intp)).astype(np.intp)  # type: ignore[call-overload]
