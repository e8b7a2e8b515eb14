"""What the web app and the notebook widget answer, over one opened `Explorer`.

`Corpus` computes the map's columns and the summary once, and answers the JSON API's questions
(`related`, `search`, `find`, `export`) for both faces: the app's routes (app.py) and the
widget's `Dispatcher` (dispatch.py). Thin over the facade: every ranking is `Explorer.related` or
`Explorer.search`, every look-up `Explorer.find`.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from explorer.libraries import LibrarySource
from explorer.maps import figure, placement
from explorer.maps import topics as topic_maps
from explorer.papers import ExplorerError, Hit, Paper
from explorer.search.lookup import AmbiguousName, Miss, NoSuchPaper, near_miss
from explorer.search.query import MODES, needs_sentences
from explorer.web import exports, levels
from explorer.web.library import DEFAULT_K, LibraryLayer, NoLibrary, no_library
from explorer.workspace import Explorer

MAX_K = 500
MAX_IDS = 100_000
_ID = Field(min_length=1, max_length=500)


def failure(exc: BaseException) -> tuple[int, str]:
    """A failure as both faces answer it: (HTTP status, one line). A look-up that names no paper
    is 404, a name that fits several papers 409, another mistake 400, a bad request 422, and
    anything else an internal error (500), never a traceback."""
    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors()[:3]:
            where = ".".join(str(x) for x in e.get("loc", ()))
            parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
        return 422, "; ".join(parts).replace("\n", " ") or "invalid request"
    if isinstance(exc, ExplorerError):
        msg = " ".join(str(exc).split()) or "invalid request"
        if isinstance(exc, (NoSuchPaper, NoLibrary)):
            return 404, msg
        if isinstance(exc, AmbiguousName):
            return 409, msg
        return 400, msg
    return 500, f"internal error: {type(exc).__name__}"


class SearchBody(BaseModel):
    """A query: free text and/or example papers (ids or titles), negatives, k, mode, filters."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=50_000)
    examples: list[str] = Field(default_factory=list, max_length=100)
    negatives: list[str] = Field(default_factory=list, max_length=100)
    k: int = Field(default=10, ge=1, le=MAX_K)
    mode: str | None = Field(default=None, max_length=50)
    years: str | None = Field(default=None, max_length=50)
    categories: list[str] = Field(default_factory=list, max_length=200)
    # ids at the default level (7) or "LEVEL.ID" at any level of the topic tree ("0.3")
    topics: list[int | str] = Field(default_factory=list, max_length=1000)


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(min_length=1, max_length=MAX_IDS)
    format: Literal["csv", "jsonl", "bibtex", "ris", "csl-json"]


class LibraryParams(BaseModel):
    """`/api/library`'s query: how many recommended papers, and since when (YYYY-MM-DD)."""

    model_config = ConfigDict(extra="forbid")
    k: int = Field(default=DEFAULT_K, ge=1, le=MAX_K)
    since: str | None = Field(default=None, max_length=50)


