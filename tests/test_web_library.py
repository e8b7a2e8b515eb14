"""Your library on the map (issue 25, item 4): `/api/library` (`explorer serve --library`) and
the widget's dispatcher answer alike; the library is read again when the server follows a
rebuild; `Explorer.figure(library=…)` and `explorer map --library` draw it; and in a real
Chromium the page's Library layer toggles, has one hollow marker per library paper, selects the
library, and lists the recommended papers with the library papers each is like.

A 3-paper library against the seed corpus (2 papers the corpus holds, 1 it lacks), with the real
model; following rebuilds uses the tests' instant `HashEmbedder`. What the recommendations are
worth is tested in test_library.py and measured in docs/quality.md.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import ARGS, CHROMIUM, PageLog, record  # tests/browser.py
from helpers import LIBRARY, run_explorer  # tests/helpers.py
from test_web_follow import build, opened, versions  # noqa: F401 (a fixture)
from webapp import XSS_IMG, serving  # tests/webapp.py

from explorer import Explorer, ExplorerError

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from explorer.web.app import create_app
from explorer.web.dispatch import Dispatcher

MAP = "document.getElementById('map')"
SHOTS = Path("/tmp/explorer-scratch")
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
LAYER = f"{MAP}.data.find(t => t.name === 'your library')"
# the same three papers, the one the corpus lacks with a title that is HTML: shown as text
MINE = [*LIBRARY[:2], {**LIBRARY[2], "title": XSS_IMG + " " + LIBRARY[2]["title"]}]


@pytest.fixture(scope="module")
def ex(tmp_path_factory, embedder) -> Explorer:
    """The seed corpus with the real model: its map has topics, as a user's has."""
    root = tmp_path_factory.mktemp("weblib") / "cache"
    return Explorer.build(root=root, embedder=embedder)


@pytest.fixture(scope="module")
def library_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lib") / "mylib.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in MINE), "utf-8")
    return path


@pytest.fixture(scope="module")
def client(ex, library_file) -> TestClient:
    app = create_app(ex, library=str(library_file))
    return TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)


def test_the_library_answers_its_papers_on_the_map_and_its_recommendations(
    client, ex, library_file
):
    lib = ex.library(str(library_file))
    r = client.get("/api/library")
    assert r.status_code == 200, r.text
    d = r.json()
    held = len(lib.in_corpus)  # which papers the corpus holds: test_library.py's question
    assert held >= 1 and lib.rows[2] is None
    assert (d["name"], d["count"], d["in_corpus"]) == ("mylib.jsonl", 3, held)
    assert client.get("/api/info").json()["library"] == {
        "name": "mylib.jsonl",
        "count": 3,
        "in_corpus": held,
    }
    assert [p["id"] for p in d["papers"]] == [e["id"] for e in MINE]
    assert [p["row"] for p in d["papers"]] == list(lib.rows)
    pts = client.get("/api/points").json()
    for p in d["papers"]:
        assert set(p) >= {"id", "title", "row", "x", "y", "authors", "year"}
        if p["row"] is not None:  # a paper the corpus holds sits on its own point
            assert p["corpus_id"] == pts["ids"][p["row"]]
            assert abs(p["x"] - pts["x"][p["row"]]) < 1e-3
            assert abs(p["y"] - pts["y"][p["row"]]) < 1e-3
    outside = d["papers"][2]
    assert outside["row"] is None and outside["corpus_id"] is None
    # placed among the corpus's points (a weighted mean of some of them: inside their box)
    assert min(pts["x"]) <= outside["x"] <= max(pts["x"])
    assert min(pts["y"]) <= outside["y"] <= max(pts["y"])
    # the recommendations are the facade's, never the library's own, each naming 3 of them
    want = [h.paper.id for h in ex.related(library=lib, k=20)]
    assert [h["id"] for h in d["recommended"]] == want and d["k"] == 20
    mine = {pts["ids"][r] for r in lib.in_corpus}
    assert not mine & set(want)
    titles = {e["title"] for e in MINE}
    for h in d["recommended"]:
        near = h["why"]["library"]
        assert len(near) == 3 and {n["title"] for n in near} <= titles
        assert all(-1 <= n["cosine"] <= 1 for n in near)


def test_k_and_since_and_mistakes_are_one_line(client):
    assert len(client.get("/api/library", params={"k": 3}).json()["recommended"]) == 3
    later = client.get("/api/library", params={"since": "2100"}).json()
    assert later["recommended"] == [] and later["since"] == "2100-01-01"
    for params, status, words in [
        ({"k": 0}, 422, "k"),
        ({"k": 10_000}, 422, "k"),
        ({"k": "ten"}, 422, "k"),
        ({"since": "June"}, 400, "since"),
        ({"since": "x" * 60}, 422, "since"),
    ]:
        r = client.get("/api/library", params=params)
        assert r.status_code == status, (params, r.text)
        err = r.json()["error"]
        assert words in err and "\n" not in err and "Traceback" not in err


