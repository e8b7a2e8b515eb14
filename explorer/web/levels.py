"""The topic tree as the page draws it: `/api/info`'s `tree` and `/api/points`' `levels`.

Level 0 (the coarsest) takes the palette's colours as `explorer map` gives them (neighbouring
fields differ); every topic below takes a shade of its field's hue (`maps.shades`), siblings
different shades, so a field keeps its hue at every zoom. Level 0's labels are placed on the
whole map; a finer topic's label among its siblings, on its parent's part of the map (where it
is read: zoomed into its parent), each by `placement.place_labels`. The page shows one level's
labels at a time, chosen by zoom (static/levels.js).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.maps import figure, placement, shades
from explorer.maps.tree import Tree, parse_key
from explorer.papers import ExplorerError


def colours(tree: Tree, xy: NDArray[np.float64]) -> list[dict[int, str]]:
    """Each level's topic colours: level 0 from the palette, below it shades of the field's hue
    (siblings by size, biggest first, take the shades in turn)."""
    out = [figure.topic_colors(xy, tree.levels[0])]
    for lv in range(1, tree.depth):
        mine: dict[int, str] = {}
        for parent in tree.topics[lv - 1]:
            base = out[lv - 1].get(parent.id, figure.NOISE_COLOR)
            field = base if lv == 1 else out[0].get(_root(tree, lv - 1, parent.id), base)
            for step, child in enumerate(parent.children):
                mine[child] = shades.shade(field, step)
        out.append(mine)
    return out


def _root(tree: Tree, level: int, topic_id: int) -> int:
    while level > 0:
        parent = tree.topic(level, topic_id).parent
        topic_id, level = (-1 if parent is None else parent), level - 1
    return topic_id


def tree_info(tree: Tree, xy: NDArray[np.float64]) -> dict[str, Any]:
    """`/api/info`'s `tree`: {default_level, noise: [count per level], levels: [[topic]]}, each
    topic {id, key, level, label, size, parent, children, x, y (its centre), color, label_text,
    label_x, label_y (None: no room)}, biggest first."""
    cols = colours(tree, xy)
    levels = []
    for lv, found in enumerate(tree.topics):
        labels = tree.levels[lv]
        names = {t.id: t.label for t in found}
        places: dict[int, tuple[str | None, float | None, float | None]] = {}
        groups = (
            [np.arange(len(labels))]
            if lv == 0
            else [np.flatnonzero(tree.levels[lv - 1] == p.id) for p in tree.topics[lv - 1]]
        )
        for rows in groups:
            if not len(rows):
                continue
            for c, placed, x, y, *_ in placement.place_labels(
                xy[rows], labels[rows], names, margin=placement.MARGIN
            ):
                places[int(c)] = (placed, float(x), float(y))
        out = []
        for t in found:
            cx, cy = np.median(xy[labels == t.id], axis=0)
            text, lx, ly = places.get(t.id, (None, None, None))
            out.append(
                {"id": t.id, "key": t.key, "level": lv, "label": t.label, "size": t.size}
                | {"parent": t.parent, "children": list(t.children)}
                | {"x": float(cx), "y": float(cy), "color": cols[lv].get(t.id, figure.NOISE_COLOR)}
                | {"label_text": text, "label_x": lx, "label_y": ly}
            )
        levels.append(out)
    noise = [tree.noise(lv) for lv in range(tree.depth)]
    return {"default_level": tree.default, "noise": noise, "levels": levels}


def rows_of(tree: Tree, wanted: Sequence[int | str]) -> NDArray[np.intp]:
    """The rows in any of the given topics: ids at the default level (7) or "LEVEL.ID"."""
    found = []
    for w in wanted:
        try:
            found.append(tree.rows(*parse_key(w, tree.default)))
        except ExplorerError as e:
            raise ExplorerError(f"unknown topic {w!r}: {e}") from None
    return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.intp)
