"""The page's layout at 1366x768 and 1920x1080 (issue 23, findings 6-9): a selection is one
example chip that says how many papers the query used, chips never overflow and can all be
cleared, the timeline never covers the map, results come first in the side panel, the map has
its own Box / Lasso / Clear buttons and a drawn shape does not stay, the topic legend toggles
topics, labels never cover highlighted points, and a search that names no paper says so with
"did you mean". Screenshots of both sizes are written to tmp (and to docs/img with
EXPLORER_REFRESH_IMG=1) and the committed ones are checked."""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import PageLog, page_browser, page_server, record  # noqa: F401 (fixtures)
from fakes import HashEmbedder  # tests/fakes.py
from test_web_page import MAP, idle, pixel, ready, search, shown_ids
from webapp import XSS_IMG  # tests/webapp.py

from explorer import Explorer

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
SIZES = [(1366, 768), (1920, 1080)]
COPIES = 3  # the seed papers three times over: 123 papers, more than a query's 100 examples
LONG = " ".join(["An extraordinarily long title about retrieval"] * 8)
browser_test = pytest.mark.browser


@pytest.fixture(scope="module")
def ex(tmp_path_factory, seed_corpus) -> Explorer:
    pytest.importorskip("fastapi")
    folder = tmp_path_factory.mktemp("weblayout")
    rows = [p.to_dict() for p in seed_corpus]
    src = folder / "three.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for k in range(COPIES):
            for i, r in enumerate(rows):
                r = dict(r)
                if k:
                    r["id"] = f"{r['id']}-copy{k}"
                    r["title"] = f"Copy {k}: {r['title']}"
                    r["abstract"] = f"{r['abstract']} (copy {k})"
                elif i == 1:
                    r["title"] = LONG
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return Explorer.build(src, name="three", root=folder / "cache", embedder=HashEmbedder())


@pytest.fixture
def open_at(browser, server) -> Iterator[Any]:
    """open_at(width, height, hash=''): a fresh page on the app at that size, loaded; every page
    opened is checked afterwards for errors and requests that left the server."""
    opened: list[tuple[Any, PageLog]] = []

    def go(width: int = 1366, height: int = 768, hash_: str = "") -> Any:
        log = PageLog()
        page = browser.new_page(viewport={"width": width, "height": height})
        record(page, log, server + "/")
        page.goto(server + "/" + hash_)
        ready(page)
        opened.append((page, log))
        return page

    yield go
    for page, log in opened:
        page.wait_for_timeout(100)
        page.close()
        assert log.page_errors == [] and log.console_errors == [] and log.blocked == []


def drag(page: Any, points: list[tuple[float, float]]) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
        for t in (0.25, 0.5, 0.75, 1.0):
            page.mouse.move(ax + (bx - ax) * t, ay + (by - ay) * t)
    page.mouse.up()


def plot_area(page: Any) -> dict[str, float]:
    """The map's plot area (where points are drawn) on the page, in CSS pixels."""
    return dict(
        page.evaluate(f"""() => {{ const gd = {MAP}, s = gd._fullLayout._size,
        r = gd.getBoundingClientRect();
        return {{left: r.left + s.l, top: r.top + s.t, right: r.left + s.l + s.w,
                 bottom: r.top + s.t + s.h, divBottom: r.bottom}}; }}""")
    )


def box_all(page: Any, ex: Explorer, frac: float = 1.0) -> int:
    """Drag a box with the page's Box button round the middle `frac` of the points (all of them
    when 1); answers how many papers the table lists."""
    xy = ex.landscape().coords
    xs, ys = sorted(float(v) for v in xy[:, 0]), sorted(float(v) for v in xy[:, 1])
    lo, hi = (1 - frac) / 2, (1 + frac) / 2
    n = len(xs) - 1
    pad_x, pad_y = (xs[-1] - xs[0]) * 0.02, (ys[-1] - ys[0]) * 0.02
    x0, x1 = xs[int(lo * n)] - pad_x, xs[int(hi * n)] + pad_x
    y0, y1 = ys[int(lo * n)] - pad_y, ys[int(hi * n)] + pad_y
    page.evaluate(f"Plotly.relayout({MAP}, {{'xaxis.autorange': true, 'yaxis.autorange': true}})")
    page.click("#tool-select")
    assert page.evaluate(f"{MAP}._fullLayout.dragmode") == "select"
    drag(page, [pixel(page, x0, y1), pixel(page, x1, y0)])
    page.wait_for_selector("#selection-table tbody tr")
    return int(page.evaluate("document.querySelectorAll('#selection-table tbody tr').length"))


