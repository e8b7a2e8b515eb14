"""`explorer serve` follows its corpus (issue 23, finding 2): while builds replace the corpus, a
real server answers every request (no 5xx, no "rebuilt" 400), from the new build once it is
committed; a request in flight finishes on the build it started with; `/api/find` answers null
only for a miss; every answer names its build, and the page offers to reload when it changes.

The corpus is small and embedded by the tests' instant `HashEmbedder`, so that builds run in a
loop in seconds; what the real model finds is tested elsewhere."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedder  # tests/fakes.py
from webapp import serving  # tests/webapp.py

from explorer import Explorer, opening
from explorer.generations import read_manifest
from explorer.storage import Layout

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from explorer.web.app import create_app
from explorer.web.corpus import Corpus, SearchBody
from explorer.web.dispatch import Dispatcher

# Two papers whose titles share their first words: "Sparse Probing" names both (ambiguous).
TWINS = [
    {
        "id": "twin-1",
        "title": "Sparse Probing of Language Models",
        "abstract": "We probe the neurons of language models with sparse linear classifiers.",
    },
    {
        "id": "twin-2",
        "title": "Sparse Probing of Vision Models",
        "abstract": "We probe the units of vision transformers with sparse linear classifiers.",
    },
]


@pytest.fixture(scope="module")
def versions(seed_corpus) -> list[list[dict[str, Any]]]:
    """Four contents of one corpus: the same ten papers and the twins, and different others."""
    rows = [p.to_dict() for p in seed_corpus]
    core = rows[:10] + TWINS
    return [core + rows[a:b] for a, b in ((10, 22), (22, 34), (30, 41), (14, 28))]


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)
    return path


def build(src: Path, root: Path, rows: list[dict[str, Any]], **options: Any) -> Explorer:
    """Build corpus "k" from `rows` (always the same file: the corpus's own source, changed)."""
    write(src, rows)
    options.setdefault("embedder", HashEmbedder())
    return Explorer.build(src, name="k", root=root, **options)


def committed(root: Path) -> str:
    manifest = read_manifest(Layout(root / "k"))
    assert manifest is not None
    return str(manifest["generation"])


@pytest.fixture
def corpus(tmp_path, versions) -> tuple[Explorer, Path, Path]:
    src, root = tmp_path / "k.jsonl", tmp_path / "cache"
    return build(src, root, versions[0]), src, root


def opened(root: Path) -> Explorer:
    """Corpus "k" as `explorer serve` opens it (nothing loaded but the index and titles), with
    the tests' model for free text."""
    o = opening.open_built("k", root)
    return Explorer(o.name, o.corpus, o.index, o.manifest, root=o.root, embedder=HashEmbedder())


def test_the_server_follows_rebuilds_while_requests_run(corpus, versions):
    """A real server whose page has loaded; the corpus is built twice (the files it was opened
    on are removed), then requests run in a loop from three threads while it is built three more
    times with other papers. Every answer is a 200 (for papers every build has), none a
    "rebuilt" error, each names its build; after the last build the answers are its own."""
    _, src, root = corpus
    core = versions[0][0]
    failures: list[str] = []
    seen: set[str] = set()
    count = [0]
    stop = threading.Event()

    def client(url: str) -> None:
        calls = [
            ("GET", "/api/info", None),
            ("GET", "/api/points", None),
            ("GET", "/api/related", {"id": core["id"], "k": 5}),
            ("POST", "/api/search", {"text": "language models for dialogue", "k": 5}),
            ("GET", "/api/find", {"q": core["id"]}),
            ("GET", "/api/find", {"q": core["title"]}),
            ("GET", f"/api/paper/{core['id']}", None),
            ("POST", "/api/search", {"examples": [core["id"]], "k": 3}),
        ]
        with httpx.Client(base_url=url, timeout=60) as http:
            while not stop.is_set():
                for method, path, params in calls:
                    if method == "GET":
                        r = http.get(path, params=params)
                    else:
                        r = http.post(path, json=params)
                    count[0] += 1
                    gen = r.headers.get("x-explorer-generation")
                    seen.add(gen or "")
                    body = r.text
                    if r.status_code != 200 or not gen or "rebuilt" in body:
                        failures.append(f"{path} {r.status_code} {body[:200]}")
                    elif path == "/api/find" and (r.json()["paper"] or {}).get("id") != core["id"]:
                        failures.append(f"find {params} answered {body[:200]}")
                    elif path == "/api/info" and r.json()["generation"] != gen:
                        failures.append(f"info {r.json()['generation']} under header {gen}")

    with serving(create_app(opened(root))) as url:
        assert httpx.get(url + "/api/info", timeout=60).status_code == 200  # the page loaded
        build(src, root, versions[1])
        build(src, root, versions[2])
        threads = [threading.Thread(target=client, args=(url,)) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            for rows in (versions[3], versions[1], versions[3]):
                time.sleep(0.5)  # requests on one build, then the next build
                build(src, root, rows)
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        assert failures == [], (len(failures), failures[:5])
        assert count[0] > 40 and len(seen) >= 3  # the clients saw the builds come

        last = versions[3]
        with httpx.Client(base_url=url, timeout=60) as http:
            info = http.get("/api/info")
            gen = info.headers["x-explorer-generation"]
            assert info.json()["generation"] == gen == committed(root)
            assert info.json()["papers"] == len(last)
            assert info.json()["model_loaded"]  # the model was kept: free text stays warm
            assert http.get("/api/points").json()["ids"] == [r["id"] for r in last]
            newest = last[-1]  # a paper only the last build has
            found = http.get("/api/find", params={"q": newest["id"]}).json()
            assert found["paper"]["id"] == newest["id"]
            gone = versions[2][-1]["id"]  # a paper of an earlier build only
            assert http.get("/api/find", params={"q": gone}).json() == {"paper": None, "miss": None}
            hits = http.get("/api/related", params={"id": newest["id"], "k": 30}).json()["hits"]
            assert {h["id"] for h in hits} == {r["id"] for r in last} - {newest["id"]}
            text = http.post("/api/search", json={"text": newest["title"], "k": 1}).json()
            assert text["hits"][0]["id"] == newest["id"]


def test_a_request_in_flight_finishes_on_its_build(corpus, versions):
    """A request holds the state it started with: after two more builds (which remove its
    generation's files), it still answers, from its own build; the next request gets the new."""
    ex, src, root = corpus
    follower = create_app(ex).state.follower
    old = follower.current()
    old_gen = old.generation
    build(src, root, versions[1])
    build(src, root, versions[2])
    assert not (root / "k" / old_gen).exists()  # its files are gone
    new = follower.current()
    assert new is not old and new.generation == committed(root)
    assert follower.current() is new  # reopened once, not per request

    first = {r["id"] for r in versions[0]}
    core = versions[0][0]["id"]
    hits = old.related(core, k=8, mode=None, negatives=[], years=None, categories=[], topics=[])
    assert len(hits["hits"]) == 8 and {h["id"] for h in hits["hits"]} <= first
    found = old.search(SearchBody(text="sparse probing of models", k=4))["hits"]
    assert {h["id"] for h in found} <= first
    assert old.info()["papers"] == len(versions[0]) and old.info()["generation"] == old_gen
    assert json.loads(old.points())["ids"] == [r["id"] for r in versions[0]]
    assert new.info()["papers"] == len(versions[2])


def test_the_model_is_kept_only_when_the_build_used_the_same_one(corpus, versions):
    ex, src, root = corpus
    client = TestClient(create_app(ex), base_url="http://127.0.0.1")
    assert client.get("/api/info").json()["model_loaded"]
    build(src, root, versions[1])
    assert client.get("/api/info").json()["model_loaded"]  # the same model: kept
    assert client.post("/api/search", json={"text": "dialogue", "k": 2}).status_code == 200
    build(src, root, versions[1], embedder=HashEmbedder(dim=32))  # another model
    info = client.get("/api/info").json()
    assert info["generation"] == committed(root) and not info["model_loaded"]


def test_find_is_null_only_for_a_miss(corpus):
    """`/api/find` (and the widget's find): a paper, or null when the text names none; a name
    that fits several papers is a 409 naming them, and a failure is an error, never null."""
    ex, _, _ = corpus
    client = TestClient(create_app(ex), base_url="http://127.0.0.1", raise_server_exceptions=False)
    assert client.get("/api/find", params={"q": "twin-1"}).json()["paper"]["id"] == "twin-1"
    assert client.get("/api/find", params={"q": "cooking with gas"}).json() == {
        "paper": None,
        "miss": None,
    }
    r = client.get("/api/find", params={"q": "Sparse Probing"})
    assert r.status_code == 409
    assert "Vision Models" in r.json()["error"] and "\n" not in r.json()["error"]
    widget = Dispatcher(ex).reply({"id": 1, "name": "find", "params": {"q": "Sparse Probing"}})
    assert widget["status"] == 409 and "matches 2 titles" in widget["error"]

    def broken(self: Corpus, query: str) -> Any:
        raise RuntimeError("disk on fire")

    original = Corpus.paper
    try:
        Corpus.paper = broken  # type: ignore[method-assign]
        r = client.get("/api/find", params={"q": "twin-1"})
        assert r.status_code == 500 and r.json() == {"error": "internal error: RuntimeError"}
        assert "content-security-policy" in r.headers
    finally:
        Corpus.paper = original  # type: ignore[method-assign]


def test_every_api_answer_names_its_build(corpus, versions):
    ex, src, root = corpus
    client = TestClient(create_app(ex), base_url="http://127.0.0.1")
    gen = committed(root)
    for r in (
        client.get("/api/info"),
        client.get("/api/related", params={"id": "nope-nope"}),  # 404
        client.get("/api/related", params={"id": "twin-1", "k": 0}),  # 422
        client.post("/api/export", json={"ids": ["twin-1"], "format": "csv"}),
    ):
        assert r.headers["x-explorer-generation"] == gen, r.text
    assert client.get("/api/info").json()["generation"] == gen
    build(src, root, versions[1])
    assert client.get("/api/points").headers["x-explorer-generation"] == committed(root) != gen


@pytest.mark.browser
def test_an_open_page_offers_to_reload_after_a_rebuild(corpus, versions):
    """The page loaded before a build hears of it with its next call: a bar says so (as text)
    and its button reloads the page on the new build."""
    from browser import ARGS, CHROMIUM, PageLog, record  # tests/browser.py

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package")
    from playwright.sync_api import sync_playwright

    ex, src, root = corpus
    with serving(create_app(ex)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        log = PageLog()
        record(page, log, url + "/")
        page.goto(url + "/")
        page.wait_for_selector("#explorer-app[data-ready=true]", timeout=30_000)
        assert page.locator("#rebuilt").count() == 0
        page.fill("#query", "twin-1")
        page.press("#query", "Enter")
        page.wait_for_selector("#card h3", timeout=10_000)
        assert page.locator("#rebuilt").count() == 0  # no build yet: no bar

        build(src, root, versions[1])
        page.fill("#query", "twin-2")
        page.press("#query", "Enter")
        bar = page.wait_for_selector("#rebuilt", timeout=10_000)
        assert bar.text_content() == "the corpus was rebuilt — reload×"
        assert page.locator("#card h3").text_content() == TWINS[1]["title"]  # still usable
        with page.expect_navigation():
            page.click("#reload")
        page.wait_for_selector("#explorer-app[data-ready=true]", timeout=30_000)
        assert page.locator("#rebuilt").count() == 0
        assert f"({len(versions[1])} papers)" in page.locator("h1").text_content()
        browser.close()
    assert log.page_errors == [] and log.console_errors == [] and log.blocked == []
