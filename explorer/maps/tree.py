"""The topic tree: today's topics, the fields they merge into and the finer topics they split into.

Arrays in, a `Tree` out; no model and no disk I/O. Level 0 is the coarsest. The map's own topics
(`Landscape.clusters`, what `explorer topics` lists by default) are one level of it, the
*default level*; above it their centroids merge by agglomerative (Ward) clustering into fields,
and below it each topic's part of the map splits by HDBSCAN into finer topics. Every topic has
exactly one parent, papers in no topic (-1) are noise at every level, and each level is labelled
by class-based TF-IDF against its siblings (`tree_labels`). docs/quality.md ("The topic tree")
measures this against EVoC's layers and HDBSCAN's condensed tree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from explorer.maps import topics
from explorer.maps.labels import MAX_LABEL_DOCS, DocTerms, sample_rows, sibling_labels
from explorer.maps.topics import Topic
from explorer.papers import ExplorerError

# Fields above today's topics only when there are at least this many of them.
MERGE_MIN_TOPICS = 6
# Finer topics below today's only from this many papers: below it they would be a few dozen
# papers each, too few to name.
SPLIT_MIN_PAPERS = 1_000
# A child holding this share of its parent's papers is named against its whole level (see
# `tree_labels`), not against siblings too small to tell it anything.
ALONE = 0.8
# A finer topic has at least a third of a topic's smallest size (`default_min_cluster_size`).
SPLIT_SHARE = 3


def n_fields(n_topics: int) -> int:
    """How many fields `n_topics` topics merge into: about 1.5 sqrt(k) (12 → 5, 66 → 12)."""
    return max(2, min(n_topics - 1, round(1.5 * math.sqrt(n_topics))))


@dataclass(frozen=True, eq=False)
class Tree:
    """`levels` (L, n): each paper's topic id at each level (-1: noise), level 0 the coarsest;
    `topics[l]`: that level's topics, biggest first, with `parent` (an id at level l - 1) and
    `children` (ids at level l + 1); `default` the level of the map's own topics."""

    levels: NDArray[np.intp]
    topics: tuple[tuple[Topic, ...], ...]
    default: int = 0

    @classmethod
    def flat(cls, clusters: NDArray[np.integer], found: list[Topic]) -> Tree:
        """One level: a landscape saved before trees (or of a small corpus)."""
        flat = tuple(replace(t, level=0, parent=None, children=()) for t in found)
        return cls(np.asarray(clusters, dtype=np.intp)[None, :], (flat,), 0)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Tree)
            and np.array_equal(self.levels, other.levels)
            and (self.topics, self.default) == (other.topics, other.default)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def depth(self) -> int:
        return int(self.levels.shape[0])

    def noise(self, level: int) -> int:
        """Papers in no topic at `level` (the same papers at every level)."""
        return int((self.levels[self.check(level)] < 0).sum())

    def check(self, level: int | None) -> int:
        """`level` (None: the default) if this tree has it, else a one-line error naming it."""
        if level is None:
            return self.default
        if not isinstance(level, (int, np.integer)) or not 0 <= level < self.depth:
            raise ExplorerError(
                f"no topic level {level!r}: this map has levels 0 to {self.depth - 1} "
                f"(0 the coarsest, {self.default} its default)"
            )
        return int(level)

    def topic(self, level: int, topic_id: int) -> Topic:
        for t in self.topics[self.check(level)]:
            if t.id == topic_id:
                return t
        known = len(self.topics[level])
        raise ExplorerError(f"no topic {topic_id!r} at level {level} (it has {known} topics)")

    def rows(self, level: int, topic_id: int) -> NDArray[np.intp]:
        """The rows of every paper in a topic (checked) of any level."""
        self.topic(level, topic_id)
        return np.flatnonzero(self.levels[level] == topic_id)

    def joined(self, rows: NDArray[np.intp] | slice, level: int) -> list[tuple[Topic, int]]:
        """The topics at `level` (checked) that the papers `rows` belong to, each with how many
        of them: most first, then the bigger topic; their noise is left out (it is
        `(levels[level][rows] < 0).sum()`, the same at every level)."""
        lv = self.check(level)
        labels = self.levels[lv][rows]
        ids, counts = np.unique(labels[labels >= 0], return_counts=True)
        found = {t.id: t for t in self.topics[lv]}
        out = [(found[int(c)], int(n)) for c, n in zip(ids, counts, strict=True) if int(c) in found]
        return sorted(out, key=lambda tn: (-tn[1], -tn[0].size, tn[0].id))

    def columns(self) -> dict[str, list[object]]:
        """One column per level for a table of the papers: topic_L (the label, None for noise)
        and topic_id_L (-1 for noise), L = 0 the coarsest."""
        out: dict[str, list[object]] = {}
        for lv, labels in enumerate(self.levels):
            names = {t.id: t.label for t in self.topics[lv]}
            out[f"topic_{lv}"] = [names.get(int(c)) for c in labels]
            out[f"topic_id_{lv}"] = [int(c) for c in labels]
        return out

    def to_dict(self) -> dict[str, object]:
        """What topics.json keeps (the papers' levels go to levels.npy)."""
        return {
            "default_level": self.default,
            "levels": [[t.to_dict() for t in level] for level in self.topics],
            "noise": [self.noise(level) for level in range(self.depth)],
        }


