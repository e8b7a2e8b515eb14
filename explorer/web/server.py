"""How `explorer serve` runs the app under uvicorn: its limits and timeouts (docs/web.md).

uvicorn closes a connection that stays idle after a response (`timeout_keep_alive`) but has no
read timeout: a connection that never sends a request, or sends one a byte at a time, stays
open. `Protocol` is uvicorn's h11 protocol with one: a new connection that sends nothing is
closed after `IDLE_TIMEOUT` seconds, as an idle kept-alive one is, and a request must arrive
whole (its head and its body) within `READ_TIMEOUT` seconds of its first byte. h11 bounds a
request's head (`HEAD_LIMIT`); the app bounds its body (guard.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

IDLE_TIMEOUT = 5  # seconds a connection may wait before (or between) requests: uvicorn's default
READ_TIMEOUT = 30  # seconds a request may take to arrive whole, from its first byte
# A request's line and headers: 1 MiB, so that `/api/find?q=` takes the 50,000 characters the
# API allows (percent-encoded, up to 12 bytes a character); h11's default is 16 KiB.
HEAD_LIMIT = 1024 * 1024


class Protocol(H11Protocol):
    """uvicorn's h11 protocol, with the read timeout uvicorn lacks (see the module's docstring).

    A timer runs while the server waits for a request: armed when the connection opens (idle:
    `timeout_keep_alive`), re-armed at the request's first byte (`read_timeout`), stopped once
    the request has arrived whole. When it fires, the connection is closed."""

    read_timeout: float = READ_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._reading = False
        self._timer: asyncio.TimerHandle | None = None
        self._arm(self.timeout_keep_alive)

    def data_received(self, data: bytes) -> None:
        if not self._reading:  # a request's first byte: from now on it must arrive whole
            self._reading = True
            self._arm(self.read_timeout)
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):  # arrived (or closed)
            self._reading = False
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # idle from here on: uvicorn's keep-alive timer
        if self.conn.their_state is h11.SEND_BODY:  # answered before its body arrived
            return  # the request's own timer runs on
        self._reading = False
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()


def config(app: Any, *, read_timeout: float = READ_TIMEOUT, **options: Any) -> Config:
    """The uvicorn configuration `explorer serve` runs `app` with (the tests' servers too)."""
    protocol = type("Protocol", (Protocol,), {"read_timeout": read_timeout})
    settings: dict[str, Any] = {
        "http": protocol,
        "timeout_keep_alive": IDLE_TIMEOUT,
        "h11_max_incomplete_event_size": HEAD_LIMIT,
        "log_level": "warning",
        "access_log": False,
    }
    return Config(app, **{**settings, **options})
