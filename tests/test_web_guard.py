"""The server's limits (issue 23, findings 17 and 18): a request body over its limit is refused
before it is read, a connection that is idle or sends its request too slowly is closed, and a
client on this machine must name the server by a loopback name whatever `--host` says.

Real uvicorn servers (configured as `explorer serve` runs them) spoken to over raw sockets,
where what is measured is the connection; FastAPI's TestClient where the client's address is
what a test sets."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import pytest
from fakes import HashEmbedder  # tests/fakes.py
from webapp import serving  # tests/webapp.py

from explorer import Explorer
from explorer.storage import seed_file

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from explorer.web import server
from explorer.web.app import create_app
from explorer.web.guard import LOCAL_HOSTS, MAX_BODIES, MAX_BODY, MiB, host_name, is_loopback

EVIL = "evil.example"


@pytest.fixture(scope="module")
def ex(tmp_path_factory) -> Explorer:
    root = tmp_path_factory.mktemp("guard") / "cache"
    return Explorer.build(
        seed_file(), name="guarded", listing_year=2026, root=root, embedder=HashEmbedder()
    )


@pytest.fixture(scope="module")
def client(ex) -> TestClient:
    return TestClient(create_app(ex), base_url="http://127.0.0.1")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@contextlib.contextmanager
def connect(port: int, host: str = "127.0.0.1", timeout: float = 10) -> Iterator[socket.socket]:
    with socket.create_connection((host, port), timeout=timeout) as s:
        yield s


def response(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response read off a socket: status, headers (lower case), body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    headers = {k.lower(): v for k, v in headers.items()}
    while len(body) < int(headers.get("content-length", 0)):
        body += s.recv(65536)
    return int(lines[0].split()[1]), headers, body


def closed_within(s: socket.socket, seconds: float) -> float:
    """How long until the server closes the connection (it sends nothing meanwhile)."""
    start = time.monotonic()
    s.settimeout(seconds)
    try:
        while s.recv(65536):
            pass
    except TimeoutError:
        return float("inf")  # still open
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def request(path: str, host: str = "127.0.0.1", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


# -- finding 17: body limits and timeouts ---------------------------------------------------


def test_a_body_over_its_limit_is_refused_before_it_is_read(ex):
    """100 MB announced, nothing sent: the answer (413, one line) comes at once, and the
    connection is closed (the body is never read into memory)."""
    with serving(create_app(ex)) as url, connect(port_of(url)) as s:
        s.sendall(
            b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"
        )
        status, headers, body = response(s)
        assert status == 413 and headers["connection"] == "close"
        assert json.loads(body) == {"error": "the request body is over its limit of 1 MiB"}
        assert "content-security-policy" in headers
        assert closed_within(s, 5) < 5


def test_a_streamed_body_is_cut_at_its_limit(client):
    """Without a Content-Length (chunked), the chunks are counted: past the limit, a 413."""

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    r = client.post("/api/search", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json() == {
        "error": "the request body is over its limit of 1 MiB"
    }


def test_the_limits_fit_the_api(client, ex):
    """A 50,000-character query and an export of 100,000 ids (80 characters each, compact JSON
    as the page sends it) pass; a body over 1 MiB (a query) or 8 MiB (an export) does not."""
    assert (MAX_BODY, MAX_BODIES["/api/export"]) == (MiB, 8 * MiB)
    text = ("sparse probing of language models " * 1500)[:50_000]
    assert client.post("/api/search", json={"text": text, "k": 3}).status_code == 200
    ids = list(ex.corpus.ids) * (100_000 // len(ex.corpus)) + list(ex.corpus.ids)[:1]
    ids = ids[:100_000]
    r = client.post("/api/export", json={"ids": ids, "format": "jsonl"})
    assert r.status_code == 200 and len(r.text.splitlines()) == len(ex.corpus)
    long_ids = [f"{i:080d}" for i in range(100_000)]
    body = json.dumps({"ids": long_ids, "format": "csv"}, separators=(",", ":"))  # as JS sends
    assert 8_000_000 < len(body) <= 8 * MiB
    r = client.post("/api/export", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "unknown paper ids" in r.json()["error"]  # read and checked
    big = json.dumps({"ids": long_ids + ["x" * 500_000], "format": "csv"})
    r = client.post("/api/export", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "8 MiB" in r.json()["error"]
    r = client.post("/api/search", content=b" " * (MiB + 1), headers={"content-type": "x/y"})
    assert r.status_code == 413


def test_uvicorn_runs_with_timeouts_and_a_head_limit(ex):
    config = server.config(create_app(ex))
    assert config.timeout_keep_alive == server.IDLE_TIMEOUT == 5
    assert config.h11_max_incomplete_event_size == server.HEAD_LIMIT == MiB
    assert issubclass(config.http, server.Protocol) and config.http.read_timeout == 30


def test_idle_and_slow_connections_are_closed(ex):
    """With a 1 s read timeout and keep-alive: a connection that sends nothing, one whose head
    or body trickles in, and a kept-alive one after its answer are all closed within ~1 s; a
    request that arrives in time is answered."""
    with serving(create_app(ex), read_timeout=1, timeout_keep_alive=1) as url:
        port = port_of(url)
        with connect(port) as s:  # sends nothing
            assert closed_within(s, 5) < 3
        with connect(port) as s:  # a header line every 0.3 s, never done (6 s)
            start = time.monotonic()
            with contextlib.suppress(OSError):  # the server hangs up meanwhile
                s.sendall(b"GET /api/info HTTP/1.1\r\n")
                for i in range(20):
                    time.sleep(0.3)
                    s.sendall(f"X-Slow-{i}: {i}\r\n".encode())
            closed_within(s, 5)
            assert time.monotonic() - start < 4
        with connect(port) as s:  # a body that never comes whole
            s.sendall(
                b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            assert closed_within(s, 5) < 3
        with connect(port) as s:  # in time: answered, then closed when idle
            s.sendall(request("/api/info"))
            status, _, body = response(s)
            assert status == 200 and json.loads(body)["corpus"] == "guarded"
            assert closed_within(s, 5) < 3


def test_a_long_query_fits_the_head_limit(ex):
    """`/api/find?q=` with the 50,000 characters the API allows, percent-encoded (300 kB), is
    answered (h11's default head limit, 16 KiB, refused it); a head over 1 MiB is not."""
    from urllib.parse import quote

    with serving(create_app(ex)) as url:
        with connect(port_of(url)) as s:
            s.sendall(request("/api/find?q=" + quote("é" * 50_000)))
            status, _, body = response(s)
            assert status == 200 and json.loads(body) == {"paper": None, "miss": None}
        with connect(port_of(url)) as s:
            with contextlib.suppress(OSError):  # refused before the whole head is sent
                s.sendall(request("/api/find?q=" + "x" * 2 * MiB))
            try:
                status = response(s)[0]
            except ConnectionError:  # reset: the 400 was lost with the bytes never read
                status = 400
            assert status == 400


# -- finding 18: the Host check holds for clients on this machine ------------------------------


def test_loopback_clients_must_name_loopback_on_a_server_open_to_others(ex):
    """`serve --host 0.0.0.0`: a request to 127.0.0.1 naming another host is refused (a page
    whose domain was rebound to this machine), and so is one to this machine's own address;
    loopback names and the address the server was given are answered."""
    app = create_app(ex, hosts=(*LOCAL_HOSTS, "0.0.0.0"), remote=True)
    with serving(app, host="0.0.0.0") as url:
        port = port_of(url)
        for host, status in [
            (EVIL, 400),
            (f"{EVIL}:{port}", 400),
            (f"127.0.0.1:{port}", 200),
            ("localhost", 200),
            (f"0.0.0.0:{port}", 200),
        ]:
            with connect(port) as s:
                s.sendall(request("/api/info", host))
                got, _, body = response(s)
                assert got == status, (host, body)
                if status == 400:
                    assert json.loads(body) == {"error": "invalid Host header"}
        own = own_address()
        if own is not None:  # this machine by its network address: a client on it all the same
            with connect(port, own) as s:
                s.sendall(request("/api/info", EVIL))
                assert response(s)[0] == 400
            with connect(port, own) as s:
                s.sendall(request("/api/info", f"{own}:{port}"))
                assert response(s)[0] == 200


def own_address() -> str | None:
    """This machine's non-loopback IPv4 address, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
        except OSError:
            return None
        ip = str(s.getsockname()[0])
    return None if is_loopback(ip) or ip == "0.0.0.0" else ip


@pytest.mark.parametrize(
    ("remote", "client", "host", "answered"),
    [
        (True, ("203.0.113.7", 4000), EVIL, True),  # another machine: any name
        (True, ("127.0.0.1", 4000), EVIL, False),
        (True, ("::1", 4000), EVIL, False),
        (True, ("::ffff:127.0.0.1", 4000), EVIL, False),
        (True, ("127.0.0.1", 4000), "localhost:8765", True),
        (True, ("127.0.0.1", 4000), "[::1]:8765", True),
        (False, ("203.0.113.7", 4000), EVIL, False),  # a loopback server: loopback names only
        (False, ("127.0.0.1", 4000), "127.0.0.1:8765", True),
        (False, ("127.0.0.1", 4000), "LOCALHOST", True),
    ],
)
def test_the_host_rule(ex, remote, client, host, answered):
    app = create_app(ex, remote=remote)
    r = TestClient(app, base_url=f"http://{host}", client=client).get("/api/info")
    assert r.status_code == (200 if answered else 400), r.text
    assert "content-security-policy" in r.headers


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8765", "127.0.0.1"),
        ("[::1]:9000", "::1"),
        ("[::1]", "::1"),
        ("LocalHost.", "localhost"),
        ("evil.example:80", "evil.example"),
        ("", ""),
    ],
)
def test_host_names(header, name):
    assert host_name(header) == name
