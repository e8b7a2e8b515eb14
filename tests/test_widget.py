"""The notebook widget on the real seed corpus (real model): each custom message answers as the
web app's JSON API answers the same request, mistakes come back as one line, and the page's state
round-trips through the traitlets (`select`, `highlight`, the selection as papers and a frame)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from explorer import Explorer, ExplorerError

pytest.importorskip("anywidget")
pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from explorer.web.app import create_app
from explorer.web.dispatch import Dispatcher
from explorer.web.widget import SCOPE, ExplorerWidget, esm, scoped_css


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("widget") / "cache", embedder=embedder)


@pytest.fixture(scope="module")
def client(seeds) -> TestClient:
    return TestClient(create_app(seeds), base_url="http://127.0.0.1", raise_server_exceptions=False)


@pytest.fixture
def widget(seeds):
    w = ExplorerWidget(seeds)
    w.sent = []
    w.buffers = []
    w.send = lambda content, buffers=None: (
        w.sent.append(json.loads(json.dumps(content))),
        w.buffers.append(buffers),
    )
    return w


def ask(w, name, params=None, mid="v-1"):
    """What the front end's `api(name, params)` gets back through the widget's messages."""
    w._on_message(w, {"id": mid, "name": name, "params": params or {}}, [])
    reply = w.sent.pop()
    assert reply["id"] == mid and set(reply) in ({"id", "result"}, {"id", "error", "status"})
    return reply


# (name, params as the page sends them, the same request over HTTP: method, url, query/body)
SAME = "same"
REQUESTS = [
    ("info", {}, ("get", "/api/info", None)),
    ("points", {}, ("get", "/api/points", None)),
    ("paper", {"id": "Gemma 2"}, ("get", "/api/paper/Gemma 2", None)),
    ("find", {"q": "gemma 2"}, ("get", "/api/find", SAME)),
    ("find", {"q": "open models for chat"}, ("get", "/api/find", SAME)),
    ("related", {"id": "Gemma 2", "k": 7}, ("get", "/api/related", SAME)),
    (
        "related",
        {"id": "Gemma 2", "k": 5, "mode": "dense", "years": "2023-2025", "not": ["Simfluence"]},
        ("get", "/api/related", SAME),
    ),
    ("related", {"id": "Gemma 2", "k": 5, "topics": [0, 1]}, ("get", "/api/related", SAME)),
    ("search", {"text": "open language models", "k": 6}, ("post", "/api/search", SAME)),
    ("search", {"examples": ["Gemma 2"], "k": 4, "topics": [0]}, ("post", "/api/search", SAME)),
]


@pytest.mark.parametrize(("name", "params", "how"), REQUESTS, ids=lambda x: str(x)[:40])
def test_every_request_answers_as_the_web_app(widget, client, name, params, how):
    method, url, payload = how
    payload = params if payload == SAME else payload
    r = client.get(url, params=payload) if method == "get" else client.post(url, json=payload)
    assert r.status_code == 200, r.text
    reply = ask(widget, name, params)
    assert "result" in reply, reply
    expected = r.json()
    if name == "info":  # model_loaded may change between the two calls (search loads it)
        expected.pop("model_loaded"), reply["result"].pop("model_loaded")
    assert reply["result"] == expected


def test_related_and_search_are_the_facades_rankings(widget, seeds):
    pid = seeds.find("Gemma 2").paper.id
    hits = ask(widget, "related", {"id": pid, "k": 5, "categories": ["cs.CL"]})["result"]["hits"]
    assert [h["id"] for h in hits] == [
        h.paper.id for h in seeds.related(pid, k=5, categories=["cs.CL"])
    ]
    assert all(h["why"]["shared_terms"] is not None for h in hits)
    r = ask(widget, "search", {"text": "toxic comments", "k": 3})["result"]
    assert [h["id"] for h in r["hits"]] == [h.paper.id for h in seeds.search("toxic comments", k=3)]
    assert len(r["point"]) == 2


def test_export_is_the_apps_download_as_text(widget, client, seeds):
    ids = list(seeds.corpus.ids[:4])
    for fmt in ("csv", "jsonl", "bibtex"):
        r = client.post("/api/export", json={"ids": ids, "format": fmt})
        got = ask(widget, "export", {"ids": ids, "format": fmt})["result"]
        assert got["text"] == r.text
        assert f'filename="{got["filename"]}"' in r.headers["content-disposition"]
        assert got["media_type"] == r.headers["content-type"]
    assert got["filename"] == "explorer-seeds-selection-4.bib"


@pytest.mark.parametrize(
    ("name", "params", "words"),
    [
        ("related", {"id": "nope-nope"}, "no paper"),
        ("related", {"id": "Gemma 2", "k": 0}, "k"),
        ("related", {"id": "Gemma 2", "k": "ten"}, "k"),
        ("related", {"id": "Gemma 2", "mode": "magic"}, "magic"),
        ("related", {"id": "Gemma 2", "years": "2024-2020"}, "ends before"),
        ("related", {"id": "Gemma 2", "categories": ["q-bio.XX"]}, "q-bio.XX"),
        ("related", {"id": "Gemma 2", "topics": [999]}, "unknown topic"),
        ("related", {}, "id"),
        ("paper", {"id": "no-such-paper-xyz"}, "no paper"),
        ("find", {"q": ""}, "q"),
        ("search", {"text": "   "}, "empty query"),
        ("search", {"text": "x", "k": 10_000}, "k"),
        ("search", {"text": "x", "wat": 1}, "wat"),
        ("search", {"examples": ["nope-nope"]}, "no paper"),
        ("export", {"ids": [], "format": "csv"}, "ids"),
        ("export", {"ids": ["nope-nope"], "format": "csv"}, "nope-nope"),
        ("export", {"ids": ["x"], "format": "xlsx"}, "format"),
        ("shutdown", {}, "unknown request"),
        ("related", ["Gemma 2"], "params must be an object"),
    ],
)
def test_mistakes_answer_one_line(widget, name, params, words):
    widget._on_message(widget, {"id": 7, "name": name, "params": params}, [])
    reply = widget.sent.pop()
    assert reply["id"] == 7 and "result" not in reply
    err = reply["error"]
    assert words.lower() in err.lower(), err
    assert "\n" not in err and "Traceback" not in err


def test_a_crash_is_one_line_too(seeds, monkeypatch):
    d = Dispatcher(seeds)
    monkeypatch.setitem(d.handlers, "info", lambda p: 1 / 0)
    assert d.reply({"id": "a", "name": "info"}) == {
        "id": "a",
        "error": "internal error: ZeroDivisionError",
        "status": 500,
    }
    assert "error" in d.reply("not a message")


def test_plotly_comes_once_as_bytes_not_state(widget):
    assert ask(widget, "plotly.js")["result"] == "plotly.js"
    (bundle,) = widget.buffers[-1]
    assert b"plotly.js" in bundle[:300] and len(bundle) > 1_000_000
    assert all(not isinstance(v, bytes) for v in widget.get_state().values())


def test_messages_that_are_not_requests_get_no_answer(widget):
    widget._on_message(widget, {"method": "anywidget-something"}, [])
    assert widget.sent == []


def test_select_sets_the_synced_ids_and_reads_back_as_papers(widget, seeds):
    a, b = seeds.corpus[3], seeds.corpus[10]
    got = widget.select([b.title, a.id, a.id])
    assert widget.selected_ids == [b.id, a.id]
    assert [p.id for p in got] == [b.id, a.id] == [p.id for p in widget.selection]
    assert widget.get_state()["selected_ids"] == [b.id, a.id]  # what the front end receives
    df = widget.selection_frame()
    assert list(df["id"]) == [b.id, a.id] and "title" in df.columns
    assert list(widget.selection_df["id"]) == [b.id, a.id]
    with pytest.raises(ExplorerError, match=r"no paper has the id or title") as e:
        widget.select([a.id, "no-such-paper-xyz"])
    assert "\n" not in str(e.value)
    assert widget.selected_ids == [b.id, a.id]  # unchanged
    widget.clear_selection()
    assert widget.selection == [] and widget.selection_frame().empty


def test_the_front_ends_state_reads_in_python(widget, seeds):
    """What the page reports (a box selection, its query, its filters) as traitlet updates."""
    ids = list(seeds.corpus.ids[5:9])
    filters = {"years": "2023-", "categories": ["cs.CL"], "topics": [0], "mode": None}
    widget.set_state({"selected_ids": ids, "query": "open models", "filters": filters})
    assert [p.id for p in widget.selection] == ids
    assert widget.query == "open models" and widget.filters == filters
    widget.set_state({"selected_ids": ids + ["gone-from-corpus"]})
    assert [p.id for p in widget.selection] == ids  # an id the corpus lacks is no paper


def test_highlight_sends_hits_with_their_scores(widget, seeds):
    hits = seeds.related("Gemma 2", k=5)
    widget.highlight(hits, note="like Gemma 2")
    assert widget.highlighted_ids == [h.paper.id for h in hits]
    assert [d["score"] for d in widget.highlighted] == [round(h.score, 6) for h in hits]
    assert widget.highlight_note == "like Gemma 2"
    state = widget.get_state()
    assert [d["id"] for d in state["highlighted"]] == widget.highlighted_ids
    json.dumps(state["highlighted"])  # plain JSON, no NaN
    widget.highlight(["Gemma 2", seeds.corpus[0]])
    assert widget.highlighted_ids == [seeds.find("Gemma 2").paper.id, seeds.corpus[0].id]
    assert [d["score"] for d in widget.highlighted] == [None, None]
    assert [d["rank"] for d in widget.highlighted] == [1, 2]
    with pytest.raises(ExplorerError):
        widget.highlight(["no-such-paper-xyz"])


def test_the_widget_needs_an_explorer():
    with pytest.raises(ExplorerError, match="needs an Explorer"):
        ExplorerWidget("seeds")


def test_the_module_is_self_contained(seeds):
    text = esm()
    assert "__SOURCES__" not in text and "export default" in text
    sources = json.loads(re.search(r"const SOURCES = (\{.*?\});\n", text).group(1))
    assert set(sources) == {"panels.js", "plot.js", "library.js", "levels.js", "edits.js", "app.js"}
    for source in sources.values():  # every relative import names a module that travels
        assert set(re.findall(r"from\s*['\"]\./([\w.-]+)['\"]", source)) <= set(sources)
    assert "</script" not in text.lower()
    w = ExplorerWidget(seeds)
    state = {k: v for k, v in w.get_state().items() if k not in ("_esm", "_css")}
    assert len(json.dumps(state)) < 10_000  # what a saved notebook keeps: no 5 MB bundle
    if shutil.which("node"):
        r = subprocess.run(
            ["node", "--input-type=module", "--check"], input=text, capture_output=True, text=True
        )
        assert r.returncode == 0, r.stderr


def test_the_style_sheet_touches_only_the_widget():
    css = scoped_css("* { a: 1; }\nbody { b: 2 }\nheader h1, #map { c: 3 }\n/* x { } */")
    rules = re.findall(r"([^{}]+)\{", css)
    for selectors in rules:
        assert all(s.strip().startswith(SCOPE) for s in selectors.split(","))
    assert f"{SCOPE} header h1, {SCOPE} #map {{c: 3}}" in css and "x {" not in css
