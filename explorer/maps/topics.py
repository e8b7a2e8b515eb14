"""Topic maps, the numeric half: vectors → 2-D map, clusters, representatives, topic summaries.

Arrays in, arrays and labels out. No model and no disk I/O here, and every random step takes a
seed, so that the same vectors give the same map and topics twice. `explorer.maps.labels` names the
clusters and `explorer.maps.figure` draws them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from explorer.maps.labels import label_clusters
from explorer.papers import ExplorerError, Paper

if TYPE_CHECKING:  # umap imports numba and takes seconds: only load it when a map is made
    import umap

# Below this many points UMAP's spectral initialisation fails (k >= N); use PCA instead.
MIN_UMAP_POINTS = 5


def _check_vectors(vectors: NDArray[np.floating]) -> NDArray[np.float32]:
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ExplorerError(f"vectors must be a 2-D array (n, d), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ExplorerError("vectors contain NaN or infinite values")
    return x


def fit_reducer(
    vectors: NDArray[np.floating],
    *,
    n_components: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 42,
) -> umap.UMAP:
    """Fit a seeded cosine UMAP on `vectors` (n, d); the layout is `reducer.embedding_` (n, c).

    Keep the reducer to place new papers later with `reducer.transform(new)` (old points do
    not move); `place` does the same without any fitted object. Needs n >= MIN_UMAP_POINTS.
    """
    x = _check_vectors(vectors)
    n = x.shape[0]
    if n < MIN_UMAP_POINTS:
        raise ExplorerError(f"UMAP needs at least {MIN_UMAP_POINTS} papers, got {n}")
    if n_components < 1 or n_neighbors < 2:
        raise ExplorerError(
            f"need n_components >= 1 and n_neighbors >= 2, got {n_components}, {n_neighbors}"
        )
    with warnings.catch_warnings():
        # umap's __init__ warns that TensorFlow (for ParametricUMAP, unused here) is missing.
        warnings.filterwarnings(
            "ignore", message="Tensorflow not installed", category=ImportWarning
        )
        import umap

    reducer = umap.UMAP(
        n_components=n_components,
        # UMAP truncates (with a warning) when n_neighbors >= n: adapt quietly instead.
        n_neighbors=max(2, min(n_neighbors, n - 1)),
        min_dist=min_dist,
        metric="cosine",
        random_state=seed,
        n_jobs=1,  # a seed forces one thread anyway; saying so avoids UMAP's override warning
        # Tiny corpora: spectral init needs more points than dimensions + 1.
        init="spectral" if n > n_components + 2 else "random",
    )
    with warnings.catch_warnings():
        # Benign on small or duplicate-rich corpora (UMAP falls back to a random init itself).
        warnings.filterwarnings("ignore", message=".*disconnected from the manifold", module="umap")
        warnings.filterwarnings("ignore", message="Combined graph is not connected", module="umap")
        warnings.filterwarnings("ignore", message=".*k >= N for N \\* N square matrix")
        reducer.fit(x)
    return reducer


def _pca(x: NDArray[np.float32], n_components: int) -> NDArray[np.float32]:
    """A deterministic layout for corpora too small for UMAP: (n, d) → (n, n_components)."""
    out = np.zeros((x.shape[0], n_components), dtype=np.float32)
    if x.shape[0] < 2:
        return out
    centred = x - x.mean(axis=0)
    if not centred.any():
        return out
    u, s, _ = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    k = min(n_components, len(s))
    comps = u[:, :k] * s[:k]
    # SVD signs are arbitrary: fix them so that the largest entry of each axis is positive.
    signs = np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(k)])
    out[:, :k] = comps * np.where(signs == 0, 1.0, signs)
    return out


def project(
    vectors: NDArray[np.floating],
    *,
    n_components: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 42,
) -> NDArray[np.float32]:
    """Map `vectors` (n, d) to float32 (n, n_components) with a seeded cosine UMAP.

    Same inputs, same coordinates. Corpora of fewer than MIN_UMAP_POINTS papers get a PCA layout.
    """
    x = _check_vectors(vectors)
    if x.shape[0] < MIN_UMAP_POINTS:
        return _pca(x, n_components)
    reducer = fit_reducer(
        x, n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist, seed=seed
    )
    return np.asarray(reducer.embedding_, dtype=np.float32)


def place(
    new_vectors: NDArray[np.floating],
    vectors: NDArray[np.floating],
    coords: NDArray[np.floating],
    *,
    k: int = 10,
) -> NDArray[np.float32]:
    """Place new papers (m, d) on an existing map without moving it: float32 (m, 2).

    Each new point goes to the similarity-weighted mean of the map coordinates `coords` (n, 2)
    of its k most similar old `vectors` (n, d), as UMAP's own `transform` initialises them.
    Needs only what a workspace already saves (vectors, coordinates): no fitted model, no pickle.
    """
    new = _check_vectors(new_vectors)
    old = _check_vectors(vectors)
    xy = np.asarray(coords, dtype=np.float32)
    if old.shape[0] == 0 or old.shape[0] != xy.shape[0]:
        raise ExplorerError(
            f"need as many coordinates as vectors, got {xy.shape[0]}, {old.shape[0]}"
        )
    top, sims = neighbours(new, old, k)
    w = np.clip(sims, 1e-6, None)  # (m, k)
    return ((w[:, :, None] * xy[top]).sum(axis=1) / w.sum(axis=1, keepdims=True)).astype(np.float32)


def neighbours(
    new: NDArray[np.floating], old: NDArray[np.floating], k: int, chunk: int = 256
) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """The k most cosine-similar rows of `old` (n, d) for each row of `new` (m, d), best first
    (ties by row): (rows (m, k), cosines (m, k)). Exact, in chunks of `new` to bound memory."""
    a, b = _unit(_check_vectors(new)), _unit(_check_vectors(old))
    k = max(1, min(k, b.shape[0]))
    rows = np.empty((a.shape[0], k), dtype=np.intp)
    out = np.empty((a.shape[0], k), dtype=np.float32)
    for i in range(0, a.shape[0], chunk):
        sims = a[i : i + chunk] @ b.T  # (c, n)
        part = (
            np.argpartition(-sims, k - 1, axis=1)[:, :k]
            if k < b.shape[0]
            else np.broadcast_to(np.arange(b.shape[0]), sims.shape)
        )
        ps = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -ps), axis=1)  # by cosine, ties by row
        rows[i : i + chunk] = np.take_along_axis(part, order, axis=1)
        out[i : i + chunk] = np.take_along_axis(ps, order, axis=1)
    return rows, out


def _unit(x: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def default_min_cluster_size(n: int) -> int:
    """Smallest topic worth naming in a corpus of n papers: about sqrt(n) / 2, at least 3
    (3 at 40 papers, 32 at 4,000, 158 at 100,000), so topics stay few enough to read."""
    return max(3, round(math.sqrt(n) / 2))


def default_max_cluster_size(n: int) -> int | None:
    """No topic may hold more than a fifth of a corpus (None: no cap below 250 papers).

    Without a cap HDBSCAN's "excess of mass" often keeps the map's whole main continent as one
    cluster (2 clusters on the 3,990-paper subset for 4 UMAP seeds in 5); n/5 measured best
    (n/10 and n/20 are worse). Small corpora do not collapse, and a cap there pushes real
    topics into noise (the seed corpus's 13 moderation papers), hence the floor of 50.
    """
    cap = max(n // 5, 50)
    return cap if cap < n else None


def cluster(
    points: NDArray[np.floating],
    *,
    min_cluster_size: int | None = None,
    max_cluster_size: int | None = None,
    assign_noise: bool = False,
) -> NDArray[np.intp]:
    """HDBSCAN on `points` (n, c): labels (n,) with -1 = noise, clusters numbered 0.. by size.

    Meant for the 2-D map itself: clusters are then contiguous on the map, and clustering a
    separate 5-D UMAP measured no better on the 3,990-paper subset. Defaults derive from n
    (`default_min_cluster_size`, `default_max_cluster_size`). `assign_noise=True` gives every
    would-be noise point the cluster of its nearest clustered point. HDBSCAN has no random
    step: the same points give the same labels.
    """
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ExplorerError(f"points must be a finite 2-D array (n, c), got shape {x.shape}")
    n = x.shape[0]
    mcs = default_min_cluster_size(n) if min_cluster_size is None else min_cluster_size
    cap = default_max_cluster_size(n) if max_cluster_size is None else max_cluster_size
    if mcs < 2:
        raise ExplorerError(f"min_cluster_size must be at least 2, got {mcs}")
    if cap is not None and cap < mcs:
        raise ExplorerError(f"max_cluster_size ({cap}) is smaller than min_cluster_size ({mcs})")
    if n < max(mcs, 2):
        return np.full(n, -1, dtype=np.intp)
    labels = _renumber_by_size(_hdbscan(x, mcs, cap))
    if assign_noise:
        labels = _assign_noise(x, labels)
    return labels


# Topics of a corpus of at most this many papers come from its vectors, not its map (see
# `cluster_vectors`). Measured on samples of the 3,990-paper subset (docs/quality.md): at 100
# papers the vectors' topics are as good (V 0.48-0.63 against 0.58) and hold under bf16 noise
# (ARI 1.0 against 0.50-0.63); from 300 on, the map's topics are better (V 0.53-0.57 against
# 0.38-0.49), though they also move between processors (ARI 0.5-0.77).
SMALL_CORPUS = 200
# Average-linkage cut on cosine distance: a topic's papers are, on average, at cosine >= 0.4
# to each other (all-MiniLM-L6-v2 puts abstracts of one topic at about 0.4 to 0.6).
LINK_CUT = 0.6


def cluster_vectors(
    vectors: NDArray[np.floating],
    *,
    min_cluster_size: int | None = None,
    assign_noise: bool = False,
    cut: float = LINK_CUT,
) -> NDArray[np.intp]:
    """Topics of a small corpus: average-linkage clusters of its vectors (n, d) by cosine distance,
    cut at `cut`; labels (n,) as `cluster` gives them (-1 noise, 0.. by size).

    A 41-paper map is chaotic: UMAP's layout of it moves with the last bits of the vectors, and
    HDBSCAN on the layout changed the seed corpus's topics (ARI 0.43-0.81 against the
    unperturbed ones) under noise of 1e-3, and between processors. Merge heights in the vectors'
    own space move only as much as the vectors do: the same topics (ARI 1.0) under float32, int8
    and bf16 vectors, and under random noise of 0.075 (L2, on unit vectors; bf16 moves them by
    0.007), where HDBSCAN on the map broke at 0.001 (docs/quality.md). Clusters smaller than
    `min_cluster_size` are noise; `assign_noise=True` gives each noise paper the cluster of its
    most similar clustered paper (more stable than the most similar cluster on average, which
    moved a paper between the int8 and float32 vectors). No random step.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    x = _unit(_check_vectors(vectors)).astype(np.float64)
    n = x.shape[0]
    mcs = default_min_cluster_size(n) if min_cluster_size is None else min_cluster_size
    if mcs < 2:
        raise ExplorerError(f"min_cluster_size must be at least 2, got {mcs}")
    if n < max(mcs, 2):
        return np.full(n, -1, dtype=np.intp)
    # A zero vector has no direction: its cosine distance (NaN) is taken as 1, orthogonal.
    distances = np.clip(np.nan_to_num(pdist(x, "cosine"), nan=1.0), 0.0, 2.0)
    merges = linkage(distances, method="average")
    raw = fcluster(merges, t=cut, criterion="distance").astype(np.intp) - 1
    sizes = np.bincount(raw)
    labels = _renumber_by_size(np.where(sizes[raw] >= mcs, raw, -1))
    if assign_noise:
        labels = _assign_noise(x, labels)  # nearest by L2 on unit vectors: by cosine
    return labels