def parse_key(key: str | int, default: int) -> tuple[int, int]:
    """A topic named as an id at the default level (7, "7") or as "LEVEL.ID" ("0.3")."""
    text = str(key).strip()
    try:
        if "." in text:
            level, _, tid = text.partition(".")
            return int(level), int(tid)
        return default, int(text)
    except ValueError:
        raise ExplorerError(
            f"bad topic {key!r}: give a topic id (7) or LEVEL.ID (0.3, level 0 the coarsest)"
        ) from None


def build(
    vectors: NDArray[np.floating],
    coords: NDArray[np.floating],
    clusters: NDArray[np.integer],
    texts: list[str],
    *,
    n_terms: int = 4,
    seed: int = 42,
) -> Tree:
    """The tree around the map's topics `clusters` (n,): fields above and finer topics below,
    as the corpus size warrants (see the module's docstring), every level labelled."""
    x = np.asarray(vectors, dtype=np.float32)
    levels, default = levels_of(x, coords, clusters)
    return Tree(levels, tree_labels(texts, x, levels, n_terms=n_terms, seed=seed), default)


def levels_of(
    vectors: NDArray[np.floating], coords: NDArray[np.floating], clusters: NDArray[np.integer]
) -> tuple[NDArray[np.intp], int]:
    """The tree's levels (L, n), coarsest first, and which of them `clusters` is; unlabelled."""
    mid = np.asarray(clusters, dtype=np.intp)
    n, k = len(mid), int(mid.max()) + 1 if len(mid) and mid.max() >= 0 else 0
    levels, default = [mid], 0
    if n > topics.SMALL_CORPUS and k >= MERGE_MIN_TOPICS:
        levels.insert(0, merge(np.asarray(vectors, dtype=np.float32), mid, n_fields(k)))
        default = 1
    if n >= SPLIT_MIN_PAPERS and k >= 1:
        levels.append(split(np.asarray(coords, dtype=np.float64), mid))
    return np.stack(levels), default


def merge(vectors: NDArray[np.float32], labels: NDArray[np.intp], k: int) -> NDArray[np.intp]:
    """Topics merged into `k` groups by Ward linkage of their centroids (the mean unit vector,
    renormalised): each paper's group (n,), -1 stays -1, groups numbered by size."""
    from scipy.cluster.hierarchy import fcluster, linkage

    ids = np.unique(labels[labels >= 0])
    if len(ids) <= k:
        return topics._renumber_by_size(labels)
    unit = topics._unit(vectors)
    cents = np.stack([unit[labels == c].mean(axis=0) for c in ids]).astype(np.float64)
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    group = fcluster(linkage(cents, method="ward"), t=k, criterion="maxclust") - 1
    out = np.full(len(labels), -1, dtype=np.intp)
    for c, g in zip(ids, group, strict=True):
        out[labels == c] = g
    return topics._renumber_by_size(out)


def split(coords: NDArray[np.float64], labels: NDArray[np.intp]) -> NDArray[np.intp]:
    """Each topic's part of the map split by HDBSCAN (smallest part: a third of the corpus's
    smallest topic): finer topics (n,) numbered by size, each inside one topic. A topic with no
    parts is one finer topic; its stragglers join their nearest part; -1 stays -1."""
    n = len(labels)
    mcs = max(5, topics.default_min_cluster_size(n) // SPLIT_SHARE)
    out = np.full(n, -1, dtype=np.intp)
    next_id = 0
    for c in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == c)
        parts = np.zeros(len(rows), dtype=np.intp)
        if len(rows) >= 2 * mcs:
            found = topics._hdbscan(coords[rows], mcs, None)
            if found.max() >= 1:
                parts = topics._assign_noise(coords[rows], topics._renumber_by_size(found))
            # one part or none: the topic stays whole
        out[rows] = parts + next_id
        next_id += int(parts.max()) + 1
    return topics._renumber_by_size(out)


