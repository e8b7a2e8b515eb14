"""Topic edits a user makes (rename, merge, move), applied to a landscape's topic tree.

Arrays and ids in, a tree out; no disk I/O (`edits_file.py` keeps them). An edit names its
topics by their papers, not only by their "LEVEL.ID" key: {"key": "1.3", "papers": [ids, an even
sample of at most `SAMPLE`], "count": how many papers it had}. Edits replay in order on every
open, each against the tree the edits before it made, so a rebuild or a growth build that
renumbers or reshapes the topics keeps each edit whose topics it can still find: the topic of the
edit's level whose papers overlap the recorded ones most, with a Jaccard index of at least
`KEEP` (estimated from the sample when the topic was larger than it). An edit whose topic (or
paper) is gone is skipped and reported, never guessed.

The ops:
- rename: the topic's label.
- merge: topic b into topic a (one level): b's papers join a at that level and a's ancestors
  above it; b's children become a's children; a keeps its label (rename it after, if you wish).
- move: a paper into a topic of any level: it joins that topic and its ancestors, and at every
  finer level the biggest of the topic's children (the tree keeps nesting, and a paper that is
  in a topic is in a topic at every level, as noise is the same papers at every level).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.maps.topics import Topic
from explorer.maps.tree import Tree, _by_size, parse_key
from explorer.papers import ExplorerError

OPS = ("rename", "merge", "move")
SAMPLE = 1_000  # papers recorded per topic; the count says how many it had
KEEP = 0.5  # the least Jaccard overlap at which a rebuilt topic is still the edit's topic
MAX_LABEL = 200

Edit = dict[str, Any]


def record(tree: Tree, ids: Sequence[str], level: int, topic_id: int) -> dict[str, Any]:
    """How an edit names a topic: its key, its papers (an even sample) and their count."""
    rows = tree.rows(level, topic_id)
    sample = (
        rows if len(rows) <= SAMPLE else rows[np.linspace(0, len(rows) - 1, SAMPLE).astype(int)]
    )
    return {"key": f"{level}.{topic_id}", "papers": [ids[r] for r in sample], "count": len(rows)}


def check_label(label: object) -> str:
    text = label.strip() if isinstance(label, str) else ""
    if not text or len(text) > MAX_LABEL:
        shown = label if not isinstance(label, str) or len(label) <= 40 else label[:40] + "…"
        raise ExplorerError(f"bad label {shown!r}: give 1 to {MAX_LABEL} characters")
    return text


def key_of(tree: Tree, key: str | int) -> tuple[int, int]:
    """A topic key ("LEVEL.ID", or an id at the default level) that this tree has."""
    level, tid = parse_key(key, tree.default)
    tree.topic(level, tid)  # its one-line error names the topic
    return level, tid


def rename(tree: Tree, ids: Sequence[str], key: str | int, label: str) -> Edit:
    level, tid = key_of(tree, key)
    topic = record(tree, ids, level, tid)
    return {"op": "rename", "level": level, "topic": topic, "label": check_label(label)}


def merge(tree: Tree, ids: Sequence[str], a: str | int, b: str | int) -> Edit:
    """Topic `b` into topic `a` (both of one level)."""
    (la, ta), (lb, tb) = key_of(tree, a), key_of(tree, b)
    if la != lb:
        raise ExplorerError(
            f"topics {la}.{ta} and {lb}.{tb} are at different levels ({la} and {lb}): "
            "merge topics of one level"
        )
    if ta == tb:
        raise ExplorerError(f"cannot merge topic {la}.{ta} into itself")
    return {
        "op": "merge",
        "level": la,
        "topic": record(tree, ids, la, ta),
        "other": record(tree, ids, lb, tb),
    }


def move(tree: Tree, ids: Sequence[str], row: int, key: str | int) -> Edit:
    """The paper at `row` into topic `key` (and its ancestors, and its biggest children)."""
    level, tid = key_of(tree, key)
    if int(tree.levels[level][row]) == tid:
        raise ExplorerError(f"paper {ids[row]!r} is already in topic {level}.{tid}")
    return {"op": "move", "level": level, "topic": record(tree, ids, level, tid), "paper": ids[row]}


def describe(edit: Edit) -> str:
    """One line for a listing: `rename 1.3 → "label"`, `merge 1.5 into 1.2`, `move ID to 1.2`."""
    op, key = edit.get("op"), edit.get("topic", {}).get("key")
    if op == "rename":
        return f"rename {key} → {edit.get('label')!r}"
    if op == "merge":
        return f"merge {edit.get('other', {}).get('key')} into {key}"
    return f"move {edit.get('paper')} to {key}"


def apply(tree: Tree, ids: Sequence[str], edits: Sequence[Edit]) -> tuple[Tree, list[str | None]]:
    """The tree with `edits` replayed in order, and for each edit None (kept) or why it could not
    be kept (a line naming the topic or paper it could not find)."""
    if not edits:
        return tree, []
    levels = tree.levels.copy()
    names: dict[tuple[int, int], str] = {}
    index = {pid: r for r, pid in enumerate(ids)}
    why: list[str | None] = []
    for edit in edits:
        try:
            why.append(_replay(levels, names, index, edit))
        except (KeyError, TypeError, ValueError, IndexError):
            why.append(f"{describe(edit) if isinstance(edit, dict) else edit!r}: not an edit")
    return _refresh(tree, levels, names), why


def _replay(
    levels: NDArray[np.intp], names: dict[tuple[int, int], str], index: dict[str, int], e: Edit
) -> str | None:
    op, level = e["op"], int(e["level"])
    if op not in OPS:
        return f"unknown edit {op!r}"
    if not 0 <= level < len(levels):
        return f"{describe(e)}: this map has no level {level}"
    a = find(levels[level], index, e["topic"])
    if a is None:
        return f"{describe(e)}: topic {e['topic'].get('key')} is no longer on the map"
    if op == "rename":
        names[(level, a)] = str(e["label"])
    elif op == "merge":
        b = find(levels[level], index, e["other"])
        if b is None or b == a:
            return f"{describe(e)}: topic {e['other'].get('key')} is no longer on the map"
        moved, home = levels[level] == b, np.flatnonzero(levels[level] == a)[0]
        levels[: level + 1, moved] = levels[: level + 1, home][:, None]
        names.pop((level, b), None)
    else:
        row = index.get(str(e["paper"]))
        if row is None:
            return f"{describe(e)}: paper {e['paper']!r} is no longer in the corpus"
        members = np.flatnonzero(levels[level] == a)
        members = members[members != row]
        if not len(members):
            return f"{describe(e)}: topic {e['topic'].get('key')} has no other papers"
        levels[: level + 1, row] = levels[: level + 1, members[0]]
        for lv in range(level + 1, len(levels)):
            kids = _by_size(levels[lv][members])
            levels[lv, row] = kids[0] if kids else -1
    return None


def find(labels: NDArray[np.intp], index: dict[str, int], rec: dict[str, Any]) -> int | None:
    """The topic of one level (`labels`, (n,)) that the recorded topic `rec` still is: the one
    of largest estimated Jaccard overlap with its papers, if at least `KEEP`; else None."""
    rows = np.array([index[p] for p in rec.get("papers", ()) if p in index], dtype=np.intp)
    sample = max(len(rec.get("papers", ())), 1)
    if not len(rows):
        return None
    count = max(int(rec.get("count", sample)), sample)
    sizes = np.bincount(labels[labels >= 0], minlength=1)
    hits = np.bincount(labels[rows][labels[rows] >= 0], minlength=len(sizes))
    inter = hits / sample * count  # the recorded topic's papers in each topic, estimated
    jaccard = inter / np.maximum(count + sizes - inter, 1)
    best = int(np.argmax(jaccard)) if len(jaccard) else -1
    return best if best >= 0 and jaccard[best] >= KEEP else None


def _refresh(tree: Tree, levels: NDArray[np.intp], names: dict[tuple[int, int], str]) -> Tree:
    """The tree's topics for edited `levels`: sizes, parents, children recounted; a topic left
    empty dropped; labels from `names` where renamed."""
    out: list[tuple[Topic, ...]] = []
    for lv, labels in enumerate(levels):
        sizes = np.bincount(labels[labels >= 0], minlength=1)
        found = []
        for t in tree.topics[lv]:
            if t.id >= len(sizes) or sizes[t.id] == 0:
                continue
            inside = np.flatnonzero(labels == t.id)
            rows = tuple(r for r in t.rows if labels[r] == t.id) or tuple(
                int(r) for r in inside[:5]
            )
            found.append(
                replace(
                    t,
                    label=names.get((lv, t.id), t.label),
                    size=int(sizes[t.id]),
                    rows=rows,
                    parent=int(levels[lv - 1][inside[0]]) if lv else None,
                    children=tuple(_by_size(levels[lv + 1][inside]))
                    if lv + 1 < len(levels)
                    else (),
                )
            )
        out.append(tuple(sorted(found, key=lambda t: (-t.size, t.id))))
    return Tree(levels, tuple(out), tree.default)
