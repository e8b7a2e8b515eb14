"""Opening a built corpus: the committed generation's index, papers and titles, no model.

The other half of `building`: `open_built` returns the parts an `Explorer` is made of. It reads
the manifest once and only ever opens files of the generation it names (a build committing
meanwhile is read anew), checks every file's presence and size, and parses papers lazily.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.generations import read_manifest, verify
from explorer.index.vectors import VectorIndex
from explorer.papers import Corpus, ExplorerError
from explorer.storage import MANIFEST_VERSION, Layout, Lines, check_name


@dataclass
class Opened:
    """What opening a corpus gives: the parts an `Explorer` is made of."""

    name: str
    corpus: Corpus
    index: VectorIndex
    manifest: dict[str, Any]
    root: Path


def open_built(name: str, root: Path) -> Opened:
    """The corpus `name` built under `root`; a one-line error if it is not built or damaged."""
    layout = Layout(root / check_name(name))
    manifest = read_manifest(layout)
    if manifest is None:
        built = sorted(p.parent.name for p in root.glob("*/manifest.json"))
        hint = f" (built: {', '.join(built)})" if built else ""
        raise ExplorerError(
            f"corpus {name!r} is not built in {root}{hint}; "
            f"run `explorer build FILE --corpus {name}`"
        )
    if manifest.get("manifest_version") == MANIFEST_VERSION:
        layout = Layout.of(layout.root, manifest)
        problem = verify(layout, manifest, full=False)
        if problem is not None:  # a build may have just replaced it: read the manifest anew
            manifest = read_manifest(layout) or manifest
            layout = Layout.of(layout.root, manifest)
            problem = verify(layout, manifest, full=False)
        if problem is not None:
            raise ExplorerError(f"corpus {name!r} is damaged: {problem}; build it again")
    index = VectorIndex.load(
        layout.index, model_id=manifest["model_id"], corpus_hash=manifest["corpus_hash"]
    )
    # Papers are parsed when used: `related <id>` on 75,000 papers parses eleven of them.
    # Each parsed paper is checked against the index's id for its row.
    try:
        lines = Lines(layout.papers)
    except FileNotFoundError:
        raise ExplorerError(f"{layout.papers} is missing; rebuild the corpus") from None
    try:
        titles = json.loads(layout.titles.read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        titles = None  # made by an older version, or damaged: read from the papers instead
    if titles is not None and len(titles) != len(index.ids):
        titles = None
    corpus = Corpus.saved(
        lines, index.ids, manifest["corpus_hash"], titles, source=str(layout.papers)
    )
    return Opened(name, corpus, index, manifest, root)
