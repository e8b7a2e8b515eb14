"""The web app's outer layer, as plain ASGI: the security headers on every response, the Host
check, and the request-body limit (docs/web.md, "Security model").

- **Host.** A client on this machine (a loopback address, or the very address it reached the
  server at) must name the server by one of `hosts`: a web page whose domain was rebound to
  127.0.0.1 (DNS rebinding) reads nothing, whatever `--host` says. A client on another machine
  may give any name when the server listens beyond loopback (`remote`): it reaches the server
  by names this process can not know.
- **Body.** A request whose body is over its route's limit is answered 413 before the body is
  read: at once when its Content-Length says so, else as soon as the streamed chunks pass it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

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
MiB = 1024 * 1024
# A JSON body: a query (50,000 characters of text, 100 examples and 100 negatives) fits in
# 1 MiB. An export names up to 100,000 papers: 8 MiB holds 100,000 ids of 80 characters.
MAX_BODY = 1 * MiB
MAX_BODIES = {"/api/export": 8 * MiB}


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv4-mapped too) is this machine's loopback."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def host_name(header: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name = header.rsplit(":", 1)[0] if header.count(":") == 1 else header
    return name.rstrip(".")


def _names(hosts: Iterable[str]) -> frozenset[str]:
    return frozenset(host_name(h) if h.startswith("[") or h.count(":") <= 1 else h for h in hosts)


async def reply(send: Send, status: int, message: str, *, close: bool = False) -> None:
    """The app's one-line JSON error, sent from outside the app."""
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if close:  # the client may still be sending a body nobody will read
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def too_large(limit: int) -> str:
    return f"the request body is over its limit of {limit // MiB} MiB"


class Guard:
    """Security headers, the Host check and the body limit around an ASGI app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: Iterable[str] = LOCAL_HOSTS,
        remote: bool = False,
        max_body: int = MAX_BODY,
        max_bodies: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.hosts = _names(hosts)
        self.remote = remote
        self.max_body = max_body
        self.max_bodies = MAX_BODIES if max_bodies is None else max_bodies
        self.headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
        # What `receive` raises past the limit: FastAPI re-raises an HTTPException from its
        # body parsing (anything else becomes a 400), so the app answers it: 413, one line.
        # (Imported here: the CLI imports this module for `is_loopback`, and starts faster.)
        from starlette.exceptions import HTTPException

        self.error = HTTPException

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, over = False, False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in have]
                if over:  # the client may still be sending the body nobody will read
                    extra.append((b"connection", b"close"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if not self.host_allowed(scope):
            await reply(send_with_headers, 400, "invalid Host header")
            return
        limit = self.max_bodies.get(scope.get("path", ""), self.max_body)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await reply(send_with_headers, 413, too_large(limit), close=True)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise self.error(413, too_large(limit))
            return message

        try:
            await self.app(scope, counted, send_with_headers)
        except Exception:
            if not over or started:
                raise
            await reply(send_with_headers, 413, too_large(limit), close=True)  # read elsewhere

    def host_allowed(self, scope: Scope) -> bool:
        """Whether the request's Host header may be answered (see the module's docstring)."""
        client = str((scope.get("client") or ("", 0))[0] or "")
        server = str((scope.get("server") or ("", 0))[0] or "")  # this end: an address
        here = is_address(server) and client == server  # this machine, by its network address
        local = is_loopback(client) or here
        if self.remote and not local:
            return True
        given = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        name = host_name(given)
        return bool(name) and (name in self.hosts or (here and name == host_name(server)))