def overflows(page: Any) -> list[str]:
    """Visible elements of the page (outside plotly's own) that stick out of the viewport
    horizontally, or out of a side-panel box that clips them."""
    return list(
        page.evaluate("""() => {
        const W = window.innerWidth, bad = [];
        const sw = document.documentElement.scrollWidth;
        if (sw > W) bad.push('document ' + sw);
        for (const el of document.querySelectorAll('.explorer *')) {
            if (el.closest('.js-plotly-plot') || el.closest('[hidden]')) continue;
            const r = el.getBoundingClientRect();
            if (!r.width || !r.height) continue;
            if (r.left < -0.5 || r.right > W + 0.5)
                bad.push(`${el.tagName}#${el.id}.${el.className} ${r.left}-${r.right}`);
        }
        const aside = document.querySelector('aside').getBoundingClientRect();
        for (const el of document.querySelectorAll('aside td, aside th, aside h2, aside p')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > aside.right + 0.5)
                bad.push('aside ' + el.tagName + ' ' + el.className);
        }
        return bad; }""")
    )


def chips_inside(page: Any) -> list[str]:
    """Chips (and their ×) that are not wholly inside the chips' container."""
    return list(
        page.evaluate("""() => {
        const box = document.getElementById('chips').getBoundingClientRect(), bad = [];
        const inside = (r, b) => r.left >= b.left - 0.5 && r.right <= b.right + 0.5;
        for (const c of document.querySelectorAll('#chips .chip')) {
            const r = c.getBoundingClientRect(), x = c.querySelector('.x').getBoundingClientRect();
            if (!inside(r, box)) bad.push('chip ' + c.dataset.id);
            if (!inside(x, r) || x.width < 4 || x.right > window.innerWidth)
                bad.push('x ' + c.dataset.id);
        }
        return bad; }""")
    )


def no_overlap(page: Any) -> None:
    area = plot_area(page)
    tl = page.evaluate("document.getElementById('timeline').getBoundingClientRect().toJSON()")
    assert area["bottom"] <= tl["top"] + 0.5, (area, tl)  # the timeline never covers the map
    assert area["bottom"] <= area["divBottom"] + 0.5


@browser_test
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_page_fits_its_window(open_at, ex, tmp_path, width, height):
    page = open_at(width, height)
    n = box_all(page, ex, frac=0.6)
    assert 5 < n < len(ex.corpus)
    # ids never overflow the table; titles get the width (not one word per line)
    widths = page.evaluate("""() => { const t = document.getElementById('selection-table')
        .getBoundingClientRect(); const cells = [...document.querySelectorAll(
        '#selection-table tbody tr:first-child td')].map(c => c.getBoundingClientRect());
        return {table: [t.left, t.right], cells: cells.map(c => [c.left, c.right])}; }""")
    (t0, t1), cells = widths["table"], widths["cells"]
    assert all(t0 - 0.5 <= a and b <= t1 + 0.5 for a, b in cells)
    assert cells[1][1] - cells[1][0] > 0.5 * (t1 - t0)
    page.click("#like-these")
    page.wait_for_selector("#result-list li.hit")
    idle(page)
    search(page, "language models")
    page.click("#result-list li.hit button.title")
    page.wait_for_selector("#card-related li.hit")
    idle(page)
    page.click("#more-like")
    page.wait_for_function("() => document.querySelectorAll('#chips .chip').length === 2")
    idle(page)
    page.wait_for_timeout(300)  # the map's resize after the chips grew
    assert overflows(page) == []
    assert chips_inside(page) == []
    no_overlap(page)
    results = page.evaluate("document.getElementById('results-panel').getBoundingClientRect().top")
    related = page.evaluate("document.getElementById('card-related').getBoundingClientRect().top")
    assert results < related  # results come first in the side panel
    page.evaluate("document.querySelector('aside').scrollTop = 0")
    shot = tmp_path / f"page-{width}.png"
    page.screenshot(path=str(shot))
    assert png_size(shot) == (width, height)
    if os.environ.get("EXPLORER_REFRESH_IMG") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS_IMG / shot.name)


