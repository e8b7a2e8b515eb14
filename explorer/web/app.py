"""The local web app: a JSON API over one opened `Explorer`, and the page that uses it.

Thin over the facade: every ranking is `Explorer.related` or `Explorer.search`, every look-up
`Explorer.find`. The app serves only the corpus it was made with, read-only; no request names a
file (the page's assets are a fixed list read at start). A user mistake is a 4xx with
`{"error": "<one line>"}`, never a traceback.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from explorer.maps import figure, placement
from explorer.maps import topics as topic_maps
from explorer.papers import ExplorerError, Hit, Paper
from explorer.search.query import MODES, needs_sentences
from explorer.web import exports
from explorer.web.assets import ASSETS, Asset
from explorer.workspace import Explorer

# No inline or remote script, nothing from anywhere but this server. Plotly sets inline styles
# on its elements, hence 'unsafe-inline' for styles only (style can not run script).
CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; connect-src 'self'; "
    "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
MAX_K = 500
MAX_IDS = 100_000
_ID = Field(min_length=1, max_length=500)


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
    topics: list[int] = Field(default_factory=list, max_length=1000)


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(min_length=1, max_length=MAX_IDS)
    format: Literal["csv", "jsonl", "bibtex"]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _one_line(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors()[:3]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
    return "; ".join(parts).replace("\n", " ") or "invalid request"


class Corpus:
    """What the app computes once from the opened corpus: the map's columns and the summary."""

    def __init__(self, ex: Explorer) -> None:
        self.ex = ex
        self.lock = threading.Lock()  # one facade, lazily loading parts: one query at a time
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
            colors = figure.topic_colors(xy, clusters)
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
                "palette": list(figure.PALETTE),
                "noise_color": figure.NOISE_COLOR,
            }
        return {**self._info, "model_loaded": self.ex.model_loaded}

    def topic_ids(self, wanted: list[int]) -> list[str] | None:
        """The ids of the papers in the given topics: a filter applied before ranking."""
        if not wanted:
            return None
        land = self.land()
        known = {t.id for t in land.topics}
        bad = [t for t in wanted if t not in known]
        if bad:
            raise ExplorerError(f"unknown topic {bad[0]}; the corpus has {len(known)} topics")
        mask = np.isin(np.asarray(land.clusters), np.asarray(wanted))
        ids = self.ex.corpus.ids
        return [ids[i] for i in np.flatnonzero(mask)]

    def paper(self, query: str) -> dict[str, Any]:
        p = self.ex.find(query).paper
        land, row = self.land(), self.ex.corpus.position(p.id)
        c = int(land.clusters[row])
        x, y = (float(v) for v in land.coords[row])
        return paper_dict(p) | {"topic": c, "topic_label": land.label_names.get(c), "x": x, "y": y}

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
        topics: list[int],
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


def create_app(ex: Explorer, hosts: Sequence[str] | None = LOCAL_HOSTS) -> FastAPI:
    """The web app over `ex`: the page at `/`, the JSON API under `/api/`.

    `hosts`: the names a request's Host header may give (None: any). The default, loopback
    names only, keeps a web page whose domain was rebound to 127.0.0.1 (DNS rebinding) from
    reading the corpus through the user's browser."""
    app = FastAPI(
        title=f"explorer: {ex.name}",
        docs_url=None,  # the docs pages load their scripts from a CDN: never, offline
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    state = Corpus(ex)
    app.state.corpus = state
    if hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        response = await call_next(request)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    @app.exception_handler(ExplorerError)
    async def explorer_error(request: Request, exc: ExplorerError) -> JSONResponse:
        msg = str(exc).replace("\n", " ")
        return _error(404 if msg.startswith("no paper has the id or title") else 400, msg)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _one_line(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:  # never a traceback
        return _error(500, f"internal error: {type(exc).__name__}")

    def asset(a: Asset) -> Response:
        return Response(a.read(), media_type=a.media_type, headers={"Cache-Control": "no-cache"})

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return asset(ASSETS["index.html"])

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        a = ASSETS.get(name)  # a fixed list: no request ever names a file
        if a is None:
            return _error(404, f"no such file: {name[:100]!r}")
        return asset(a)

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        """The corpus: its size, ranking modes, what fields it has, categories and topics."""
        with state.lock:
            return state.info()

    @app.get("/api/points")
    def points() -> Response:
        """The map as columns: ids, x, y, topic, year, primary category, title (and month)."""
        with state.lock:
            return Response(state.points(), media_type="application/json")

    @app.get("/api/paper/{paper:path}")
    def paper(paper: str) -> dict[str, Any]:
        """One paper by any id form or title `Explorer.find` accepts, with its url and topic."""
        with state.lock:
            try:
                return state.paper(paper)
            except ExplorerError as e:
                raise HTTPException(404, str(e).replace("\n", " ")) from None

    @app.get("/api/find")
    def find(q: Annotated[str, Query(min_length=1, max_length=50_000)]) -> dict[str, Any]:
        """Which paper a search box's text names (an id or title), or null: then it is free
        text to search for (as `Explorer.figure`'s highlight decides)."""
        with state.lock:
            try:
                return {"paper": state.paper(q)}
            except ExplorerError:
                return {"paper": None}

    @app.get("/api/related")
    def related(
        id: Annotated[str, Query(min_length=1, max_length=500)],  # noqa: A002 (the API's name)
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
        mode: Annotated[str | None, Query(max_length=50)] = None,
        not_: Annotated[list[str] | None, Query(alias="not", max_length=100)] = None,
        years: Annotated[str | None, Query(max_length=50)] = None,
        categories: Annotated[list[str] | None, Query(max_length=200)] = None,
        topics: Annotated[list[int] | None, Query(max_length=1000)] = None,
    ) -> dict[str, Any]:
        """The k papers most like paper `id`, least like the `not` papers; each with its why."""
        with state.lock:
            return state.related(
                id,
                k=k,
                mode=mode,
                negatives=not_ or [],
                years=years,
                categories=categories or [],
                topics=topics or [],
            )

    @app.post("/api/search")
    def search(body: SearchBody) -> dict[str, Any]:
        """Free text and/or example papers: the ranked hits, and where the text lands."""
        with state.lock:
            return state.search(body)

    @app.post("/api/export")
    def export(body: ExportBody) -> Response:
        """The papers `ids` as a download: CSV, JSON Lines or BibTeX."""
        text, filename, media = state.export(body)
        return Response(
            text.encode("utf-8"),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return app


def static_folder() -> Path:
    return Path(__file__).with_name("static")
