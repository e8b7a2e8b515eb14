"""The landscape of a corpus: map coordinates, clusters and topic labels, computed once and kept.

`compute` wires the array functions of `topics.py` and `tree.py`; `save`/`load` keep the result
beside the corpus (`<corpus>/landscape/`: coords.npy, clusters.npy, topics.json and, for a topic
tree of several levels, levels.npy) keyed by the corpus hash and every setting, so the map is
recomputed only when the vectors or the settings change. A landscape saved before topic trees
loads as a tree of one level.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer import atomic
from explorer.maps import sampled, topics, tree
from explorer.papers import Corpus, ExplorerError
from explorer.progress import Stages

# 2: labels without generic filler (maps/labels.py); a saved landscape of 1 is laid out again.
FORMAT_VERSION = 2
CLUSTERERS = ("auto", "map", "vectors")


@dataclass(frozen=True)
class Settings:
    """Everything that decides the landscape; recorded in topics.json with the seed."""

    seed: int = 42
    n_neighbors: int = 15
    min_dist: float = 0.1
    # "vectors": average-linkage topics of the vectors (stable under last-bit noise); "map":
    # HDBSCAN on the map; "auto": vectors up to topics.SMALL_CORPUS papers, the map above.
    clusterer: str = "auto"
    cluster_dims: int = 2  # "map": cluster the 2-D map itself, or a separate UMAP of this many dims
    min_cluster_size: int | None = None  # None: derived from the corpus size
    assign_noise: bool = True  # measured: V 0.534 vs 0.462 kept-noise on the 3,990 subset
    n_terms: int = 4

    def same_layout(self, other: Settings) -> bool:
        """Whether `other` lays out the same 2-D map (only the topics may differ)."""
        return (self.seed, self.n_neighbors, self.min_dist) == (
            other.seed,
            other.n_neighbors,
            other.min_dist,
        )

    def key(self, corpus_hash: str) -> str:
        blob = json.dumps(
            {"corpus": corpus_hash, **asdict(self), "v": FORMAT_VERSION}, sort_keys=True
        )
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Landscape:
    coords: NDArray[np.float32]  # (n, 2)
    clusters: NDArray[np.intp]  # (n,), -1 = noise
    topics: list[topics.Topic]
    settings: Settings
    key: str
    extra: dict[str, Any] = field(default_factory=dict)
    tree_: tree.Tree | None = None  # None: one level, `clusters` and `topics`

    @property
    def label_names(self) -> dict[int, str]:
        return {t.id: t.label for t in self.topics}

    @property
    def tree(self) -> tree.Tree:
        """The topic tree; `clusters` and `topics` are its default level."""
        return self.tree_ or tree.Tree.flat(self.clusters, self.topics)


def compute(
    vectors: NDArray[np.float32],
    texts: Sequence[str],
    settings: Settings,
    corpus_hash: str,
    stages: Stages | None = None,
    *,
    reuse: Landscape | None = None,
) -> Landscape:
    """Vectors (n, d) and texts (n,) → the landscape; every random step seeded by the settings.

    `reuse`: a landscape of the same vectors; when the settings lay out the same map (seed,
    neighbours, distance) only the topics are found again, on its map (re-clustering then takes
    seconds instead of a UMAP run)."""
    s, stage, n = settings, stages or Stages(), f"{len(texts):,} papers"
    if s.clusterer not in CLUSTERERS:
        raise ExplorerError(
            f"unknown clusterer {s.clusterer!r} (choose from: {', '.join(CLUSTERERS)})"
        )
    on_vectors = s.clusterer == "vectors" or (
        s.clusterer == "auto" and len(texts) <= topics.SMALL_CORPUS
    )
    if reuse is not None and reuse.settings.same_layout(s) and len(reuse.coords) == len(texts):
        coords, fitted_on = reuse.coords, int(reuse.extra.get("sample_fit", 0))
    else:
        with stage("project", f"{n} with UMAP (seed {s.seed}){_how(len(texts))}"):
            coords, fitted_on = sampled.project_any(
                vectors, n_neighbors=s.n_neighbors, min_dist=s.min_dist, seed=s.seed
            )
    space = coords
    if s.cluster_dims > 2 and not on_vectors:
        with stage("project", f"{n} in {s.cluster_dims} dimensions, for clustering"):
            space, _ = sampled.project_any(
                vectors,
                n_components=s.cluster_dims,
                n_neighbors=s.n_neighbors,
                min_dist=0.0,
                seed=s.seed,
            )
    if on_vectors:
        with stage("cluster", f"{n} by average linkage of their vectors"):
            clusters = topics.cluster_vectors(
                vectors, min_cluster_size=s.min_cluster_size, assign_noise=s.assign_noise
            )
    else:
        with stage("cluster", f"{n} with HDBSCAN"):
            clusters = topics.cluster(
                space, min_cluster_size=s.min_cluster_size, assign_noise=s.assign_noise
            )
    with stage("label", "topics, at every level of their tree"):
        grown = tree.build(vectors, coords, clusters, list(texts), n_terms=s.n_terms, seed=s.seed)
    found = list(grown.topics[grown.default])
    # Clusters and labels above came from every point, whether the layout was fitted on all of
    # them or on a sample (sample_fit: its size, saved in topics.json; 0: a full fit).
    extra = {"sample_fit": fitted_on} if fitted_on else {}
    return Landscape(coords, clusters, found, s, s.key(corpus_hash), extra, grown)


def _how(n: int) -> str:
    if n < sampled.SAMPLE_FIT_MIN or n <= sampled.SAMPLE_SIZE:
        return ""
    return f", fitted on a seeded sample of {sampled.SAMPLE_SIZE:,}, the rest placed"


def view_key(corpus_hash: str, model_id: str) -> str:
    """What a view (a landscape of one-off settings, kept beside the corpus) is keyed by: the
    corpus and the model, since a rebuild with another model or backend keeps the views."""
    return f"{corpus_hash}+{model_id}"


def save(folder: Path, land: Landscape, corpus_hash: str) -> Path:
    def fill(tmp: Path) -> None:
        atomic.write_npy(tmp / "coords.npy", land.coords)
        atomic.write_npy(tmp / "clusters.npy", land.clusters.astype(np.int32))
        atomic.write_json(
            tmp / "topics.json",
            {
                "format_version": FORMAT_VERSION,
                "key": land.key,
                "corpus_hash": corpus_hash,
                "count": int(land.coords.shape[0]),
                "settings": asdict(land.settings),
                "topics": [t.to_dict() for t in land.topics],
                "tree": land.tree.to_dict(),
                **land.extra,
            },
        )
        if land.tree.depth > 1:
            atomic.write_npy(tmp / "levels.npy", land.tree.levels.astype(np.int32))

    return atomic.replace_dir(folder, fill)


def grown_from(folder: Path, settings: Settings, corpus: Corpus) -> Landscape | None:
    """The saved landscape if `corpus` only appended papers to the corpus it was made from."""
    try:
        meta = json.loads((atomic.recover_dir(Path(folder)) / "topics.json").read_text("utf-8"))
        count, old_hash = int(meta["count"]), str(meta["corpus_hash"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    if not 0 < count < len(corpus) or corpus.prefix_hash(count) != old_hash:
        return None
    return load(folder, settings, old_hash)


def extend(
    old: Landscape, vectors: NDArray[np.float32], corpus_hash: str, k: int = 10
) -> Landscape:
    """Place the papers after the old ones (rows len(old.coords):) without moving any old point.

    Each new paper goes where its k most similar old papers are (`topics.place`) and joins the
    finest topic most of them belong to, and that topic's ancestors at every level of the tree;
    topic labels stay as they were, sizes are recounted. extra["grown"] says, per level, how
    many papers each topic gained in this growth ({"LEVEL.ID": count}).
    """
    n_old = old.coords.shape[0]
    old_vecs, new_vecs = vectors[:n_old], vectors[n_old:]
    coords = np.vstack([old.coords, topics.place(new_vecs, old_vecs, old.coords, k=k)])
    near, _ = topics.neighbours(new_vecs, old_vecs, k)
    was = old.tree
    finest = np.array([_majority(was.levels[-1][row]) for row in near], dtype=np.intp)
    new_levels = tree.place(was, finest)
    levels = np.concatenate([was.levels, new_levels], axis=1)
    found = tuple(
        tuple(
            sorted(
                (replace(t, size=int((levels[lv] == t.id).sum())) for t in level),
                key=lambda t: (-t.size, t.id),
            )
        )
        for lv, level in enumerate(was.topics)
    )
    grown_tree = tree.Tree(levels, found, was.default)
    gained = {
        f"{lv}.{c}": int(n)
        for lv in range(len(new_levels))
        for c, n in zip(
            *np.unique(new_levels[lv][new_levels[lv] >= 0], return_counts=True), strict=True
        )
    }
    placed = int(old.extra.get("placed", 0)) + len(new_vecs)
    return Landscape(
        coords.astype(np.float32),
        levels[was.default].copy(),
        list(found[was.default]),
        old.settings,
        old.settings.key(corpus_hash),
        {**old.extra, "placed": placed, "grown": gained},
        grown_tree if was.depth > 1 else None,
    )


def _majority(labels: NDArray[np.intp]) -> int:
    """The most common topic among neighbours (noise only when all of them are noise)."""
    real = labels[labels >= 0]
    if not len(real):
        return -1
    values, counts = np.unique(real, return_counts=True)
    return int(values[np.argmax(counts)])


def saved_settings(folder: Path) -> Settings | None:
    """The settings of the landscape saved in `folder`, whatever corpus it was made from."""
    try:
        meta = json.loads((atomic.recover_dir(Path(folder)) / "topics.json").read_text("utf-8"))
        return Settings(**meta["settings"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        return None


def load(folder: Path, settings: Settings, corpus_hash: str) -> Landscape | None:
    """The saved landscape if it was made from this corpus with these settings, else None."""
    folder = atomic.recover_dir(Path(folder))
    try:
        meta = json.loads((folder / "topics.json").read_text("utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError:
        return None  # damaged: recompute rather than trust it
    if meta.get("key") != settings.key(corpus_hash):
        return None
    coords = np.load(folder / "coords.npy", allow_pickle=False)
    clusters = np.load(folder / "clusters.npy", allow_pickle=False).astype(np.intp)
    found = [_topic(t) for t in meta["topics"]]
    if coords.shape[0] != clusters.shape[0]:
        raise ExplorerError(f"{folder} is damaged (coords and clusters differ in length); rebuild")
    extra = {k: meta[k] for k in ("placed", "sample_fit", "grown") if k in meta}
    grown = _load_tree(folder, meta.get("tree"), clusters)
    if grown is not None:
        found = list(grown.topics[grown.default])
    land = Landscape(coords, clusters, found, settings, meta["key"], {"placed": 0, **extra}, grown)
    return land


def _topic(t: dict[str, Any], level: int = 0) -> topics.Topic:
    parent = t.get("parent")
    return topics.Topic(
        int(t["id"]),
        str(t["label"]),
        int(t["size"]),
        tuple(t["rows"]),
        level=int(t.get("level", level)),
        parent=None if parent is None else int(parent),
        children=tuple(int(c) for c in t.get("children", ())),
    )


def _load_tree(folder: Path, meta: Any, clusters: NDArray[np.intp]) -> tree.Tree | None:
    """The saved tree of several levels; None for one level (or a landscape saved before)."""
    if not isinstance(meta, dict) or len(meta.get("levels", ())) < 2:
        return None
    try:
        levels = np.load(folder / "levels.npy", allow_pickle=False).astype(np.intp)
    except FileNotFoundError:
        raise ExplorerError(f"{folder} is damaged (levels.npy is missing); rebuild") from None
    default = int(meta["default_level"])
    found = tuple(tuple(_topic(t, lv) for t in level) for lv, level in enumerate(meta["levels"]))
    if levels.shape != (len(found), len(clusters)) or not np.array_equal(levels[default], clusters):
        raise ExplorerError(f"{folder} is damaged (levels.npy does not fit the map); rebuild")
    return tree.Tree(levels, found, default)
