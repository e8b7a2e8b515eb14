"""The web page on the 3,990-paper arXiv subset, with the real model: the size the issue names
(skips without ../shared/data or Chromium). Search by text, a category filter that holds for
every result, and a box whose listed papers are exactly those inside it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from browser import ARGS, CHROMIUM  # tests/browser.py
from conftest import SUBSET_FILE
from test_web_page import MAP, pixel, ready, search, shown_ids
from webapp import serving  # tests/webapp.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]
pytest.importorskip("fastapi")


@pytest.fixture(scope="module")
def page(subset_explorer) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package")
    if not SUBSET_FILE.exists():
        pytest.skip(f"{SUBSET_FILE} is missing")
    from playwright.sync_api import sync_playwright

    from explorer.web.app import create_app

    subset_explorer.landscape()  # the map (laid out once per cache) before the page asks
    with serving(create_app(subset_explorer)) as url, sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        pg = b.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(url + "/")
        ready(pg)
        yield pg
        b.close()
        assert errors == []


def test_every_paper_is_a_point(page, subset_explorer):
    assert page.evaluate(f"{MAP}.data[0].x.length") == len(subset_explorer.corpus) == 3990


def test_a_category_filter_holds_for_every_result(page, subset_explorer):
    page.select_option("#categories", ["cs.RO"])
    search(page, "grasping objects with a robot hand")
    ids = shown_ids(page)
    want = subset_explorer.search("grasping objects with a robot hand", k=20, categories="cs.RO")
    assert ids == [h.paper.id for h in want] and len(ids) == 20
    assert all("cs.RO" in subset_explorer.corpus.get(i).categories for i in ids)
    page.select_option("#categories", [])
    page.click("text=clear filters")


def test_a_box_lists_exactly_the_papers_inside(page, subset_explorer):
    xy = np.asarray(subset_explorer.landscape().coords, dtype=np.float64)
    (x0, x1), (y0, y1) = np.quantile(xy, [0.4, 0.6], axis=0).T  # a box mid-map
    page.evaluate(f"Plotly.relayout({MAP}, {{dragmode: 'select'}})")
    a, b = pixel(page, x0, y1), pixel(page, x1, y0)
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=8)
    page.mouse.up()
    page.wait_for_selector("#selection-table tbody tr")
    # the oracle: the papers whose coordinates lie in the box the page reports
    box = json.loads(page.get_attribute("#selection", "data-range") or "{}")
    (bx0, bx1), (by0, by1) = sorted(box["x"]), sorted(box["y"])
    inside = (xy[:, 0] >= bx0) & (xy[:, 0] <= bx1) & (xy[:, 1] >= by0) & (xy[:, 1] <= by1)
    want = [subset_explorer.corpus.ids[i] for i in np.flatnonzero(inside)]
    rows = page.eval_on_selector_all("#selection-table tbody tr", "r => r.map(e => e.dataset.id)")
    assert sorted(rows) == sorted(want) and len(want) > 10
