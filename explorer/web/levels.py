"""The topic tree as the page draws it: `/api/info`'s `tree` and `/api/points`' `levels`.

Colours (a field's hue, its topics' shades) and label places per level are `maps.levels`'s, as
`explorer map` draws them; the page shows one level's labels at a time, chosen by zoom by the
same rule (static/levels.js).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.maps import figure
from explorer.maps import levels as map_levels
from explorer.maps.tree import Tree, parse_key
from explorer.papers import ExplorerError

KEYS = ("label_text", "label_x", "label_y")


def tree_info(tree: Tree, xy: NDArray[np.float64]) -> dict[str, Any]:
    """`/api/info`'s `tree`: {default_level, noise: [count per level], levels: [[topic]]}, each
    topic {id, key, level, label, size, parent, children, x, y (its centre), color, label_text,
    label_x, label_y (None: no room)}, biggest first."""
    cols = map_levels.colours(tree, xy)
    out = []
    for lv, found in enumerate(tree.topics):
        places = map_levels.places(tree, xy, lv)
        mids = map_levels.centres(tree, xy, lv)
        out.append(
            [
                {"id": t.id, "key": t.key, "level": lv, "label": t.label, "size": t.size}
                | {"parent": t.parent, "children": list(t.children)}
                | {"x": mids[t.id][0], "y": mids[t.id][1]}
                | {"color": cols[lv].get(t.id, figure.NOISE_COLOR)}
                | dict(zip(KEYS, places.get(t.id, (None, None, None)), strict=True))
                for t in found
            ]
        )
    noise = [tree.noise(lv) for lv in range(tree.depth)]
    return {"default_level": tree.default, "noise": noise, "levels": out}


def rows_of(tree: Tree, wanted: Sequence[int | str]) -> NDArray[np.intp]:
    """The rows in any of the given topics: ids at the default level (7) or "LEVEL.ID"."""
    found = []
    for w in wanted:
        try:
            found.append(tree.rows(*parse_key(w, tree.default)))
        except ExplorerError as e:
            raise ExplorerError(f"unknown topic {w!r}: {e}") from None
    return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.intp)
