"""Topic maps, the numeric half: vectors → 2-D map, clusters, cluster labels, representatives.

Arrays in, arrays and labels out. No model and no disk I/O here, and every random step takes a
seed, so that the same vectors give the same map and topics twice. `explorer.maps` draws them.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from explorer.papers import ExplorerError

if TYPE_CHECKING:  # umap imports numba and takes seconds: only load it when a map is made
    import umap

# Below this many points UMAP's spectral initialisation fails (k >= N); use PCA instead.
MIN_UMAP_POINTS = 5
LABEL_SEPARATOR = " · "


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
    k = max(1, min(k, old.shape[0]))
    sims = _unit(new) @ _unit(old).T  # (m, n) cosine
    top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    w = np.clip(np.take_along_axis(sims, top, axis=1), 1e-6, None)  # (m, k)
    return ((w[:, :, None] * xy[top]).sum(axis=1) / w.sum(axis=1, keepdims=True)).astype(np.float32)


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
    from sklearn.cluster import HDBSCAN

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
    hdb = HDBSCAN(min_cluster_size=mcs, max_cluster_size=cap, copy=True)
    labels = _renumber_by_size(hdb.fit_predict(x))
    if assign_noise:
        labels = _assign_noise(x, labels)
    return labels


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


# --- labels: class-based TF-IDF -------------------------------------------------------------

_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
# Text-style commands keep their argument ("\emph{robust}" → "robust"); the rest go.
_TEXT_CMD = re.compile(r"\\(?:emph|textbf|textit|texttt|textsc|textrm|text|mathrm)\s*\{([^{}]*)\}")
_CMD = re.compile(r"\\[a-zA-Z]+\*?|\\.")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# An n-gram never spans punctuation: "large language models (LLMs)" has no "models llms".
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”‘’/|]|\s[-–—]+\s")
_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Words that name no topic in an abstract, on top of scikit-learn's English stop words.
_GENERIC = frozenset(
    """paper propose proposed proposes approach approaches method methods results result show
    shows shown demonstrate demonstrates using use used uses based new novel existing work
    study studies present presents introduce introduces achieve achieves achieved significant
    significantly performance state-of-the-art sota extensive experiments experiment
    experimental effective effectively furthermore additionally including various different
    outperforms improves improved improve code available github address addresses
    addressing""".split()
)
# Too common in abstracts to name a topic alone, but fine inside an n-gram ("language models").
_WEAK = frozenset(
    """model models framework frameworks data task tasks system systems large problem problems
    high low level multiple single real world time recent challenging challenges key better
    learning""".split()
)
# c-TF-IDF reads at most this many abstracts in all (sampled evenly over clusters, seeded):
# a label needs a cluster's common words, not every document, and 100,000 abstracts have
# tens of millions of distinct trigrams.
MAX_LABEL_DOCS = 10_000
# A longer n-gram replaces a term it contains when at least this share of the cluster's
# documents holding the term hold the n-gram ("gaussian" → "gaussian splatting").
GROW = 0.6


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _GENERIC


def strip_latex(text: str) -> str:
    """Remove math, LaTeX commands and URLs, keeping the words of \\emph{...} and friends."""
    text = _MATH.sub(" ", text)
    text = _URL.sub(" ", text)
    prev = None
    while prev != text:  # nested \emph{\textbf{x}}
        prev, text = text, _TEXT_CMD.sub(r" \1 ", text)
    return _CMD.sub(" ", text).replace("{", " ").replace("}", " ")


def terms(text: str, *, ngrams: int = 3, stop: frozenset[str] | None = None) -> list[str]:
    """The terms of `text`: lower-case words and n-grams (n <= `ngrams`) of adjacent words.

    Stop words and punctuation break n-grams ("detection of toxicity" gives no bigram); weak
    words ("model", "data") count only inside n-grams; math and LaTeX commands are dropped.
    """
    stop = _stop_words() if stop is None else stop
    out: list[str] = []
    for phrase in _PHRASE_BREAK.split(strip_latex(text).lower()):
        run: list[str] = []  # the current run of adjacent content words
        for w in [*_TOKEN.findall(phrase), ""]:  # "" flushes the last run
            if w and w not in stop and len(w) > 1:
                run.append(w)
                continue
            for n in range(1, ngrams + 1):
                out += [
                    " ".join(run[i : i + n])
                    for i in range(len(run) - n + 1)
                    if n > 1 or run[i] not in _WEAK
                ]
            run = []
    return out


def _class_counts(
    texts: Sequence[str], labels: NDArray[np.integer], ngrams: int
) -> tuple[list[int], list[str], sparse.csr_matrix]:
    """classes (c,), vocabulary (t,), and (c, t) counts of the class's documents holding a term."""
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    if len(texts) != len(labels):
        raise ExplorerError(f"got {len(texts)} texts but {len(labels)} labels")
    stop = _stop_words()
    vec = CountVectorizer(analyzer=lambda t: terms(t, ngrams=ngrams, stop=stop), binary=True)
    try:
        docs = vec.fit_transform(texts)  # (n, t), 0/1
    except ValueError:  # nothing left after stop words: no vocabulary at all
        return [], [], sparse.csr_matrix((0, 0))
    classes = sorted(set(labels.tolist()))
    rows = np.searchsorted(classes, labels)
    member = sparse.csr_matrix(
        (np.ones(len(labels)), (rows, np.arange(len(labels)))), shape=(len(classes), len(labels))
    )
    return classes, list(vec.get_feature_names_out()), sparse.csr_matrix(member @ docs, dtype=float)


