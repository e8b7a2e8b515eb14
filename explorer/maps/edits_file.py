"""Where a corpus keeps its topic edits: `<corpus>/edits.json`, beside the manifest.

{"version": 1, "edits": [edit, …]} (an edit as `edits.py` makes it). The file lies outside the
generations, so rebuilds and growth builds keep it; every change is one atomic write under the
corpus's build lock (a build and an edit never interleave).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer import atomic
from explorer.generations import build_lock
from explorer.papers import ExplorerError
from explorer.storage import Layout

if TYPE_CHECKING:
    from explorer.maps.landscape import Landscape

VERSION = 1


def path(layout: Layout) -> Path:
    return layout.root / "edits.json"


def read(layout: Layout) -> list[dict[str, Any]]:
    """The corpus's edits, oldest first ([] without a file)."""
    file = path(layout)
    try:
        data = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ExplorerError(f"cannot read the topic edits {file}: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("edits"), list):
        raise ExplorerError(f"{file} is not a topic edits file (no list of edits)")
    if data.get("version") != VERSION:
        raise ExplorerError(
            f"{file} has version {data.get('version')!r}; this explorer reads version {VERSION}"
        )
    return [e for e in data["edits"] if isinstance(e, dict)]


def write(layout: Layout, edits: list[dict[str, Any]]) -> None:
    atomic.write_json(path(layout), {"version": VERSION, "edits": edits})


def add(layout: Layout, edit: dict[str, Any]) -> list[dict[str, Any]]:
    """Append one edit (read, append, write: under the lock); the edits now."""
    with build_lock(layout):
        edits = [*read(layout), edit]
        write(layout, edits)
    return edits


def remove(layout: Layout, i: int) -> dict[str, Any]:
    """Drop edit `i` (0 the oldest, -1 the newest); the edit dropped."""
    with build_lock(layout):
        edits = read(layout)
        if not edits:
            raise ExplorerError(f"corpus {layout.root.name!r} has no topic edits")
        if not isinstance(i, int) or not -len(edits) <= i < len(edits):
            raise ExplorerError(
                f"no edit {i!r}: corpus {layout.root.name!r} has {len(edits)} "
                f"(0 to {len(edits) - 1}, or -1 the newest)"
            )
        gone = edits.pop(i)
        write(layout, edits)
    return gone


def applied(
    layout: Layout, land: Landscape, ids: Sequence[str]
) -> tuple[Landscape, list[str | None]]:
    """`land` (a corpus's own) with the corpus's edits applied, and why each was not kept (None:
    kept). The saved landscape is never changed: edits are laid over it on every open."""
    from explorer.maps import edits

    done = read(layout)
    if not done:
        return land, []
    grown, why = edits.apply(land.tree, ids, done)
    out = replace(
        land,
        clusters=grown.levels[grown.default].copy(),
        topics=list(grown.topics[grown.default]),
        tree_=grown,
        extra={**land.extra, "edits": len(done), "edits_not_kept": [w for w in why if w]},
    )
    return out, why
