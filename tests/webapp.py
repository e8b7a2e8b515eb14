"""What the web app's tests share: a hostile corpus and a real uvicorn server on a free port."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

XSS_SCRIPT = "</script><script>window.__pwned=1</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_LINK = '<a href="javascript:alert(1)">click</a>'
FORMULA = '=HYPERLINK("http://evil.example/","click")'
BRACES = "Unbalanced { brace } 100% & $x_1$ #1 ~ ^ \\relax"


def hostile_jsonl(seed_corpus: Any, path: Path) -> Path:
    """The seed corpus as JSON Lines with hostile titles, abstracts, authors and categories."""
    rows = [p.to_dict() for p in seed_corpus]
    evil = {
        0: {"title": XSS_SCRIPT + " Gemma", "authors": [XSS_IMG, "@SUM(A1)"]},
        1: {"title": XSS_IMG + " influence", "abstract": XSS_LINK + " " + rows[1]["abstract"]},
        2: {"title": FORMULA, "categories": ["cs.HC", "<b>x</b>"]},
        3: {"title": BRACES, "authors": ["-2+3", "Ann {O'Neil}"]},
        4: {"title": "javascript:alert(1)", "abstract": XSS_SCRIPT + rows[4]["abstract"]},
    }
    for i, change in evil.items():
        rows[i].update(change)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(app: Any, host: str = "127.0.0.1", **options: Any) -> Iterator[str]:
    """Run `app` under a real uvicorn on `host` in a background thread, configured as `explorer
    serve` runs it (`options` override: `read_timeout=…`, `timeout_keep_alive=…`); yields its
    URL on 127.0.0.1."""
    import uvicorn

    from explorer.web import server as config

    port = free_port()
    server = uvicorn.Server(config.config(app, host=host, port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
