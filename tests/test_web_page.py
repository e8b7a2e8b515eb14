"""The web app's page in a real headless Chromium against a real uvicorn server: search, cards,
box selection with the exact ids, exports, filters, the URL's state, and a hostile corpus that
runs nothing under the page's CSP. No request may leave the server on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser import PageLog, page_browser, page_server, record  # noqa: F401 (fixtures)
from fakes import HashEmbedder  # tests/fakes.py
from webapp import FORMULA, XSS_IMG, XSS_SCRIPT, hostile_jsonl, serving  # tests/webapp.py

from explorer import Explorer

pytestmark = pytest.mark.browser
pytest.importorskip("fastapi")
SHOTS = Path("/tmp/explorer-scratch")
MAP = "document.getElementById('map')"


@pytest.fixture(scope="module")
def ex(tmp_path_factory, seed_corpus) -> Explorer:
    folder = tmp_path_factory.mktemp("webpage")
    src = hostile_jsonl(seed_corpus, folder / "hostile.jsonl")
    return Explorer.build(src, name="hostile", root=folder / "cache", embedder=HashEmbedder())


@pytest.fixture
def app(browser, server) -> Iterator[tuple[Any, PageLog]]:
    """A fresh page on the app, loaded; asserts afterwards that it stayed clean and local."""
    log = PageLog()
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    record(page, log, server + "/")
    page.goto(server + "/")
    ready(page)
    yield page, log
    page.wait_for_timeout(200)  # a stray onerror or timer gets its chance to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.close()
    assert log.dialogs == [] and log.page_errors == [] and log.console_errors == []
    assert log.blocked == []


def ready(page: Any) -> None:
    page.wait_for_selector("#explorer-app[data-ready=true]", timeout=30_000)


def idle(page: Any) -> None:
    """Wait until the page has no request in flight (the status line is empty)."""
    page.wait_for_function("() => document.getElementById('status').textContent === ''")


def shown_ids(page: Any, where: str = "#result-list") -> list[str]:
    return page.eval_on_selector_all(f"{where} li.hit", "els => els.map(e => e.dataset.id)")


def search(page: Any, text: str) -> None:
    page.fill("#query", text)
    page.click("#go")
    page.wait_for_selector("#result-list li.hit")
    idle(page)


PIXEL = f"""([x, y]) => {{ const gd = {MAP}, L = gd._fullLayout, r = gd.getBoundingClientRect();
    return [r.left + L.margin.l + L.xaxis.l2p(x), r.top + L.margin.t + L.yaxis.l2p(y)]; }}"""


def pixel(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where data point (x, y) of the map is on the page, in CSS pixels."""
    px, py = page.evaluate(PIXEL, [x, y])
    return float(px), float(py)


def test_search_lists_results_and_marks_them_on_the_map(app, ex):
    page, _ = app
    search(page, "language models")
    want = [h.paper.id for h in ex.search("language models", k=20)]
    assert shown_ids(page) == want
    marked = page.evaluate(f"Array.from({MAP}.data[1].customdata)")
    assert marked == want
    assert page.evaluate(f"{MAP}.data[2].x.length") == 1  # where the query lands
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "web-search.png"))


def test_clicking_a_point_opens_its_card_with_related_papers(app, ex):
    page, _ = app
    land = ex.landscape()
    row = 9
    page.evaluate(
        f"""([x, y]) => Plotly.relayout({MAP},
        {{'xaxis.range': [x - 0.05, x + 0.05], 'yaxis.range': [y - 0.05, y + 0.05]}})""",
        [float(land.coords[row, 0]), float(land.coords[row, 1])],
    )
    px, py = pixel(page, float(land.coords[row, 0]), float(land.coords[row, 1]))
    page.mouse.move(px, py, steps=3)
    page.wait_for_selector(".hoverlayer .hovertext")  # plotly picks the point on hover first
    page.mouse.click(px, py)
    page.wait_for_selector(f"#paper-card[data-id='{ex.corpus[row].id}']")
    page.wait_for_selector("#card-related li.hit")
    idle(page)
    assert page.text_content(".card-title") == ex.corpus[row].title
    related = shown_ids(page, "#card-related")
    assert related == [h.paper.id for h in ex.related(ex.corpus[row].id, k=10)]
    link = page.get_attribute("#paper-card a.ext", "rel") if page.query_selector("a.ext") else None
    assert link in (None, "noopener noreferrer")
    page.click("#more-like")
    page.wait_for_selector(".chip.pos")
    idle(page)
    assert shown_ids(page) == [h.paper.id for h in ex.related(ex.corpus[row].id, k=20)]
    page.screenshot(path=str(SHOTS / "web-card.png"))


