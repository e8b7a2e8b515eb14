"""The served corpus follows its builds: once a build commits, the next request is answered
from the new generation, without restarting the server.

Each request takes the current `Corpus` at its start (`Follow`, an ASGI middleware, puts it in
the request's state) and keeps it to its end, so a request in flight finishes on the generation
it started with: its parts are in memory or memory-mapped (`Explorer.load`), and stay readable
after a later build removes their files. `Follower.current` stats the corpus's manifest.json on
every request (a syscall) and reads it only when that changed; a new generation is opened under
a lock (`Explorer.reopen`: the loaded model is kept when the new build used the same one, so free
text stays warm) and replaces the old state, which is dropped when its last request ends. A
library the app shows (`--library`) is read again against the new build (its rows and vectors
are the build's); one that can not be read then is answered by `/api/library` as its error.

Every API response carries the generation it was answered from (`X-Explorer-Generation`); the
page compares it with the one it loaded and offers to reload when they differ.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread

from explorer.generations import read_manifest
from explorer.libraries import LibrarySource
from explorer.papers import ExplorerError
from explorer.storage import Layout
from explorer.web.corpus import Corpus
from explorer.workspace import Explorer

HEADER = "X-Explorer-Generation"
ATTEMPTS = 3  # a reopen that loses a race with two more builds (its files removed) tries again

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def _stamp(path: os.PathLike[str] | str) -> tuple[int, int, int] | None:
    """What changes when a build replaces the manifest (a new file: another inode and mtime)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class Follower:
    """The app's current `Corpus`, reopened when the corpus's committed generation changes."""

    def __init__(
        self, ex: Explorer, *, follow: bool = True, library: LibrarySource | None = None
    ) -> None:
        self.follow = follow
        self.layout = Layout(ex.layout.root)
        self._lock = threading.Lock()
        self._state = Corpus(ex, library)
        self._state.read_library()  # a library that can not be read stops the start: one line
        self._seen: tuple[int, int, int] | None = None  # the manifest as last compared
        # Loaded, so that requests in flight on it survive a rebuild too; one opened on a
        # generation removed since is reopened by the first request.
        with contextlib.suppress(ExplorerError, OSError):
            ex.load()

    @property
    def state(self) -> Corpus:
        """The state last answered from (without looking for a new build)."""
        return self._state

    def current(self) -> Corpus:
        """The state a request starting now answers from (reopened first, if a build has
        committed since the last request)."""
        state = self.fresh()
        if state is not None:
            return state
        with self._lock:
            state = self.fresh()  # another request may have reopened it meanwhile
            if state is not None:
                return state
            stamp = _stamp(self.layout.manifest)
            self._state = self._reopen(self._state)
            self._seen = stamp
            return self._state

    def fresh(self) -> Corpus | None:
        """The current state when the manifest has not changed since it was compared (one stat,
        no reading: cheap enough for the event loop), else None."""
        if not self.follow:
            return self._state
        stamp = _stamp(self.layout.manifest)
        if stamp is None or stamp == self._seen:
            return self._state  # no manifest: the corpus was removed; serve what is open
        return None

    def _reopen(self, state: Corpus) -> Corpus:
        """The state for the committed generation: `state` itself when that is still it, else
        a new one; the old one when the corpus can not be opened (said once on stderr)."""
        problem = ""
        for _ in range(ATTEMPTS):
            try:
                manifest = read_manifest(self.layout)
                if manifest is None or _generation(manifest) == state.generation:
                    return state
                fresh = Corpus(state.ex.reopen(), state.library_source)
                fresh.read_library(strict=False)  # the library against the new build
                return fresh
            except (ExplorerError, OSError) as e:
                problem = " ".join(str(e).split())
        print(
            f"note: corpus {state.ex.name!r} changed but could not be opened ({problem}); "
            f"still serving the build it had open",
            file=sys.stderr,
        )
        return state


def _generation(manifest: dict[str, Any]) -> str:
    return str(manifest.get("generation") or manifest.get("corpus_hash") or "")


class Follow:
    """ASGI middleware: every `/api/` request gets the current state in `scope["state"]
    ["corpus"]` (a reopen runs in a worker thread, never in the event loop), and its response
    the header naming the generation it was answered from."""

    def __init__(self, app: ASGIApp, follower: Follower) -> None:
        self.app = app
        self.follower = follower

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            await self.app(scope, receive, send)
            return
        state = self.follower.fresh()
        if state is None:
            state = await anyio.to_thread.run_sync(self.follower.current)
        scope.setdefault("state", {})["corpus"] = state
        header = (HEADER.lower().encode(), state.generation.encode("latin-1", "replace"))

        async def send_with_generation(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_generation)