class Corpus:
    """What the app computes once from the opened corpus: the map's columns and the summary.

    `library`: the researcher's library to show (files or a built corpus), read against this
    build by `read_library` (web/library.py)."""

    def __init__(self, ex: Explorer, library: LibrarySource | None = None) -> None:
        self.ex = ex
        self.library_source = library
        self.layer: LibraryLayer | None = None
        self.library_error: str | None = None  # why the library could not be read, one line
        self.lock = threading.Lock()  # one facade, lazily loading parts: one query at a time
        # Which build this is: the generation its manifest names (a corpus of an older version
        # has none: its content hash). The page compares it with what each answer carries.
        m = ex.manifest
        self.generation = str(m.get("generation") or m.get("corpus_hash") or "")
        self._points: bytes | None = None
        self._info: dict[str, Any] | None = None

    def land(self) -> Any:
        return self.ex.landscape()

    def points(self) -> bytes:
        if self._points is None:
            ex, land = self.ex, self.land()
            xy = np.round(np.asarray(land.coords, dtype=np.float64), 5)
            papers = list(ex.corpus)
            dates = [p.date for p in papers]
            cols: dict[str, Any] = {
                "ids": list(ex.corpus.ids),
                "x": xy[:, 0].tolist(),
                "y": xy[:, 1].tolist(),
                "topic": [int(c) for c in land.clusters],
                "year": [p.year for p in papers],
                "category": [p.primary_category for p in papers],
                "title": list(ex.corpus.titles),
                # each paper's topic id at each level of the topic tree (0 the coarsest)
                "levels": land.tree.levels.tolist(),
            }
            if any(d and len(d) >= 7 for d in dates):
                cols["month"] = [d[:7] if d and len(d) >= 7 else None for d in dates]
            self._points = json.dumps(cols, ensure_ascii=False, separators=(",", ":")).encode()
        return self._points

    def info(self) -> dict[str, Any]:
        if self._info is None:
            ex, land = self.ex, self.land()
            papers = list(ex.corpus)
            years = [p.year for p in papers if p.year is not None]
            cats = Counter(c for p in papers for c in p.categories)
            xy = np.asarray(land.coords, dtype=np.float64)
            clusters = np.asarray(land.clusters)
            # The same colours and label places as `explorer map` draws.
            tree = levels.tree_info(land.tree, xy)
            colors = figure.topic_colors(xy, clusters)
            if land.tree.depth > 1:  # a field keeps its hue: its topics are shades of it
                colors = {t["id"]: t["color"] for t in tree["levels"][land.tree.default]}
            places = {
                c: (text, x, y)
                for c, text, x, y, *_ in placement.place_labels(
                    xy, clusters, land.label_names, margin=placement.MARGIN
                )
            }
            tops = []
            for t in land.topics:
                at = xy[clusters == t.id]
                cx, cy = np.median(at, axis=0) if len(at) else (0.0, 0.0)
                text, lx, ly = places.get(t.id, (None, None, None))
                top = [{"id": papers[r].id, "title": papers[r].title} for r in t.rows[:5]]
                tops.append(
                    {"id": t.id, "label": t.label, "size": t.size, "x": float(cx), "y": float(cy)}
                    | {"color": colors.get(t.id, figure.NOISE_COLOR), "papers": top}
                    # where the label goes ("\n" breaks it), None where the map has no room
                    | {"label_text": text, "label_x": lx, "label_y": ly}
                )
            self._info = {
                "corpus": ex.name,
                "generation": self.generation,
                "papers": len(papers),
                # The modes this corpus can rank by (no sentence vectors: not "sentences").
                "modes": [
                    m for m in MODES if ex.manifest.get("sentences", True) or not needs_sentences(m)
                ],
                "default_mode": ex.default_mode,
                "has_years": bool(years),
                "has_dates": any(p.date and len(p.date) >= 7 for p in papers),
                "has_categories": bool(cats),
                "has_authors": any(p.authors for p in papers),
                "year_range": [min(years), max(years)] if years else None,
                "categories": [{"name": c, "count": n} for c, n in cats.most_common()],
                "topics": tops,
                "tree": tree,
                "palette": list(figure.PALETTE),
                "noise_color": figure.NOISE_COLOR,
            }
        return {**self._info, "model_loaded": self.ex.model_loaded, "library": self.library_info()}

    # -- the library (web/library.py) --------------------------------------------------------

    def read_library(self, *, strict: bool = True) -> None:
        """Read the library against this build; `strict`: its failure raises (at start), else
        it is kept in `library_error` and `/api/library` answers it (after a rebuild)."""
        if self.library_source is None or self.layer is not None or self.library_error:
            return  # read once per build: a failure is not tried again on every request
        try:
            self.layer = LibraryLayer(self.ex, self.library_source)
            self.library_error = None
        except (ExplorerError, OSError) as e:
            self.library_error = failure(e)[1] if isinstance(e, ExplorerError) else str(e)
            if strict:
                raise

    def library_info(self) -> dict[str, Any] | None:
        """`/api/info`'s `library`: {name, count, in_corpus}, {error} or None (no library)."""
        if self.library_source is None:
            return None
        self.read_library(strict=False)
        if self.layer is None:
            return {"error": self.library_error}
        return self.layer.summary()

    def library(self, params: LibraryParams) -> dict[str, Any]:
        """`/api/library`: the library's papers on the map and the papers recommended for it."""
        if self.library_source is None:
            raise no_library()
        self.read_library(strict=False)
        if self.layer is None:
            raise ExplorerError(f"the library could not be read: {self.library_error}")
        return self.layer.answer(params.k, params.since)

    def topic_ids(self, wanted: Sequence[int | str]) -> list[str] | None:
        """The ids of the papers in the given topics (ids at the default level, or "LEVEL.ID"
        at any level): a filter applied before ranking."""
        if not wanted:
            return None
        ids = self.ex.corpus.ids
        return [ids[i] for i in levels.rows_of(self.land().tree, wanted)]

    def paper(self, query: str) -> dict[str, Any]:
        p = self.ex.find(query).paper
        land, row = self.land(), self.ex.corpus.position(p.id)
        c = int(land.clusters[row])
        x, y = (float(v) for v in land.coords[row])
        return paper_dict(p) | {"topic": c, "topic_label": land.label_names.get(c), "x": x, "y": y}

    def find(self, text: str) -> dict[str, Any]:
        """`/api/find`: `{paper}` when the text names one paper (an id or title), `{paper: None,
        miss}` when it names none (then it is free text to search for; `miss` says what it
        looked like and which papers it may have meant, or is None for plain free text).
        Anything else raises: a name that fits several papers (409), or a real failure, is
        never taken for free text."""
        try:
            return {"paper": self.paper(text)}
        except ExplorerError as e:
            if failure(e)[0] == 404:
                return {"paper": None, "miss": miss_dict(near_miss(self.ex.corpus, text))}
            raise

    def hits(self, hits: list[Hit], point: tuple[float, float] | None) -> dict[str, Any]:
        return {"hits": [h.to_dict() for h in hits], "point": point}

    # -- the questions, as both faces ask them (the app's routes, the widget's Dispatcher) --

    def related(
        self,
        id: str,  # noqa: A002 (the API's name)
        *,
        k: int,
        mode: str | None,
        negatives: list[str],
        years: str | None,
        categories: list[str],
        topics: Sequence[int | str],
    ) -> dict[str, Any]:
        """`/api/related`: the k papers most like paper `id`, least like `negatives`, with why."""
        hits = self.ex.related(
            id,
            negatives=negatives,
            k=k,
            mode=mode,
            years=years or None,
            categories=categories,
            ids=self.topic_ids(topics),
            explain=True,
        )
        return self.hits(hits, None)

    def search(self, body: SearchBody) -> dict[str, Any]:
        """`/api/search`: free text and/or example papers; the hits, and where the text lands."""
        text = (body.text or "").strip()
        filters: dict[str, Any] = {
            "k": body.k,
            "mode": body.mode,
            "years": body.years or None,
            "categories": body.categories,
            "ids": self.topic_ids(body.topics),
            "explain": True,
        }
        if body.examples or body.negatives:
            hits = self.ex.related(
                *body.examples, negatives=body.negatives, texts=[text] if text else [], **filters
            )
        else:
            hits = self.ex.search(body.text or "", **filters)
        return self.hits(hits, self.where(text) if text else None)

    def export(self, body: ExportBody) -> tuple[str, str, str]:
        """`/api/export`: (the file's text, its name, its media type)."""
        corpus = self.ex.corpus
        unknown = [i for i in body.ids if i not in corpus]
        if unknown:
            raise ExplorerError(f"unknown paper ids in the export: {', '.join(unknown[:3])}")
        papers = [corpus.get(i) for i in dict.fromkeys(body.ids)]
        ext, media = exports.FORMATS[body.format]
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.ex.name) or "corpus"
        filename = f"explorer-{name}-selection-{len(papers)}.{ext}"
        return exports.export(papers, body.format), filename, f"{media}; charset=utf-8"

    def where(self, text: str) -> tuple[float, float]:
        """Where a free text lands on the map (as `Explorer.figure`'s highlight places it)."""
        v = self.ex.embed([text])
        at = topic_maps.place(v, np.asarray(self.ex.vectors), self.land().coords)[0]
        return float(at[0]), float(at[1])


def paper_dict(p: Paper) -> dict[str, Any]:
    from explorer import ids

    d = p.to_dict()
    return d | {"year": p.year, "url": ids.url(p.id)}


def miss_dict(miss: Miss | None) -> dict[str, Any] | None:
    """`/api/find`'s `miss`: {kind, message, suggestions: [{id, title}]}, or None."""
    if miss is None:
        return None
    return {
        "kind": miss.kind,
        "message": miss.message,
        "suggestions": [{"id": p.id, "title": p.title} for p in miss.suggestions],
    }