def a_box(ex: Explorer) -> tuple[float, float, float, float]:
    """A box whose edges lie midway between points (no point on an edge): x0, x1, y0, y1."""
    xy = np.asarray(ex.landscape().coords, dtype=np.float64)
    xs, ys = np.sort(xy[:, 0]), np.sort(xy[:, 1])
    return (
        (xs[4] + xs[5]) / 2,
        (xs[30] + xs[31]) / 2,
        (ys[6] + ys[7]) / 2,
        (ys[35] + ys[36]) / 2,
    )


def box_select(page: Any, ex: Explorer) -> list[str]:
    """Drag a box between points; returns the oracle: the ids whose coordinates fall inside the
    box the page reports (computed here from the landscape's coordinates)."""
    xy = np.asarray(ex.landscape().coords, dtype=np.float64)
    x0, x1, y0, y1 = a_box(ex)
    page.evaluate(f"Plotly.relayout({MAP}, {{dragmode: 'select'}})")
    a, b = pixel(page, x0, y1), pixel(page, x1, y0)
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, steps=5)
    page.mouse.move(*b, steps=5)
    page.mouse.up()
    page.wait_for_selector("#selection-table tbody tr")
    box = json.loads(page.get_attribute("#selection", "data-range") or "{}")
    (bx0, bx1), (by0, by1) = sorted(box["x"]), sorted(box["y"])
    assert abs(bx0 - x0) < (x1 - x0) * 0.05 and abs(by1 - y1) < (y1 - y0) * 0.05
    inside = (xy[:, 0] >= bx0) & (xy[:, 0] <= bx1) & (xy[:, 1] >= by0) & (xy[:, 1] <= by1)
    return [ex.corpus.ids[i] for i in np.flatnonzero(inside)]


def test_box_selection_shows_exactly_the_papers_inside_and_exports_them(app, ex, tmp_path):
    page, _ = app
    want = box_select(page, ex)
    rows = page.eval_on_selector_all("#selection-table tbody tr", "r => r.map(e => e.dataset.id)")
    assert sorted(rows) == sorted(want) and len(want) > 5
    page.click("#selection-table th button[data-key=title]")
    titles = page.eval_on_selector_all("#selection-table tbody tr td:nth-child(2)",
                                       "r => r.map(e => e.textContent)")  # fmt: skip
    assert titles == sorted(titles)
    page.screenshot(path=str(SHOTS / "web-selection.png"))
    got = {}
    for fmt in ("csv", "jsonl", "bibtex", "ris", "csl-json"):
        with page.expect_download() as d:
            page.click(f"#export-{fmt}")
        dl = d.value
        assert dl.suggested_filename.startswith(f"explorer-hostile-selection-{len(want)}.")
        path = tmp_path / dl.suggested_filename
        dl.save_as(path)
        got[fmt] = path.read_text(encoding="utf-8")
    rows_csv = list(csv.DictReader(io.StringIO(got["csv"])))
    assert sorted(r["id"] for r in rows_csv) == sorted(want)
    for r in rows_csv:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in r.values())
        if r["id"] == ex.corpus[2].id:
            assert r["title"] == "'" + FORMULA
    assert sorted(json.loads(x)["id"] for x in got["jsonl"].splitlines()) == sorted(want)
    assert got["bibtex"].count("@misc{") == len(want)
    assert got["ris"].count("\nER  -") == len(want)
    assert len(json.loads(got["csl-json"])) == len(want)
    idle(page)
    page.click("#like-these")
    page.wait_for_selector("#result-list li.hit")
    idle(page)
    assert set(shown_ids(page)).isdisjoint(want)  # the examples themselves are excluded


def test_filters_hold_for_every_result_and_dim_the_map(app, ex):
    page, _ = app
    page.fill("#year-from", "2023")
    page.fill("#year-to", "2024")
    page.dispatch_event("#year-to", "change")
    search(page, "language models")
    ids = shown_ids(page)
    assert ids and all(2023 <= (ex.corpus.get(i).year or 0) <= 2024 for i in ids)
    opacity = page.evaluate(f"{MAP}.data[0].marker.opacity")
    assert [o > 0.5 for o in opacity] == [2023 <= (p.year or 0) <= 2024 for p in ex.corpus]
    page.select_option("#categories", ["cs.HC"])
    page.wait_for_timeout(300)
    idle(page)
    for i in shown_ids(page):
        p = ex.corpus.get(i)
        assert "cs.HC" in p.categories and 2023 <= (p.year or 0) <= 2024