def test_no_library_is_a_404_and_info_says_none(ex):
    plain = TestClient(create_app(ex), base_url="http://127.0.0.1")
    r = plain.get("/api/library")
    assert r.status_code == 404 and "--library" in r.json()["error"]
    assert plain.get("/api/info").json()["library"] is None
    reply = Dispatcher(ex).reply({"id": 1, "name": "library", "params": {}})
    assert reply["status"] == 404 and "--library" in reply["error"]


def test_a_library_that_can_not_be_read_stops_the_start_in_one_line(ex, tmp_path):
    bad = tmp_path / "broken.jsonl"
    bad.write_text("{not json\n", "utf-8")
    for source in (str(tmp_path / "missing.bib"), str(bad)):
        for make in (lambda s: create_app(ex, library=s), lambda s: Dispatcher(ex, s)):
            with pytest.raises(ExplorerError) as e:
                make(source)
            assert "\n" not in str(e.value)


def test_the_dispatcher_answers_as_the_app(ex, client, library_file):
    d = Dispatcher(ex, str(library_file))
    for params in ({}, {"k": 5}, {"k": 4, "since": "2020"}):
        assert d.answer("library", params) == client.get("/api/library", params=params).json()
    info = d.answer("info")
    assert info["library"] == client.get("/api/info").json()["library"]
    for params, status in [({"k": 0}, 422), ({"since": "June"}, 400), ({"wat": 1}, 422)]:
        reply = d.reply({"id": 2, "name": "library", "params": params})
        assert reply["status"] == status and "\n" not in reply["error"]


def test_the_widget_shows_the_library(ex, client, library_file):
    pytest.importorskip("anywidget")
    from explorer.web.widget import ExplorerWidget, esm

    w = ExplorerWidget(ex, library=str(library_file))
    sent: list[Any] = []
    w.send = lambda content, buffers=None: sent.append(json.loads(json.dumps(content)))
    w._on_message(w, {"id": "x", "name": "library", "params": {"k": 6}}, [])
    assert sent[-1]["result"] == client.get("/api/library", params={"k": 6}).json()
    assert w.library is not None and len(w.library.papers) == 3
    assert ExplorerWidget(ex).library is None
    assert "libraryLayer" in esm()  # the page's library module goes to the front end too
    with pytest.raises(ExplorerError):
        ExplorerWidget(ex, library="no-such-file.bib")


def test_following_a_rebuild_reads_the_library_again(tmp_path, versions):  # noqa: F811
    """The library's papers are read against each build: a paper the new build lacks is placed
    by its text, and the recommendations are the new build's."""
    src, root = tmp_path / "k.jsonl", tmp_path / "cache"
    first = versions[0]
    build(src, root, first)
    lib = tmp_path / "lib.jsonl"
    held = [first[0], first[12]]  # both in the first build; the second lacks first[12]
    assert first[12]["id"] not in {r["id"] for r in versions[1]}
    extra = {"id": "mine-1", "title": "Sparse probes of toxic language", "abstract": "Probes."}
    lib.write_text("".join(json.dumps(r) + "\n" for r in [*held, extra]), "utf-8")
    client = TestClient(create_app(opened(root), library=str(lib)), base_url="http://127.0.0.1")
    before = client.get("/api/library").json()
    assert before["in_corpus"] == 2
    build(src, root, versions[1])
    r = client.get("/api/library")
    after = r.json()
    assert r.status_code == 200 and after["in_corpus"] == 1 and after["count"] == 3
    assert [p["row"] is None for p in after["papers"]] == [False, True, True]
    ids = set(client.get("/api/points").json()["ids"])
    assert {h["id"] for h in after["recommended"]} <= ids - {first[0]["id"]}
    assert client.get("/api/info").json()["library"]["in_corpus"] == 1
    # a library file gone by the next build: the app keeps serving, /api/library says why
    lib.unlink()
    build(src, root, versions[0])
    assert client.get("/api/info").status_code == 200
    gone = client.get("/api/library")
    assert gone.status_code == 400 and "not found" in gone.json()["error"]


