"""`POST /api/topics/edit`: a topic edit from the page (rename, merge, move), through the same
`Explorer` API as the CLI. Only a server started with `explorer serve --edit` takes them; any
other answers 403 with one line."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

READ_ONLY = "this server is read-only: start it with `explorer serve --edit` to edit topics"


class EditBody(BaseModel):
    """rename: `topic` and `label`; merge: `other` into `topic`; move: `paper` into `topic`."""

    op: Literal["rename", "merge", "move"]
    topic: str = Field(max_length=40)
    label: str | None = Field(default=None, max_length=1000)
    other: str | None = Field(default=None, max_length=40)
    paper: str | None = Field(default=None, max_length=1000)


def add_route(app: FastAPI, *, enabled: bool) -> None:
    @app.post("/api/topics/edit")
    def edit(request: Request, body: EditBody) -> dict[str, Any]:
        """Make one topic edit (kept in the corpus's edits.json); the map's next /api/points
        and /api/info carry it."""
        if not enabled:
            raise HTTPException(403, READ_ONLY)
        from explorer.maps.edits import describe

        state = request.state.corpus
        with state.lock:
            ex = state.ex
            if body.op == "rename":
                made = ex.rename_topic(body.topic, body.label or "")
            elif body.op == "merge":
                made = ex.merge_topics(body.topic, body.other or "")
            else:
                made = ex.move_paper(body.paper or "", body.topic)
            state._points = state._info = None  # computed again, with the edit
            return {"edit": describe(made), "edits": len(ex.topic_edits())}
