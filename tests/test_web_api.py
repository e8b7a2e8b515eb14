"""The web app's JSON API on the real seed corpus (real model) and on a hostile one: the same
answers as the facade, filters honoured, every mistake a 4xx with its one-line message, exports
that parse back with hostile text neutralised, security headers, no file outside the page's."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fakes import HashEmbedder  # tests/fakes.py
from webapp import FORMULA, XSS_SCRIPT, hostile_jsonl  # tests/webapp.py

from explorer import Explorer
from explorer.search.query import MODES

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from explorer.web.app import create_app


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("web") / "cache", embedder=embedder)


@pytest.fixture(scope="module")
def client(seeds) -> TestClient:
    return TestClient(create_app(seeds), base_url="http://127.0.0.1", raise_server_exceptions=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, seed_corpus) -> Explorer:
    folder = tmp_path_factory.mktemp("hostile")
    src = hostile_jsonl(seed_corpus, folder / "hostile.jsonl")
    return Explorer.build(
        src, name="hostile", root=folder / "cache", embedder=HashEmbedder(), sentences=False
    )


def test_info_and_points_describe_the_corpus(client, seeds):
    info = client.get("/api/info").json()
    assert info["corpus"] == "seeds" and info["papers"] == 41
    assert info["default_mode"] == seeds.default_mode and seeds.default_mode in info["modes"]
    assert info["has_years"] and info["has_categories"] and info["has_authors"]
    assert info["year_range"][0] <= info["year_range"][1]
    assert sum(c["count"] for c in info["categories"]) >= 41
    assert [t["id"] for t in info["topics"]] == [t.id for t in seeds.topics()]
    pts = client.get("/api/points").json()
    assert pts["ids"] == list(seeds.corpus.ids) and pts["title"] == list(seeds.corpus.titles)
    assert len(pts["x"]) == len(pts["y"]) == len(pts["topic"]) == len(pts["year"]) == 41
    land = seeds.landscape()
    assert pts["topic"] == [int(c) for c in land.clusters]
    assert abs(pts["x"][3] - float(land.coords[3, 0])) < 1e-4


def test_paper_by_any_form_with_url_and_topic(client, seeds):
    p = seeds.corpus[0]
    for form in (p.id, p.title, p.title.upper()):
        r = client.get(f"/api/paper/{form}")
        assert r.status_code == 200 and r.json()["id"] == p.id
    d = client.get(f"/api/paper/{p.id}").json()
    assert d["abstract"] == p.abstract and d["year"] == p.year
    assert d["topic"] == int(seeds.landscape().clusters[0])
    assert client.get("/api/paper/no-such-paper-xyz").status_code == 404


def test_related_is_the_facades_ranking(client, seeds):
    pid = seeds.find("Gemma 2").paper.id
    r = client.get("/api/related", params={"id": pid, "k": 7})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert [h["id"] for h in hits] == [h.paper.id for h in seeds.related(pid, k=7)]
    assert all("why" in h and "shared_terms" in h["why"] for h in hits)
    dense = client.get("/api/related", params={"id": pid, "k": 5, "mode": "dense"}).json()
    assert [h["id"] for h in dense["hits"]] == [
        h.paper.id for h in seeds.related(pid, k=5, mode="dense")
    ]


def test_filters_apply_before_ranking(client, seeds):
    pid = seeds.find("Gemma 2").paper.id
    r = client.get("/api/related", params={"id": pid, "k": 5, "years": "2023-2024"}).json()
    assert len(r["hits"]) == 5 and all(2023 <= h["year"] <= 2024 for h in r["hits"])
    r = client.get("/api/related", params={"id": pid, "k": 3, "categories": ["cs.HC"]}).json()
    assert r["hits"] and all("cs.HC" in h["categories"] for h in r["hits"])
    topic = seeds.topics()[1]
    clusters = seeds.landscape().clusters
    members = {seeds.corpus[i].id for i, c in enumerate(clusters) if c == topic.id}
    body = {"text": "toxic comments online", "k": 50, "topics": [topic.id]}
    r = client.post("/api/search", json=body).json()
    assert {h["id"] for h in r["hits"]} == members  # k results whenever k papers pass
    assert r["point"] is not None and len(r["point"]) == 2


def test_search_text_and_examples(client, seeds):
    r = client.post("/api/search", json={"text": "open language models", "k": 5}).json()
    assert [h["id"] for h in r["hits"]] == [
        h.paper.id for h in seeds.search("open language models", k=5)
    ]
    a, b = seeds.corpus[0].id, seeds.corpus[1].id
    r = client.post("/api/search", json={"examples": [a], "negatives": [b], "k": 5}).json()
    assert r["point"] is None
    want = seeds.related(a, negatives=[b], k=5)
    assert [h["id"] for h in r["hits"]] == [h.paper.id for h in want]


@pytest.mark.parametrize(
    ("method", "url", "payload", "status", "words"),
    [
        ("get", "/api/related", {"id": "nope-nope"}, 404, "no paper"),
        ("get", "/api/related", {"id": "Gemma 2", "k": 0}, 422, "k"),
        ("get", "/api/related", {"id": "Gemma 2", "k": "ten"}, 422, "k"),
        ("get", "/api/related", {"id": "Gemma 2", "mode": "magic"}, 400, "magic"),
        ("get", "/api/related", {"id": "Gemma 2", "years": "2024-2020"}, 400, "ends before"),
        ("get", "/api/related", {"id": "Gemma 2", "years": "soon"}, 400, "year range"),
        ("get", "/api/related", {"id": "Gemma 2", "categories": "q-bio.XX"}, 400, "q-bio.XX"),
        ("get", "/api/related", {"id": "Gemma 2", "topics": 999}, 400, "unknown topic"),
        ("get", "/api/related", {}, 422, "id"),
        ("post", "/api/search", {"text": "   "}, 400, "empty query"),
        ("post", "/api/search", {}, 400, "empty query"),
        ("post", "/api/search", {"text": "x", "k": 10_000}, 422, "k"),
        ("post", "/api/search", {"text": "x", "wat": 1}, 422, "wat"),
        ("post", "/api/search", {"examples": ["nope-nope"]}, 404, "no paper"),
        ("post", "/api/export", {"ids": [], "format": "csv"}, 422, "ids"),
        ("post", "/api/export", {"ids": ["nope-nope"], "format": "csv"}, 400, "nope-nope"),
        ("post", "/api/export", {"ids": ["x"], "format": "xlsx"}, 422, "format"),
    ],
)
def test_mistakes_are_4xx_with_one_line(client, method, url, payload, status, words):
    r = client.get(url, params=payload) if method == "get" else client.post(url, json=payload)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert words.lower() in err.lower() and "\n" not in err and "Traceback" not in err


def test_bad_json_body_is_a_4xx(client):
    headers = {"content-type": "application/json"}
    r = client.post("/api/search", content=b"{not json", headers=headers)
    assert r.status_code == 422 and "error" in r.json()


def test_security_headers_on_every_response(client):
    for url in ("/", "/static/app.js", "/api/info", "/api/related?id=nope", "/nothing"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp
        assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "access-control-allow-origin" not in r.headers
    assert client.get("/openapi.json").json()["paths"].keys() >= {"/api/info", "/api/search"}


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../pyproject.toml",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/vendor/plotly-LICENSE.txt",
        "/static//etc/passwd",
        "/static/app.py",
        "/docs",
        "/api/../../pyproject.toml",
    ],
)
def test_never_serves_a_file_outside_the_page(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "[project]" not in r.text and "root:" not in r.text


def test_exports_parse_back_with_hostile_text_neutralised(hostile, tmp_path):
    client = TestClient(create_app(hostile), base_url="http://localhost:8765")
    info = client.get("/api/info").json()
    assert info["modes"] == [m for m in MODES if m != "sentences"]  # built without them
    assert info["default_mode"] == "hybrid"
    ids = list(hostile.corpus.ids)[:6]
    r = client.post("/api/export", json={"ids": ids, "format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        'attachment; filename="explorer-hostile-selection-6.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["id"] for row in rows] == ids
    assert rows[2]["title"] == "'" + FORMULA  # a spreadsheet shows it, never runs it
    assert rows[0]["authors"] == "<img src=x onerror=alert(1)>; @SUM(A1)"  # text, not a formula
    assert rows[3]["authors"].startswith("'-2+3")
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
    r = client.post("/api/export", json={"ids": ids, "format": "jsonl"})
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert [x["id"] for x in lines] == ids and lines[0]["title"] == XSS_SCRIPT + " Gemma"
    assert r.headers["content-disposition"].endswith('selection-6.jsonl"')
    r = client.post("/api/export", json={"ids": ids, "format": "bibtex"})
    bib = r.text
    assert r.headers["content-disposition"].endswith('selection-6.bib"')
    assert bib.count("@misc{") == 6
    # Braces balance in every entry: no title can close its field or open a command.
    for entry in bib.split("@misc{")[1:]:
        depth = 0
        for i, ch in enumerate(entry):
            if ch in "{}" and (i == 0 or entry[i - 1] != "\\"):
                depth += 1 if ch == "{" else -1
                assert depth >= -1
        assert depth == -1  # the entry's own closing brace
    assert r"Unbalanced \{ brace \} 100\% \& \$x\_1\$ \#1" in bib
    assert r"\textbackslash{}relax" in bib and r"\textasciitilde{}" in bib
    keys = [e.split(",", 1)[0] for e in bib.split("@misc{")[1:]]
    assert len(set(keys)) == 6
    again = client.post("/api/export", json={"ids": ids, "format": "bibtex"}).text
    assert again == bib  # stable keys, stable text
    # RIS and CSL-JSON, for the reference managers: read back by explorer's own readers
    from explorer.readers import read_corpus

    for fmt, suffix in (("ris", ".ris"), ("csl-json", ".json")):
        r = client.post("/api/export", json={"ids": ids, "format": fmt})
        assert r.status_code == 200 and r.headers["content-disposition"].endswith(
            f'selection-6{suffix}"'
        ), r.headers
        path = tmp_path / f"back{suffix}"
        path.write_text(r.text, encoding="utf-8")
        back = read_corpus([path])
        assert sorted(p.title for p in back) == sorted(
            hostile.corpus[hostile.corpus.position(i)].title for i in ids
        )


def test_only_loopback_host_names_are_answered(seeds):
    """A site whose name was rebound to 127.0.0.1 (DNS rebinding) reads nothing."""
    app = create_app(seeds)
    for base in ("http://127.0.0.1:8765", "http://localhost", "http://[::1]:9000"):
        assert TestClient(app, base_url=base).get("/api/info").status_code == 200
    r = TestClient(app, base_url="http://evil.example").get("/api/info")
    assert r.status_code == 400 and "seeds" not in r.text
    assert "content-security-policy" in r.headers
    assert TestClient(create_app(seeds, hosts=None), base_url="http://a.b").get("/").is_success


def test_the_model_loads_only_for_free_text(seeds):
    fresh = Explorer.open(seeds.name, root=seeds.layout.root.parent)
    client = TestClient(create_app(fresh), base_url="http://127.0.0.1")
    assert client.get("/api/info").json()["model_loaded"] is False
    pid = seeds.corpus[0].id
    assert client.get("/api/related", params={"id": pid, "k": 3}).status_code == 200
    assert client.post("/api/search", json={"examples": [pid], "k": 3}).status_code == 200
    assert client.get("/api/info").json()["model_loaded"] is False  # ids and titles: no model
    assert client.post("/api/search", json={"text": "toxic comments", "k": 3}).status_code == 200
    assert client.get("/api/info").json()["model_loaded"] is True


def test_the_page_colours_and_labels_topics_as_explorer_map_does(client, seeds):
    from explorer.maps import figure

    info = client.get("/api/info").json()
    land = seeds.landscape()
    fig = seeds.figure()
    # the map's topic traces are "label (size)", each in its topic's colour
    colour_of = {t.name.rsplit(" (", 1)[0]: t.marker.color for t in fig.data if t.customdata}
    assert info["palette"] == list(figure.PALETTE) and info["noise_color"] == figure.NOISE_COLOR
    for t in info["topics"]:
        assert t["color"] == colour_of[t["label"]]
    drawn = {
        a.text.replace("<br>", "\n") for a in fig.layout.annotations if a.name.startswith("topic")
    }
    assert {t["label_text"] for t in info["topics"]} == drawn
    assert len(info["topics"]) == len(land.topics)
