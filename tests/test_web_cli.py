"""`explorer serve`: loopback by default, a warning for any other address, a browser tab unless
`--no-browser`, and a port in use or an unknown corpus as one line (the server itself is
stubbed: tests/test_web_page.py drives a real one)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from fakes import HashEmbedder  # tests/fakes.py

from explorer import Explorer
from explorer.cli import main
from explorer.storage import seed_file

pytest.importorskip("uvicorn")

from explorer.cli.serve import is_loopback, listen


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("serve") / "cache"
    Explorer.build(
        seed_file(),
        root=root,
        name="tiny",
        listing_year=2026,
        embedder=HashEmbedder(),
        with_map=False,
    )
    return root


@pytest.fixture
def serve(cache, monkeypatch):
    """Run `explorer serve ARGS`: returns (result, what the server was given, opened URLs)."""
    ran: list[Any] = []
    opened: list[str] = []
    configs: list[Any] = []

    def run_server(self: Any, sockets: list[socket.socket]) -> None:
        ran.append((self.config.app, sockets[0].getsockname()))
        configs.append(self.config)
        for s in sockets:
            s.close()

    monkeypatch.setattr("uvicorn.Server.run", run_server)
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))

    def invoke(*args: str):
        out = CliRunner().invoke(main, ["serve", *args], env={"EXPLORER_CACHE": str(cache)})
        invoke.config = configs[-1] if configs else None  # type: ignore[attr-defined]
        return out, ran, opened

    return invoke


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.5.0.1", True)]
    + [("0.0.0.0", False), ("192.168.1.4", False), ("::", False), ("example.org", False)],
)
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_serves_loopback_and_opens_a_tab(serve):
    out, ran, opened = serve("--corpus", "tiny", "--port", "0")
    assert out.exit_code == 0, out.stderr
    (app, (host, port)) = ran[0]
    assert host == "127.0.0.1" and port > 0
    assert "warning" not in out.stderr and f"http://127.0.0.1:{port}/" in out.stderr
    deadline = time.monotonic() + 5
    while not opened and time.monotonic() < deadline:
        time.sleep(0.05)
    assert opened == [f"http://127.0.0.1:{port}/"]
    assert {r.path for r in app.routes} >= {"/api/info", "/api/search", "/api/export"}


def test_another_host_warns_on_one_line(serve):
    out, ran, opened = serve("--corpus", "tiny", "--port", "0", "--host", "0.0.0.0", "--no-browser")
    assert out.exit_code == 0, out.stderr
    warning = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "anyone who can reach" in warning[0]
    time.sleep(1.3)
    assert opened == []


def test_loopback_clients_name_the_server_whatever_host_says(serve):
    """`--host 0.0.0.0`: a request from this machine naming another host (a page whose domain
    was rebound to 127.0.0.1) is refused; one from another machine may name any (issue 23,
    finding 18). The server runs with the read timeout and limits of `explorer.web.server`."""
    from fastapi.testclient import TestClient

    from explorer.web import server

    out, ran, _ = serve("--corpus", "tiny", "--port", "0", "--host", "0.0.0.0", "--no-browser")
    assert out.exit_code == 0, out.stderr
    app = ran[-1][0]
    for client, host, status in [
        (("127.0.0.1", 5000), "evil.example", 400),
        (("127.0.0.1", 5000), "127.0.0.1:8765", 200),
        (("127.0.0.1", 5000), "0.0.0.0:8765", 200),
        (("127.0.0.1", 5000), socket.gethostname(), 200),
        (("198.51.100.2", 5000), "evil.example", 200),
    ]:
        r = TestClient(app, base_url=f"http://{host}", client=client).get("/api/info")
        assert r.status_code == status, (client, host, r.text)
    out, ran, _ = serve("--corpus", "tiny", "--port", "0", "--no-browser")  # loopback: only
    r = TestClient(ran[-1][0], base_url="http://evil.example", client=("198.51.100.2", 1))
    assert r.get("/api/info").status_code == 400
    config = serve.config
    assert issubclass(config.http, server.Protocol) and config.timeout_keep_alive == 5
    assert config.h11_max_incomplete_event_size == server.HEAD_LIMIT


def test_mistakes_are_one_line(serve):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        out, ran, _ = serve("--corpus", "tiny", "--port", str(port), "--no-browser")
        assert out.exit_code == 1 and ran == []
        assert out.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}")
        assert len(out.stderr.strip().splitlines()) == 1
        with pytest.raises(click.ClickException):
            listen("127.0.0.1", port)
    out, ran, _ = serve("--corpus", "no-such-corpus", "--port", "0", "--no-browser")
    assert out.exit_code == 1 and ran == [] and len(out.stderr.strip().splitlines()) == 1
    out, _, _ = serve("--port", "70000")
    assert out.exit_code == 2 and "70000" in out.stderr


def test_a_real_server_answers_and_stops_on_ctrl_c(cache):
    """The real command in a subprocess: it serves the API on loopback, Ctrl-C stops it (0)."""
    import json
    import os
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    exe = Path(sys.executable).with_name("explorer")
    env = {**os.environ, "EXPLORER_CACHE": str(cache)}
    cmd = [str(exe), "serve", "--corpus", "tiny", "--port", "0", "--no-browser"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url.group(0) + "api/info", timeout=30) as r:
            assert json.load(r)["corpus"] == "tiny"
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in rest and "Error" not in rest