@browser_test
def test_a_selection_is_one_example_that_says_how_many_it_used(open_at, ex):
    page = open_at()
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: r.url.endswith("/api/search") and sent.append(json.loads(r.post_data or "{}")),
    )
    # a long title's chip keeps its × visible inside the chips' row
    page.fill("#query", ex.corpus[1].id)
    page.click("#go")
    page.wait_for_selector(f"#paper-card[data-id='{ex.corpus[1].id}']")
    idle(page)
    page.click("#more-like")
    page.wait_for_selector(f"#chips .chip[data-id='{ex.corpus[1].id}']")
    idle(page)
    assert chips_inside(page) == []
    chip = page.evaluate(
        "() => { const c = document.querySelector('#chips .chip .label');"
        " return c.scrollWidth > c.clientWidth; }"
    )
    assert chip  # ellipsised, not cut at the ×
    page.click(f"#chips .chip[data-id='{ex.corpus[1].id}'] .x")
    page.wait_for_function("() => document.querySelectorAll('#chips .chip').length === 0")
    idle(page)
    total = box_all(page, ex)
    assert total == len(ex.corpus) > 100
    page.click("#like-these")
    page.wait_for_selector("#result-list li.hit")
    idle(page)
    chips = page.eval_on_selector_all("#chips .chip", "cs => cs.map(c => c.textContent)")
    assert chips == [f"+ 100 of {total} selected papers (the closest to their centre)×"]
    assert len(sent[-1]["examples"]) == 100
    note = page.text_content("#results p.note") or ""
    assert f"100 of the {total} selected papers" in note
    # the 100 used are those nearest the selection's centre on the map
    xy = ex.landscape().coords
    centre = xy.mean(axis=0)
    far = sorted(range(len(xy)), key=lambda i: float(((xy[i] - centre) ** 2).sum()))[101:]
    assert set(sent[-1]["examples"]).isdisjoint(ex.corpus.ids[i] for i in far)
    assert page.query_selector("#clear-chips") is None  # one chip: nothing more to clear
    assert "sel=" in page.url and f"seln={total}" in page.url
    # two chips or more offer "clear all"
    page.click("#result-list li.hit button.title")
    page.wait_for_selector("#paper-card")
    idle(page)
    page.click("#more-like")
    page.wait_for_selector("#clear-chips")
    idle(page)
    assert chips_inside(page) == []
    no_overlap(page)
    page.click("#clear-chips")
    page.wait_for_function("() => document.querySelectorAll('#chips .chip').length === 0")
    idle(page)
    assert "sel=" not in page.url