def test_the_static_map_draws_the_library_and_its_recommendations(ex, library_file):
    fig = ex.figure(library=str(library_file), k=5)
    (layer,) = [t for t in fig.data if str(t.name).startswith("your library")]
    assert layer.name == "your library (3)" and layer.showlegend
    assert layer.marker.symbol == "circle-open" and len(layer.x) == 3
    assert list(layer.customdata) == [e["id"] for e in MINE]
    assert "&lt;img" in layer.hovertext[2] and "<img" not in layer.hovertext[2]
    assert all(math.isfinite(v) for v in [*layer.x, *layer.y])
    (top,) = [t for t in fig.data if str(t.name).startswith("top ")]
    assert len(top.x) == 5 and all("like: " in h for h in top.hovertext)
    path = ex.write_map(library=str(library_file), k=5)
    assert "views" in path.parts and "your library (3)" in path.read_text("utf-8")


def test_explorer_map_takes_a_library(ex, tmp_path):
    """The command line draws it too (a library of papers the corpus holds: nothing to embed)."""
    out, lib = tmp_path / "m.html", tmp_path / "held.jsonl"
    lib.write_text("".join(json.dumps(e) + "\n" for e in MINE[:2]), "utf-8")
    cache = ex.layout.root.parent
    r = run_explorer("map", "--library", str(lib), "-k", "4", "--out", str(out), cache=cache)
    assert r.returncode == 0, r.stderr
    assert "your library (2)" in out.read_text("utf-8")
    r = run_explorer("map", "--library", "no-such.bib", "--out", str(out), cache=cache)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_explorer(
        "serve", "--library", "no-such.bib", "--port", "0", "--no-browser", cache=cache
    )
    assert r.returncode != 0 and "Traceback" not in r.stderr and "no-such.bib" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# -- the page, in Debian's Chromium --------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package")
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(ex, library_file) -> Iterator[str]:
    with serving(create_app(ex, library=str(library_file))) as url:
        yield url


@contextlib.contextmanager
def page_on(browser: Any, url: str, shot: str | None = None) -> Iterator[Any]:
    """A fresh page on `url`, loaded; afterwards it must have stayed clean and local."""
    log = PageLog()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    record(page, log, url + "/")
    page.goto(url + "/")
    page.wait_for_selector("#explorer-app[data-ready=true]", timeout=30_000)
    try:
        yield page
        if shot:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / shot))
            if os.environ.get("EXPLORER_REFRESH_IMG"):
                page.screenshot(path=str(DOCS_IMG / shot))
    finally:
        page.wait_for_timeout(100)
        page.close()
    assert log.page_errors == [] and log.console_errors == [] and log.blocked == []
    assert log.dialogs == []  # no library or corpus text ran as HTML