def test_filters_alone_are_kept_in_the_url(app, browser, server, ex):
    page, _ = app  # no query at all: the filters are the whole view
    page.select_option("#categories", ["cs.HC"])
    page.wait_for_function("() => location.hash.includes('cat=cs.HC')")
    again = browser.new_page(viewport={"width": 1400, "height": 900})
    again.goto(page.url)
    ready(again)
    assert again.eval_on_selector(
        "#categories", "s => [...s.selectedOptions].map(o => o.value)"
    ) == ["cs.HC"]
    again.close()


def test_the_url_restores_the_view(app, browser, server, ex):
    page, _ = app
    page.fill("#year-from", "2020")
    page.dispatch_event("#year-from", "change")
    search(page, "language models")
    page.click("#result-list li.hit button.title")
    page.wait_for_selector("#paper-card")
    idle(page)
    url, card = page.url, page.get_attribute("#paper-card", "data-id")
    results = shown_ids(page)
    assert "q=language+models" in url and "years=2020-" in url and "paper=" in url
    again = browser.new_page(viewport={"width": 1400, "height": 900})
    again.goto(url)
    ready(again)
    again.wait_for_selector("#paper-card")
    idle(again)
    assert again.input_value("#query") == "language models"
    assert again.input_value("#year-from") == "2020"
    assert again.get_attribute("#paper-card", "data-id") == card
    assert shown_ids(again) == results
    again.close()


def test_hostile_corpus_runs_nothing_in_any_panel(app, ex):
    page, _ = app
    assert page.evaluate("document.querySelectorAll('#topic-list li').length") > 0
    for row in (0, 1, 2, 4):
        page.fill("#query", ex.corpus[row].id)
        page.click("#go")
        page.wait_for_selector(f"#paper-card[data-id='{ex.corpus[row].id}']")
        page.wait_for_selector("#card-related li.hit")
        idle(page)
    page.fill("#query", ex.corpus[0].id)
    page.click("#go")
    page.wait_for_selector(f"#paper-card[data-id='{ex.corpus[0].id}']")
    idle(page)
    assert page.text_content(".card-title") == ex.corpus[0].title
    assert XSS_IMG in page.text_content(".card .authors")
    page.click("#less-like")
    page.wait_for_selector(".chip.neg")
    idle(page)
    box_select(page, ex)
    assert XSS_SCRIPT[:20] in page.text_content("#selection-table")
    assert "<b>x</b>" in page.text_content("#categories")
    page.screenshot(path=str(SHOTS / "web-hostile.png"), full_page=True)
    assert page.evaluate("document.querySelectorAll('img, script:not([src]), iframe').length") == 0
    hrefs = page.eval_on_selector_all("a[href]", "a => a.map(e => e.getAttribute('href'))")
    assert all(h.startswith(("https://", "http://", "blob:")) for h in hrefs)


def test_timeline_brush_sets_the_year_filter_and_topics_zoom(app, ex):
    page, _ = app
    bars = page.evaluate("document.getElementById('timeline').data[0].x")
    assert bars == sorted({str(p.year) for p in ex.corpus if p.year is not None})
    lo, hi = bars.index("2020"), bars.index("2023")
    px = page.evaluate(
        """([a, b]) => { const gd = document.getElementById('timeline'), L = gd._fullLayout,
        r = gd.getBoundingClientRect(), y = r.top + L.margin.t + L._size.h / 2;
        return [r.left + L.margin.l + L.xaxis.l2p(a - 0.3), r.left + L.margin.l +
                L.xaxis.l2p(b + 0.3), y]; }""",
        [lo, hi],
    )
    page.mouse.move(px[0], px[2])
    page.mouse.down()
    page.mouse.move(px[1], px[2], steps=6)
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('year-to').value === '2023'")
    assert page.input_value("#year-from") == "2020"
    topic = ex.landscape().topics[0]
    page.click(f"#topic-list li[data-topic='{topic.id}'] button.topic")
    page.wait_for_timeout(300)
    xr = page.evaluate(f"{MAP}._fullLayout.xaxis.range")
    xy = np.asarray(ex.landscape().coords)[np.asarray(ex.landscape().clusters) == topic.id]
    assert xr[0] <= xy[:, 0].min() and xr[1] >= xy[:, 0].max()