@browser_test
def test_box_lasso_and_clear_are_buttons_and_a_drawn_shape_goes(open_at, ex):
    page = open_at()
    xy = ex.landscape().coords
    (xa, ya), (xb, yb) = (float(v) for v in xy.min(axis=0)), (float(v) for v in xy.max(axis=0))
    cx, cy = (xa + xb) / 2, (ya + yb) / 2
    page.click("#tool-lasso")
    assert page.evaluate(f"{MAP}._fullLayout.dragmode") == "lasso"
    assert page.get_attribute("#tool-lasso", "aria-pressed") == "true"
    ring = [pixel(page, cx + (xb - xa) * 0.45 * dx, cy + (yb - ya) * 0.45 * dy)
            for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))]  # fmt: skip
    drag(page, ring)
    page.wait_for_selector("#selection-table tbody tr")
    page.wait_for_function(f"() => {MAP}._fullLayout.dragmode === 'pan'")
    assert page.evaluate(f"({MAP}.layout.selections || []).length") == 0
    assert (
        page.evaluate(
            "document.querySelectorAll("
            "'#map .selectionlayer path, #map .outline-controllers *').length"
        )
        == 0
    )
    selected = page.evaluate(f"Array.from({MAP}.data[0].selectedpoints || [])")
    assert len(selected) == page.evaluate(
        "document.querySelectorAll('#selection-table tbody tr').length"
    )
    # the wheel zooms inside where the lasso was
    before = page.evaluate(f"{MAP}._fullLayout.xaxis.range.slice()")
    page.mouse.move(*pixel(page, cx, cy))
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        f"r => {{ const x = {MAP}._fullLayout.xaxis.range;"
        " return x[1] - x[0] < (r[1] - r[0]) * 0.95; }",
        arg=before,
    )
    page.click("#tool-clear")
    page.wait_for_selector("#selection", state="hidden")
    assert page.evaluate(f"{MAP}.data[0].selectedpoints") is None
    page.click("#tool-select")
    assert page.evaluate(f"{MAP}._fullLayout.dragmode") == "select"


@browser_test
def test_the_topic_legend_hides_and_shows_topics_and_keeps_them_in_the_url(open_at, ex):
    page = open_at()
    land = ex.landscape()
    topic = land.topics[0]
    rows = [i for i, c in enumerate(land.clusters) if c == topic.id]
    page.click(f"#topic-list .swatch[data-topic='{topic.id}']")
    page.wait_for_function("t => location.hash.includes('hide=' + t)", arg=topic.id)
    xs = page.evaluate(f"Array.from({MAP}.data[0].x, v => Number.isNaN(v) ? null : v)")
    assert [i for i, v in enumerate(xs) if v is None] == rows
    assert (
        page.get_attribute(f"#topic-list .swatch[data-topic='{topic.id}']", "aria-pressed")
        == "false"
    )
    visible_label = f"""t => {{ const gd = {MAP};
        const i = gd.layout.annotations.findIndex(a => a.name === 'topic ' + t);
        const g = gd.querySelector(`.annotation[data-index="${{i}}"]`);
        return i < 0 ? null : g.style.visibility !== 'hidden'; }}"""
    assert page.evaluate(visible_label, topic.id) in (False, None)
    again = open_at(1366, 768, "#" + page.url.split("#", 1)[1])
    xs2 = again.evaluate(f"Array.from({MAP}.data[0].x, v => Number.isNaN(v) ? null : v)")
    assert [i for i, v in enumerate(xs2) if v is None] == rows
    again.click(f"#topic-list .swatch[data-topic='{topic.id}']")
    again.wait_for_function("() => !location.hash.includes('hide=')")
    assert again.evaluate(f"Array.from({MAP}.data[0].x).every(v => !Number.isNaN(v))")


@browser_test
def test_labels_never_cover_highlighted_points(open_at, ex):
    page = open_at()
    search(page, "language models")
    # zoomed out, the labels' boxes cover many points: each that covers a hit must go
    xy = ex.landscape().coords
    (xa, ya), (xb, yb) = (float(v) for v in xy.min(axis=0)), (float(v) for v in xy.max(axis=0))
    w, h = xb - xa, yb - ya
    page.evaluate(
        f"r => Plotly.relayout({MAP},"
        " {'xaxis.range': [r[0], r[1]], 'yaxis.range': [r[2], r[3]]})",
        [float(xa - w * 0.6), float(xb + w * 0.6), float(ya - h * 0.6), float(yb + h * 0.6)],
    )
    page.wait_for_timeout(300)
    got = page.evaluate(f"""() => {{ const gd = {MAP}, L = gd._fullLayout,
        b = gd.getBoundingClientRect();
        const pts = [1, 2, 3].flatMap(c => Array.from(gd._fullData[c].x, (x, i) =>
            [b.left + L._size.l + L.xaxis.l2p(x),
             b.top + L._size.t + L.yaxis.l2p(gd._fullData[c].y[i])]));
        let covered = 0, shown = 0;
        gd.querySelectorAll('.annotation').forEach(g => {{
            const r = g.getBoundingClientRect();
            const on = pts.some(([x, y]) =>
                x >= r.left && x <= r.right && y >= r.top && y <= r.bottom);
            if (on) covered += 1;
            if (on && g.style.visibility !== 'hidden') shown += 1;
        }});
        return {{covered, shown, n: pts.length}}; }}""")
    assert got["n"] > 10 and got["covered"] > 0  # the test means something: labels were over hits
    assert got["shown"] == 0