def _weigh(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    per_class = np.asarray(counts.sum(axis=1)).ravel()
    per_term = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log(1.0 + per_class.mean() / np.maximum(per_term, 1.0))
    tf = sparse.diags(1.0 / np.maximum(per_class, 1.0)) @ counts
    return sparse.csr_matrix(tf @ sparse.diags(idf))


def c_tf_idf(
    texts: Sequence[str], labels: NDArray[np.integer], *, ngrams: int = 3
) -> tuple[list[int], list[str], sparse.csr_matrix]:
    """Class-based TF-IDF (as BERTopic's): classes (c,), vocabulary (t,), sparse scores (c, t).

    tf(t, c) = documents of class c containing t, divided by the class's total (L1 row norm);
    idf(t) = log(1 + A / f(t)), A = average count per class, f(t) = count across all classes.
    Counting a term once per document keeps one abstract that repeats a word from naming a
    topic. Noise (-1) is a class here, so that its words are discounted, but gets no label.
    """
    classes, vocab, counts = _class_counts(texts, labels, ngrams)
    return classes, vocab, _weigh(counts) if classes else counts


def _stem(word: str) -> str:
    """Plural → singular, roughly ("games" → "game", "policies" → "policy", "class" stays)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _stems(term: str) -> set[str]:
    return {_stem(w) for w in term.split()}


def _acronym(term: str) -> str:
    words = term.split()
    return "".join(w[0] for w in words) if len(words) > 1 else "\0"


def _repeats(term: str, chosen: Sequence[str]) -> bool:
    """True if a word of `term` repeats one of `chosen`: same stem, or they share a prefix of
    4+ letters covering 80% of the shorter ("robot" / "robotic", "image" / "imaging")."""
    mine = _stems(term)
    for c in chosen:
        # "llms" repeats "large language models" (and the other way round)
        if _acronym(c) in mine or _acronym(term) in _stems(c):
            return True
        for a in mine:
            for b in _stems(c):
                p = len(os.path.commonprefix([a, b]))
                if a == b or (p >= 4 and p >= 0.8 * min(len(a), len(b))):
                    return True
    return False


def pick_terms(ranked: Sequence[tuple[str, float, float]], n_terms: int) -> list[str]:
    """Choose `n_terms` labels from (term, score, count) triples, best score first.

    No chosen term repeats a word of another. A term that mostly appears inside a longer one
    is shown as the longer one ("gaussian" → "gaussian splatting", "language models" → "large
    language models"): an n-gram containing the term in at least GROW times as many of the
    cluster's documents replaces it, repeatedly.
    """
    chosen: list[str] = []
    for term, _, count in ranked:
        if len(chosen) == n_terms:
            break
        if _repeats(term, chosen):
            continue
        grown = True
        while grown:
            grown = False
            for longer, _, c in ranked:
                if (
                    c >= GROW * count
                    and longer != term
                    and f" {term} " in f" {longer} "
                    and not _repeats(longer.replace(term, " "), chosen)
                ):
                    term, count, grown = longer, c, True
                    break
        chosen.append(term)
    return chosen


def _sample_rows(labels: NDArray[np.integer], limit: int, seed: int) -> NDArray[np.intp]:
    """At most `limit` rows, the same share of every class (seeded), in their original order."""
    n = len(labels)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = max(10, limit // len(classes))
    keep = [
        rng.permutation(rows)[:per_class] for c in classes for rows in [np.flatnonzero(labels == c)]
    ]
    return np.sort(np.concatenate(keep))


def label_clusters(
    texts: Sequence[str], labels: NDArray[np.integer], *, n_terms: int = 4, seed: int = 42
) -> dict[int, str]:
    """Name each cluster (labels >= 0) by its top c-TF-IDF terms: {cluster: "a · b · c · d"}.

    `texts` (n,) align with `labels` (n,); noise (-1) gets no name. Terms that repeat a word
    of a better term are skipped, so a label never says "game · games". Corpora larger than
    MAX_LABEL_DOCS are labelled from a seeded sample of each cluster.
    """
    labels = np.asarray(labels)
    if len(texts) != len(labels):
        raise ExplorerError(f"got {len(texts)} texts but {len(labels)} labels")
    rows = _sample_rows(labels, MAX_LABEL_DOCS, seed)
    classes, vocab, counts = _class_counts([texts[i] for i in rows], labels[rows], ngrams=3)
    if not classes:
        return {}
    scores = _weigh(counts)
    names: dict[int, str] = {}
    for row, c in enumerate(classes):
        if c < 0:
            continue
        r, k = scores.getrow(row), counts.getrow(row)
        # Best score first; ties broken alphabetically (the vocabulary is sorted) for stability.
        order = np.lexsort((r.indices, -r.data))[: 25 * n_terms]
        ranked = [(vocab[j], float(r[0, j]), float(k[0, j])) for j in r.indices[order]]
        names[int(c)] = LABEL_SEPARATOR.join(pick_terms(ranked, n_terms))
    return names


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
    """One cluster, for listing: id, label, size and its most central rows."""

    id: int
    label: str
    size: int
    rows: tuple[int, ...]

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "label": self.label, "size": self.size, "rows": list(self.rows)}


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
