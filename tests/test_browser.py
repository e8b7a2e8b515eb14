"""The seed map in a real headless Chromium: offline, inert to hostile titles, 41 points, labels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from browser import (  # tests/browser.py (pytest puts tests/ on sys.path)
    CHROMIUM,
    hover_text_of,
    open_page,
)

from explorer.maps import figure, placement
from explorer.maps.page import write_html

pytestmark = pytest.mark.browser

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>window.__pwned=1</script>"
# Tags that Plotly's pseudo-HTML does render: only escaping keeps them literal.
XSS_LINK = '<a href="javascript:alert(1)">click</a> <b>me</b>'
SCREENSHOT = Path("/tmp/explorer-scratch/seed_map.png")

# Number of paper points in the page, read from the graph div's own data.
COUNT_JS = """() => document.querySelector('.js-plotly-plot').data
    .filter(t => t.customdata).reduce((n, t) => n + t.customdata.length, 0)"""


@pytest.fixture(scope="module")
def seed_page(seed_corpus, seed_layout, tmp_path_factory):
    """The seed map with three hostile titles, written to disk: (path, papers, label names)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package")
    coords, labels, names = seed_layout
    papers = list(seed_corpus)
    papers[3] = replace(papers[3], title=XSS_IMG)
    papers[5] = replace(papers[5], title=XSS_SCRIPT)
    papers[7] = replace(papers[7], title=XSS_LINK)
    fig = figure.map_figure(
        coords,
        papers,
        labels,
        names,
        highlight={0: 0.9, 10: 0.8, 9: 0.7},
        query_point=(float(coords[0, 0]), float(coords[0, 1]) + 0.5),
        query_label="gemma",
        title="Seed corpus",
    )
    path = write_html(fig, tmp_path_factory.mktemp("map") / "seed.html")
    return path, papers, names


def test_seed_map_renders_offline_and_inert(seed_page):
    path, papers, names = seed_page
    with open_page(path) as (page, log):
        assert page.evaluate(COUNT_JS) == 41
        buttons = page.evaluate(
            "Array.from(document.querySelectorAll('.modebar-btn')).map(b => b.dataset.title)"
        )
        assert "Zoom" in buttons and not [b for b in buttons if "Share" in b]  # no cloud upload
        # Cluster labels are on the page, as text.
        shown = page.locator(".annotation-text").all_text_contents()
        assert sorted(shown) == sorted(
            placement.label_lines(n).replace("\n", "") for n in names.values()
        )
        # Hovering shows the hostile titles literally, and nothing is interpreted.
        assert XSS_IMG in hover_text_of(page, papers[3].id)
        assert XSS_SCRIPT in hover_text_of(page, papers[5].id)
        assert XSS_LINK in hover_text_of(page, papers[7].id)
        assert page.evaluate("document.querySelectorAll('.hoverlayer a').length") == 0
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        page.mouse.move(2, 2)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)  # for a human to look at
        page.screenshot(path=str(SCREENSHOT))
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.wait_for_timeout(300)  # give a stray onerror / timer the chance to fire
    assert log.dialogs == []
    assert log.page_errors == []
    assert log.console_errors == []
    assert log.blocked == []  # nothing but file:// was even requested


def test_search_box_finds_titles_as_text(seed_page):
    path, papers, _ = seed_page
    with open_page(path) as (page, log):
        box = page.locator("#explorer-search")
        box.fill("</SCRIPT><script>")  # matched as text, case-insensitively
        assert page.locator("#explorer-search-count").text_content() == "1 match"
        selected = page.evaluate(
            """() => document.querySelector('.js-plotly-plot').data
                .filter(t => t.customdata && t.selectedpoints && t.selectedpoints.length)
                .map(t => t.selectedpoints.map(i => t.customdata[i])).flat()"""
        )
        assert selected == [papers[5].id]
        box.fill("gemma")
        assert page.locator("#explorer-search-count").text_content() == "2 matches"
        box.fill("")
        assert page.locator("#explorer-search-count").text_content() == ""
    assert log.dialogs == [] and log.page_errors == [] and log.blocked == []
