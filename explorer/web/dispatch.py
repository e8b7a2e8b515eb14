"""The web API's requests by name, answered in-process: the notebook widget's transport.

`Dispatcher(explorer).answer(name, params)` takes what the page's `api(name, params)` sends and
returns what `/api/<name>` answers: the app's own `Corpus` answers both (its `related`, `search`
and `export` serve the HTTP routes too), so the two faces rank, filter and export alike.
`reply(message)` wraps it for a custom widget message: `{id, name, params}` in, `{id, result}`
or `{id, error: "<one line>", status}` out (the status `/api/<name>` would answer), never a
traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from explorer.libraries import LibrarySource
from explorer.papers import ExplorerError
from explorer.web.corpus import MAX_K, Corpus, ExportBody, LibraryParams, SearchBody, failure
from explorer.workspace import Explorer


class RelatedParams(BaseModel):
    """`/api/related`'s query parameters, with the same bounds."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str = Field(min_length=1, max_length=500)
    k: int = Field(default=10, ge=1, le=MAX_K)
    mode: str | None = Field(default=None, max_length=50)
    not_: list[str] = Field(default_factory=list, alias="not", max_length=100)
    years: str | None = Field(default=None, max_length=50)
    categories: list[str] = Field(default_factory=list, max_length=200)
    topics: list[int | str] = Field(default_factory=list, max_length=1000)


class PaperParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=500)


class FindParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=50_000)


def one_line(exc: BaseException) -> str:
    """A user's mistake as the app words it: one line, no traceback."""
    return failure(exc)[1]


class Dispatcher:
    """The JSON API's questions by name over one `Explorer`, without HTTP."""

    def __init__(self, ex: Explorer, library: LibrarySource | None = None) -> None:
        self.ex = ex
        self.state = Corpus(ex, library)
        self.state.read_library()  # a library that can not be read: an ExplorerError now
        self._points: dict[str, Any] | None = None
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "info": lambda p: self.state.info() | {"editable": False},  # the widget: read-only
            "points": lambda p: self.points(),
            "paper": self.paper,
            "find": self.find,
            "related": self.related,
            "search": self.search,
            "export": self.export,
            "library": self.library,
        }

    def answer(self, name: Any, params: Any = None) -> Any:
        """What `/api/<name>` answers for `params`; a mistake raises ExplorerError or
        pydantic's ValidationError (`one_line` words either)."""
        handler = self.handlers.get(name) if isinstance(name, str) else None
        if handler is None:
            known = ", ".join(self.handlers)
            raise ExplorerError(f"unknown request {str(name)[:50]!r}; known: {known}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ExplorerError(f"{name}: params must be an object, not {type(params).__name__}")
        with self.state.lock:
            return handler(params)

    def reply(self, message: Any) -> dict[str, Any]:
        """`{id, name, params}` → `{id, result}` or `{id, error, status}` (one line)."""
        mid = message.get("id") if isinstance(message, dict) else None
        try:
            if not isinstance(message, dict):
                raise ExplorerError("a request is an object {id, name, params}")
            return {"id": mid, "result": self.answer(message.get("name"), message.get("params"))}
        except Exception as e:  # noqa: BLE001 (every failure answers, as the app's 500 does)
            status, line = failure(e)
            return {"id": mid, "error": line, "status": status}

    # -- the requests --------------------------------------------------------------------

    def points(self) -> dict[str, Any]:
        if self._points is None:
            self._points = json.loads(self.state.points())
        return self._points

    def paper(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.state.paper(PaperParams.model_validate(params).id)

    def find(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.state.find(FindParams.model_validate(params).q)

    def related(self, params: dict[str, Any]) -> dict[str, Any]:
        r = RelatedParams.model_validate(params)
        return self.state.related(
            r.id,
            k=r.k,
            mode=r.mode,
            negatives=r.not_,
            years=r.years,
            categories=r.categories,
            topics=r.topics,
        )

    def search(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.state.search(SearchBody.model_validate(params))

    def library(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.state.library(LibraryParams.model_validate(params))

    def export(self, params: dict[str, Any]) -> dict[str, Any]:
        """The download as text: `{text, filename, media_type}` (the page makes it a Blob)."""
        text, filename, media = self.state.export(ExportBody.model_validate(params))
        return {"text": text, "filename": filename, "media_type": media}
