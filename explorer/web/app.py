"""The local web app: a JSON API over one opened `Explorer`, and the page that uses it.

Thin over the facade: the answers are `Corpus`'s (corpus.py), which the notebook widget shares.
The app serves only the corpus it was made with, read-only, and follows its builds (following.py:
after a build commits, the next request answers from the new generation); no request names a
file (the page's assets are a fixed list read at start). Its outer layer (guard.py) sets the
security headers, checks the Host header and limits request bodies. A user mistake is a 4xx with
`{"error": "<one line>"}`, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from explorer.libraries import LibrarySource
from explorer.papers import ExplorerError
from explorer.web.assets import ASSETS, Asset
from explorer.web.corpus import MAX_K, Corpus, ExportBody, LibraryParams, SearchBody, failure
from explorer.web.following import Follow, Follower
from explorer.web.guard import HEADERS, LOCAL_HOSTS, Guard
from explorer.web.library import DEFAULT_K
from explorer.web.topic_edits import add_route
from explorer.workspace import Explorer

__all__ = ["LOCAL_HOSTS", "MAX_K", "Corpus", "ExportBody", "SearchBody", "create_app"]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _one_line(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors()[:3]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
    return "; ".join(parts).replace("\n", " ") or "invalid request"


def corpus_of(request: Request) -> Corpus:
    """The state this request answers from, taken at its start (`Follow`)."""
    state: Corpus = request.state.corpus
    return state


def create_app(
    ex: Explorer,
    hosts: Sequence[str] | None = LOCAL_HOSTS,
    *,
    remote: bool = False,
    follow: bool = True,
    library: LibrarySource | None = None,
    edit: bool = False,
) -> FastAPI:
    """The web app over `ex`: the page at `/`, the JSON API under `/api/`.

    `hosts`: the names a request's Host header may give. The default, loopback names only, keeps
    a web page whose domain was rebound to 127.0.0.1 (DNS rebinding) from reading the corpus
    through the user's browser. `remote`: the server listens on an address other machines reach;
    their requests may give any name (they reach it by names this process can not know), while a
    client on this machine is still held to `hosts` (`hosts=None`: remote, loopback names).
    `follow`: after a build of the corpus commits, the next request reopens it (following.py).
    `library`: a researcher's library (files or a built corpus) read against the corpus now,
    and again for each build followed: `/api/library` (web/library.py). `edit`: take topic
    edits (`POST /api/topics/edit`, web/topic_edits.py); else that answers 403."""
    if hosts is None:
        hosts, remote = LOCAL_HOSTS, True
    app = FastAPI(
        title=f"explorer: {ex.name}",
        docs_url=None,  # the docs pages load their scripts from a CDN: never, offline
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    follower = Follower(ex, follow=follow, library=library)
    app.state.follower = follower
    app.add_middleware(Follow, follower=follower)
    app.add_middleware(Guard, hosts=hosts, remote=remote)  # outermost: before anything is read

    add_route(app, enabled=edit)

    @app.exception_handler(ExplorerError)
    async def explorer_error(request: Request, exc: ExplorerError) -> JSONResponse:
        return _error(*failure(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _one_line(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:  # never a traceback
        # answered outside the other middleware: the security headers are set here
        return _error(500, f"internal error: {type(exc).__name__}", HEADERS)

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
    def info(request: Request) -> dict[str, Any]:
        """The corpus: its size, ranking modes, what fields it has, categories and topics, the
        generation (the build) it was answered from, and whether the page may edit topics
        (`editable`: the server was started with --edit)."""
        state = corpus_of(request)
        with state.lock:
            return state.info() | {"editable": edit}

    @app.get("/api/points")
    def points(request: Request) -> Response:
        """The map as columns: ids, x, y, topic, year, primary category, title (and month)."""
        state = corpus_of(request)
        with state.lock:
            return Response(state.points(), media_type="application/json")

    @app.get("/api/paper/{paper:path}")
    def paper(request: Request, paper: str) -> dict[str, Any]:
        """One paper by any id form or title `Explorer.find` accepts, with its url and topic."""
        state = corpus_of(request)
        with state.lock:
            try:
                return state.paper(paper)
            except ExplorerError as e:
                raise HTTPException(404, str(e).replace("\n", " ")) from None

    @app.get("/api/find")
    def find(
        request: Request, q: Annotated[str, Query(min_length=1, max_length=50_000)]
    ) -> dict[str, Any]:
        """Which paper a search box's text names (an id or title), or null when it names none:
        then it is free text to search for. A name that fits several papers is a 409 listing
        them; any other failure is an error too, never null."""
        state = corpus_of(request)
        with state.lock:
            return state.find(q)

    @app.get("/api/related")
    def related(
        request: Request,
        id: Annotated[str, Query(min_length=1, max_length=500)],  # noqa: A002 (the API's name)
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
        mode: Annotated[str | None, Query(max_length=50)] = None,
        not_: Annotated[list[str] | None, Query(alias="not", max_length=100)] = None,
        years: Annotated[str | None, Query(max_length=50)] = None,
        categories: Annotated[list[str] | None, Query(max_length=200)] = None,
        topics: Annotated[list[str] | None, Query(max_length=1000)] = None,
    ) -> dict[str, Any]:
        """The k papers most like paper `id`, least like the `not` papers; each with its why."""
        state = corpus_of(request)
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
    def search(request: Request, body: SearchBody) -> dict[str, Any]:
        """Free text and/or example papers: the ranked hits, and where the text lands."""
        state = corpus_of(request)
        with state.lock:
            return state.search(body)

    @app.get("/api/library")
    def library_(
        request: Request,
        k: Annotated[int, Query(ge=1, le=MAX_K)] = DEFAULT_K,
        since: Annotated[str | None, Query(max_length=50)] = None,
    ) -> dict[str, Any]:
        """The library's papers on the map (row null: not in the corpus, placed by its text)
        and the k papers recommended for it, each naming its closest library papers (404: the
        app serves no library)."""
        state = corpus_of(request)
        with state.lock:
            return state.library(LibraryParams(k=k, since=since))

    @app.post("/api/export")
    def export(request: Request, body: ExportBody) -> Response:
        """The papers `ids` as a download: CSV, JSON Lines or BibTeX."""
        text, filename, media = corpus_of(request).export(body)
        return Response(
            text.encode("utf-8"),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return app


def static_folder() -> Path:
    return Path(__file__).with_name("static")