def _hdbscan(x: NDArray[np.float64], min_cluster_size: int, cap: int | None) -> NDArray[np.intp]:
    """Raw HDBSCAN labels: the scikit-learn-contrib package's Borůvka k-d tree with the exact
    minimum spanning tree, O(n log n) in 2-D where scikit-learn's HDBSCAN (Prim's, O(n²))
    takes 28 s at 75k points instead of 3 s. Given min_samples one less (its min_samples counts one
    neighbour more than scikit-learn's) it reproduces scikit-learn's labels: ARI 0.999 on the
    74,728-paper map (docs/benchmarks.md)."""
    import hdbscan

    hdb = hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=max(1, min_cluster_size - 1),
        max_cluster_size=cap or 0,
        algorithm="boruvka_kdtree" if x.shape[1] <= 16 else "best",
        approx_min_span_tree=False,  # the approximate tree measured ARI 0.87 against the exact
        core_dist_n_jobs=1,  # 2 was slower on 2 cores
    )
    return np.asarray(hdb.fit_predict(x), dtype=np.intp)


def _renumber_by_size(raw: NDArray[np.integer]) -> NDArray[np.intp]:
    """Renumber clusters 0, 1, ... from largest to smallest (ties: first row first)."""
    out = np.full(len(raw), -1, dtype=np.intp)
    ids = [c for c in dict.fromkeys(raw.tolist()) if c >= 0]
    ids.sort(key=lambda c: -int((raw == c).sum()))
    for new, old in enumerate(ids):
        out[raw == old] = new
    return out