def idle(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('status').textContent === ''")


@pytest.mark.browser
def test_the_page_shows_the_library_as_a_layer(browser, server, ex, library_file):
    with page_on(browser, server, "library-layer-1366x768.png") as page:
        idle(page)
        toggle = page.locator("#tool-library")
        assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "true"
        assert "Library (3)" in (toggle.text_content() or "")
        # one hollow marker per library paper, the outside one too
        assert page.evaluate(f"{LAYER}.x.length") == 3
        assert page.evaluate(f"{LAYER}.marker.symbol") == "circle-open"
        assert page.evaluate(f"{MAP}.dataset.libraryPoints") == "3"
        hover = page.evaluate(f"{LAYER}.hovertext[2]")  # Plotly reads it as HTML: escaped
        assert "&lt;img" in hover and "<img" not in hover
        # hidden and shown again
        toggle.click()
        page.wait_for_function(f"{MAP}.dataset.libraryShown === 'false'")
        assert toggle.get_attribute("aria-pressed") == "false"
        assert page.evaluate(f"{LAYER}.visible") is False
        assert "lib=off" in page.url  # the URL keeps it hidden, beside the rest of the view
        page.goto(f"{server}/#paper={ex.corpus[0].id}&lib=off")
        page.reload()
        page.wait_for_selector("#explorer-app[data-ready=true]", timeout=60_000)
        page.wait_for_function(f"{MAP}.dataset.libraryShown === 'false'")
        assert page.evaluate(f"{LAYER}.visible") is False
        page.wait_for_selector("#paper-card")
        assert page.get_attribute("#paper-card", "data-id") == ex.corpus[0].id
        toggle.click()
        page.wait_for_function(f"{MAP}.dataset.libraryShown === 'true'")
        assert page.evaluate(f"{LAYER}.visible") is True and "lib=off" not in page.url
        idle(page)
        page.click("#library-recommended")  # the paper's related papers were the results
        # the recommendations are the results (when nothing else is asked), marked on the map
        want = [h.paper.id for h in ex.related(library=ex.library(str(library_file)), k=20)]
        ids = page.eval_on_selector_all("#result-list li.hit", "els => els.map(e => e.dataset.id)")
        assert ids == want
        assert page.evaluate(f"{MAP}.data[1].x.length") == len(want)
        assert "recommended for your library" in (page.text_content("#results") or "")
        first = page.locator("#result-list li.hit").first
        like = first.locator(".like").text_content() or ""
        titles = {e["title"] for e in MINE}
        assert like.startswith("like: ") and any(t in like for t in titles)
        # its card names the library papers it is like
        first.locator("button.title").click()
        page.wait_for_selector("#card-like")
        card = page.text_content("#card-like") or ""
        assert "like" in card and any(t in card for t in titles)
        idle(page)


@pytest.mark.browser
def test_select_library_fills_the_selection(browser, server, ex, library_file):
    held = {ex.corpus[r].id for r in ex.library(str(library_file)).in_corpus}
    with page_on(browser, server) as page:
        idle(page)  # a page that asks for nothing else opens on the recommendations
        assert "recommended for your library" in (page.text_content("#results") or "")
        assert page.locator("#result-list li.hit .like").count() >= 1
        page.click("#select-library")
        page.wait_for_selector("#selection-table tbody tr")
        rows = page.eval_on_selector_all(
            "#selection-table tbody tr", "els => els.map(e => e.dataset.id)"
        )
        assert held and set(rows) == held and len(rows) == len(held)
        # the library's outside paper opens as a card of its own (not the corpus's)
        page.evaluate(f"""() => {{ const gd = {MAP}, c = gd.data.indexOf({LAYER});
            gd.emit('plotly_click', {{points: [{{curveNumber: c, pointIndex: 2}}]}}); }}""")
        page.wait_for_selector("#paper-card[data-library=outside]")
        assert MINE[2]["title"] in (page.text_content("#paper-card") or "")


@pytest.mark.browser
def test_without_a_library_the_page_has_no_layer(browser, ex):
    with serving(create_app(ex)) as url, page_on(browser, url) as page:
        idle(page)
        assert page.locator("#tool-library").count() == 0
        assert page.evaluate(f"{LAYER} === undefined")


# The widget's own module in Chromium, without Jupyter: a stand-in for anywidget's model whose
# messages the kernel-side widget answers (through Playwright), as JupyterLab would carry them
# (tests/test_widget_browser.py runs the real JupyterLab).
FAKE_MODEL = """async ([esm, state]) => {
    const handlers = {};
    const model = {
        get: k => state[k], set: (k, v) => { state[k] = v; }, save_changes: () => {},
        on: (ev, f) => { (handlers[ev] = handlers[ev] || []).push(f); },
        off: (ev, f) => { handlers[ev] = (handlers[ev] || []).filter(g => g !== f); },
        send: msg => { window.kernel(msg).then(replies => replies.forEach(
            r => (handlers['msg:custom'] || []).forEach(f => f(r, [])))); },
    };
    const url = URL.createObjectURL(new Blob([esm], {type: 'text/javascript'}));
    const widget = (await import(url)).default;
    await widget.render({model, el: document.getElementById('host')});
}"""


def widget_page(browser: Any, w: Any, log: PageLog) -> Any:
    """A new Chromium page running the widget `w`'s own module over FAKE_MODEL, its messages
    answered by `w` itself (the kernel side), drawn and ready; page errors go to `log`."""
    from explorer.web.assets import ASSETS
    from explorer.web.widget import esm

    replies: list[Any] = []
    w.send = lambda content, buffers=None: replies.append(json.loads(json.dumps(content)))

    def kernel(msg: Any) -> list[Any]:
        replies.clear()
        w._on_message(w, msg, [])
        return list(replies)

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    page.expose_function("kernel", kernel)
    page.set_content("<html><body><div id='host'></div></body></html>")
    page.add_script_tag(path=str(ASSETS["plotly.min.js"].path))
    state = {"height": 600, "selected_ids": [], "highlighted": [], "highlight_note": ""}
    page.evaluate(FAKE_MODEL, [esm(), state])
    page.wait_for_selector(".explorer-widget[data-ready=true]", timeout=30_000)
    return page


@pytest.mark.browser
def test_the_widget_shows_the_library_layer_in_a_browser(browser, ex, library_file):
    pytest.importorskip("anywidget")
    from explorer.web.widget import ExplorerWidget

    w = ExplorerWidget(ex, library=str(library_file), height=600)
    log = PageLog()
    page = widget_page(browser, w, log)
    try:
        page.wait_for_selector("#tool-library", timeout=30_000)
        assert page.evaluate(f"{LAYER}.x.length") == 3
        page.click("#select-library")
        page.wait_for_selector("#selection-table tbody tr")
        assert w.library is not None
        assert page.locator("#selection-table tbody tr").count() == len(w.library.in_corpus)
        assert page.locator("#result-list li.hit .like").count() > 0
    finally:
        page.close()
    assert log.page_errors == []
