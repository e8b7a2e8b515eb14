"""The researcher's library as the web app and the widget show it: `/api/library`.

`explorer serve --library FILE` (and `ExplorerWidget(ex, library=…)`) read the library against
the served corpus (`Explorer.library`), once per build: the app reads it at start, and again for
each new build it follows (following.py), since the rows and the vectors of the papers it holds
are the new build's. The answer:

    {name, count, in_corpus,
     papers: [{id, title, row, x, y, authors, year, url}…],   row null: not in the corpus
     recommended: [hit…], k, since}                              each hit's why.library

Every library paper has a map position: its corpus point, or, for one the corpus lacks, the
place its vector lands among the corpus's (`maps.library.place_library`, as a free text lands).
The recommended papers are `Explorer.related(library=…)`'s (the library's own never among them),
each naming the library papers closest to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer import ids
from explorer.libraries import LibrarySource
from explorer.maps.library import place_library
from explorer.papers import ExplorerError
from explorer.search.library import Library
from explorer.search.ranking import parse_since
from explorer.workspace import Explorer

DEFAULT_K = 20  # recommended papers, as many as the page's results list
MAX_AUTHORS = 5  # per library paper in the answer (its card says "et al." beyond)


class NoLibrary(ExplorerError):
    """The app serves no library (404, as an unknown paper is)."""


def no_library() -> NoLibrary:
    return NoLibrary("no library: start explorer serve with --library FILE (or a built corpus)")


class LibraryLayer:
    """A library read against one build of the served corpus, and its answers."""

    def __init__(self, ex: Explorer, source: LibrarySource) -> None:
        self.ex = ex
        self.source = source
        self.lib: Library = ex.library(source)
        self._papers: list[dict[str, Any]] | None = None
        self._recommended: dict[tuple[int, str | None], list[dict[str, Any]]] = {}

    def summary(self) -> dict[str, Any]:
        """What `/api/info` says of the library: {name, count, in_corpus}."""
        return {
            "name": self.lib.name,
            "count": len(self.lib.papers),
            "in_corpus": len(self.lib.in_corpus),
        }

    def papers(self) -> list[dict[str, Any]]:
        if self._papers is None:
            land = self.ex.landscape()
            xy = place_library(self.lib.rows, self.lib.vectors, self.ex.vectors, land.coords)
            xy = np.round(xy, 5)
            self._papers = [
                {
                    "id": p.id,
                    "title": p.title,
                    "row": row,
                    # the corpus's id for a paper it holds (the library's may be a DOI or a key)
                    "corpus_id": None if row is None else self.ex.corpus[row].id,
                    "x": float(xy[i, 0]),
                    "y": float(xy[i, 1]),
                    "authors": list(p.authors[:MAX_AUTHORS]),
                    "et_al": p.et_al or len(p.authors) > MAX_AUTHORS,
                    "year": p.year,
                    "url": ids.url(p.id),
                }
                for i, (p, row) in enumerate(zip(self.lib.papers, self.lib.rows, strict=True))
            ]
        return self._papers

    def recommended(self, k: int, since: str | None) -> list[dict[str, Any]]:
        """The k papers most like the library (dated `since` or later), as hit dicts."""
        key = (k, since)
        if key not in self._recommended:
            hits = self.ex.related(library=self.lib, k=k, since=since)
            if len(self._recommended) > 8:  # a few (k, since) pairs kept, not every one asked
                self._recommended.clear()
            self._recommended[key] = [h.to_dict() for h in hits]
        return self._recommended[key]

    def answer(self, k: int = DEFAULT_K, since: str | None = None) -> dict[str, Any]:
        since = parse_since(since) if since else None
        return self.summary() | {
            "papers": self.papers(),
            "recommended": self.recommended(k, since),
            "k": k,
            "since": since,
        }