def test_the_page_says_the_model_is_loading(browser, ex, monkeypatch):
    """A corpus opened without its model: the first free-text query says it loads it."""
    import time

    from explorer.web.app import create_app

    class Slow(HashEmbedder):
        def embed(self, texts, on_chunk=None):  # type: ignore[no-untyped-def]
            time.sleep(1.5)
            return super().embed(texts)

    monkeypatch.setattr("explorer.parts.Embedder", lambda *a, **k: Slow())
    fresh = Explorer.open(ex.name, root=ex.layout.root.parent)
    assert not fresh.model_loaded
    with serving(create_app(fresh)) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + "/")
        ready(page)
        page.fill("#query", "a phrase that names no paper at all")
        page.click("#go")
        page.wait_for_function(
            "() => document.getElementById('status').textContent === 'loading the model…'"
        )
        page.wait_for_selector("#result-list li.hit")
        idle(page)
        page.close()
    assert fresh.model_loaded


def test_a_paper_named_in_the_box_lists_its_related_papers_and_survives_a_reload(app, browser, ex):
    page, _ = app
    pid = ex.corpus[9].id
    page.fill("#query", ex.corpus[9].title)
    page.click("#go")
    page.wait_for_selector(f"#paper-card[data-id='{pid}']")
    page.wait_for_selector("#result-list li.hit")
    idle(page)
    want = [h.paper.id for h in ex.related(pid, k=10)]
    assert shown_ids(page) == want
    page.select_option("#mode", "dense")
    page.wait_for_timeout(300)
    idle(page)
    dense = [h.paper.id for h in ex.related(pid, k=10, mode="dense")]
    assert shown_ids(page) == dense
    again = browser.new_page(viewport={"width": 1400, "height": 900})
    again.goto(page.url)
    ready(again)
    again.wait_for_selector(f"#paper-card[data-id='{pid}']")
    again.wait_for_selector("#result-list li.hit")
    idle(again)
    assert shown_ids(again) == dense and again.input_value("#mode") == "dense"
    again.close()


def test_lasso_selects_the_points_inside_the_drawn_path(app, ex):
    page, _ = app
    xy = np.asarray(ex.landscape().coords, dtype=np.float64)
    x0, x1, y0, y1 = a_box(ex)
    page.evaluate(f"Plotly.relayout({MAP}, {{dragmode: 'lasso'}})")
    # A triangle: its lower-left half of the box.
    corners = [pixel(page, x0, y1), pixel(page, x0, y0), pixel(page, x1, y0)]
    page.mouse.move(*corners[0])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(corners, [*corners[1:], corners[0]], strict=True):
        for t in np.linspace(0, 1, 8)[1:]:
            page.mouse.move(ax + (bx - ax) * t, ay + (by - ay) * t)
    page.mouse.up()
    page.wait_for_selector("#selection-table tbody tr")
    lasso = json.loads(page.get_attribute("#selection", "data-range") or "{}")["lasso"]
    poly = np.column_stack([lasso["x"], lasso["y"]])
    rows = page.eval_on_selector_all("#selection-table tbody tr", "r => r.map(e => e.dataset.id)")
    inside = [ex.corpus.ids[i] for i in range(len(xy)) if _inside(xy[i], poly)]
    # Points within a pixel of the drawn path may go either way; all others must match.
    edge = {ex.corpus.ids[i] for i in range(len(xy)) if _near(page, xy[i], poly)}
    assert set(rows) - edge == set(inside) - edge and inside


def _inside(p: np.ndarray, poly: np.ndarray) -> bool:
    """Ray casting: whether point p lies inside the polygon's vertices (m, 2)."""
    x, y, hit = p[0], p[1], False
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            hit = not hit
    return hit


def _near(page: Any, p: np.ndarray, poly: np.ndarray) -> bool:
    """Whether point p is within 2 pixels of the polygon's edges."""
    px = np.array(pixel(page, float(p[0]), float(p[1])))
    pts = [np.array(pixel(page, float(a), float(b))) for a, b in poly]
    for a, b in zip(pts, [*pts[1:], pts[0]], strict=True):
        t = np.clip(np.dot(px - a, b - a) / max(np.dot(b - a, b - a), 1e-9), 0, 1)
        if np.linalg.norm(px - (a + t * (b - a))) < 2:
            return True
    return False