MISS = {
    "kind": "title",
    "message": "no paper has the title 'OcluGausian'",
    "suggestions": [
        {"id": "__ID__", "title": XSS_IMG + " OccluGaussian"},
    ],
}


@browser_test
def test_a_query_that_names_no_paper_says_so_and_suggests(open_at, ex):
    page = open_at()
    target = ex.corpus[5]
    miss = json.loads(json.dumps(MISS).replace("__ID__", target.id))
    # the server's `miss` (its Python side is the lead's): answered here as the API will
    page.route(
        "**/api/find?*",
        lambda r: r.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"paper": None, "miss": miss}),
        ),
    )
    search(page, "OcluGausian")
    text = page.text_content("#miss") or ""
    assert text.startswith("No paper has the title 'OcluGausian' — did you mean: ")
    assert text.endswith("? Showing papers about these words instead.")
    assert (
        XSS_IMG in text and page.evaluate("document.querySelectorAll('#results img').length") == 0
    )
    miss_top = page.evaluate("document.getElementById('miss').getBoundingClientRect().bottom")
    list_top = page.evaluate("document.getElementById('result-list').getBoundingClientRect().top")
    assert miss_top <= list_top and shown_ids(page)  # above the free-text results, still shown
    page.unroute("**/api/find?*")
    page.click(f"#miss button.suggestion[data-id='{target.id}']")
    page.wait_for_selector(f"#paper-card[data-id='{target.id}']")
    idle(page)
    assert page.input_value("#query") == target.id
    assert page.query_selector("#miss") is None


@browser_test
def test_the_servers_miss_is_shown_for_a_typo_and_an_unknown_id(open_at, ex):
    page = open_at()
    target = ex.corpus[0]
    assert target.title.startswith("Gemma 2")
    search(page, "Gema 2")  # a title's start, mistyped
    text = page.text_content("#miss") or ""
    assert text.startswith("No paper has the title") and "did you mean" in text
    ids = page.eval_on_selector_all("#miss button.suggestion", "bs => bs.map(b => b.dataset.id)")
    assert target.id in ids and shown_ids(page)
    search(page, "2503.99999")
    assert (page.text_content("#miss") or "").startswith("No paper has the id '2503.99999'")
    search(page, "language models")  # free text: nothing missed
    assert page.query_selector("#miss") is None


@pytest.mark.browser
def test_a_hit_shows_its_cosine_first_and_the_list_score_in_its_tooltip(open_at, ex):
    """Issue 23, finding 11: scores were scaled per query (the top hit always 1.000)."""
    page = open_at()
    search(page, "language models")
    metas = page.eval_on_selector_all(
        "#result-list li.hit .meta", "ms => ms.map(m => [m.textContent, m.title])"
    )
    want = ex.search("language models", k=len(metas))
    assert len(metas) >= 3
    for (text, tip), hit in zip(metas, want, strict=True):
        assert text.strip().endswith(f"cos {hit.cosine:.3f}"), text
        assert tip == f"score {hit.score:.3f}: what ranked this list"


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_committed_screenshots_have_their_sizes(width, height):
    """docs/img/page-<width>.png (EXPLORER_REFRESH_IMG=1 pytest tests/test_web_layout.py)."""
    assert png_size(DOCS_IMG / f"page-{width}.png") == (width, height)