def tree_labels(
    texts: list[str],
    vectors: NDArray[np.float32],
    levels: NDArray[np.intp],
    *,
    n_terms: int = 4,
    seed: int = 42,
) -> tuple[tuple[Topic, ...], ...]:
    """Every level's topics, biggest first, with parents, children and labels: a topic's label
    is its c-TF-IDF against its siblings (the top level: against each other), and never repeats
    a word of its ancestors' labels."""
    out: list[tuple[Topic, ...]] = []
    said: dict[tuple[int, int], list[str]] = {}  # (level, id) -> its and its ancestors' terms
    docs = DocTerms(texts, _read_rows(levels, seed))  # each paper's terms read once
    for lv, labels in enumerate(levels):
        reps = topics.representatives(vectors, labels)
        parent_of: dict[int, int | None] = {}
        groups: dict[int | None, list[int]] = {}
        for c in reps:
            p = int(levels[lv - 1][labels == c][0]) if lv else None
            parent_of[c] = p
            groups.setdefault(p, []).append(c)
        names: dict[int, list[str]] = {}
        alone: list[int] = []  # children that are (nearly) all of their parent
        for p, members in groups.items():
            # the top level: every paper (noise a class, its words discounted); below: the parent's
            rows = np.arange(len(labels)) if p is None else np.flatnonzero(levels[lv - 1] == p)
            avoid = said.get((lv - 1, p), []) if p is not None else []
            names.update(
                sibling_labels(docs.view(rows), labels[rows], avoid, n_terms=n_terms, seed=seed)
            )
            if p is not None:
                alone += [c for c in members if (labels[rows] == c).mean() >= ALONE]
        if alone:
            # Against siblings that are not there a label is filler ("analysis · design"):
            # such a child is named against its whole level instead, still without its
            # ancestors' words.
            avoid = [w for c in alone for w in said.get((lv - 1, parent_of[c] or 0), [])]
            found = sibling_labels(docs, labels, avoid, n_terms=n_terms, seed=seed)
            names.update({c: found[c] for c in alone if c in found})
        for c, p in parent_of.items():
            said[(lv, c)] = [*(said.get((lv - 1, p), []) if p is not None else []), *names[c]]
        sizes = {c: int((labels == c).sum()) for c in reps}
        below = levels[lv + 1] if lv + 1 < len(levels) else None
        level_topics = []
        for c in sorted(reps, key=lambda c: (-sizes[c], c)):
            kids = () if below is None else tuple(_by_size(below[labels == c]))
            level_topics.append(
                Topic(
                    c,
                    " · ".join(names.get(c, [])),
                    sizes[c],
                    tuple(reps[c]),
                    level=lv,
                    parent=parent_of[c],
                    children=kids,
                )
            )
        out.append(tuple(level_topics))
    return tuple(out)


def _read_rows(levels: NDArray[np.intp], seed: int) -> NDArray[np.intp]:
    """The papers that `tree_labels` reads: each sibling group's sample (`sibling_labels`
    reads at most MAX_LABEL_DOCS of them), and each level's sample against its whole level."""
    keep = []
    for lv, labels in enumerate(levels):
        keep.append(sample_rows(labels, MAX_LABEL_DOCS, seed))
        if lv:
            for p in np.unique(levels[lv - 1]):
                rows = np.flatnonzero(levels[lv - 1] == p)
                keep.append(rows[sample_rows(labels[rows], MAX_LABEL_DOCS, seed)])
    return np.unique(np.concatenate(keep))


def _by_size(labels: NDArray[np.intp]) -> list[int]:
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    return [int(i) for i in ids[np.lexsort((ids, -counts))]]


def place(tree: Tree, new_finest: NDArray[np.intp]) -> NDArray[np.intp]:
    """New papers' topics at every level (L, m) from their topics at the finest level: each
    level above follows the parent links, so that new papers join the tree where it nests."""
    levels = np.full((tree.depth, len(new_finest)), -1, dtype=np.intp)
    levels[-1] = new_finest
    for lv in range(tree.depth - 1, 0, -1):
        up = {t.id: -1 if t.parent is None else t.parent for t in tree.topics[lv]}
        levels[lv - 1] = [up.get(int(c), -1) if c >= 0 else -1 for c in levels[lv]]
    return levels