def _assign_noise(x: NDArray[np.float64], labels: NDArray[np.intp]) -> NDArray[np.intp]:
    noise = labels < 0
    if not noise.any() or noise.all():
        return labels
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=1).fit(x[~noise])
    _, idx = nn.kneighbors(x[noise])
    out = labels.copy()
    out[noise] = labels[~noise][idx[:, 0]]
    return out


# --- representatives and a summary ---------------------------------------------------------


def representatives(
    vectors: NDArray[np.floating], labels: NDArray[np.integer], k: int = 3
) -> dict[int, list[int]]:
    """For each cluster (labels >= 0), the rows of its k papers closest (cosine) to its centroid.

    `vectors` (n, d), `labels` (n,); rows best first, ties by row. The centroid is the mean of
    the cluster's unit vectors, so that every paper weighs the same whatever its norm.
    """
    if k < 1:
        raise ExplorerError(f"k must be a positive integer, got {k}")
    x = _unit(_check_vectors(vectors))
    labels = np.asarray(labels)
    if labels.shape != (x.shape[0],):
        raise ExplorerError(f"need one label per vector, got {labels.shape} for {x.shape[0]}")
    out: dict[int, list[int]] = {}
    for c in sorted(set(labels[labels >= 0].tolist())):
        rows = np.flatnonzero(labels == c)
        centroid = x[rows].mean(axis=0)
        sims = x[rows] @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
        out[int(c)] = rows[np.argsort(-sims, kind="stable")[:k]].tolist()
    return out


@dataclass(frozen=True)
class Topic:
    """One cluster, for listing: id, label, size, its most central rows and (from
    `Explorer.topics()`) those papers themselves; in the topic tree (`maps.tree`) its level
    (0 the coarsest), its parent's id one level up and its children's ids one level down."""

    id: int
    label: str
    size: int
    rows: tuple[int, ...]
    papers: tuple[Paper, ...] = field(default=(), compare=False)
    level: int = 0
    parent: int | None = None
    children: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        """The topic's name across levels, "LEVEL.ID", as `topic=` filters take it."""
        return f"{self.level}.{self.id}"

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"id": self.id, "label": self.label, "size": self.size}
        d |= {"rows": list(self.rows), "level": self.level, "parent": self.parent}
        d["children"] = list(self.children)
        if self.papers:
            d["papers"] = [{"id": p.id, "title": p.title} for p in self.papers]
        return d


def summarize(
    texts: Sequence[str],
    vectors: NDArray[np.floating],
    labels: NDArray[np.integer],
    *,
    n_terms: int = 4,
    k: int = 3,
) -> list[Topic]:
    """Every cluster as a `Topic`, biggest first (what `explorer topics` prints).

    `texts` (n,), `vectors` (n, d) and `labels` (n,) are aligned; noise is not a topic.
    """
    labels = np.asarray(labels)
    names = label_clusters(texts, labels, n_terms=n_terms)
    reps = representatives(vectors, labels, k=k)
    sizes = {c: int((labels == c).sum()) for c in reps}
    return [
        Topic(c, names.get(c, ""), sizes[c], tuple(reps[c]))
        for c in sorted(reps, key=lambda c: (-sizes[c], c))
    ]
