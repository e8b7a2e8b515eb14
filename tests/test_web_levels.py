"""The map reads by zoom (issue 26, item 3), in Chromium on a corpus of three topic levels: the
labels at full view are level 0's, zooming into a field shows a finer level's, no two visible
labels overlap, the topic list is a tree whose node zooms the map and filters every result,
and the URL keeps the node. The API's tree, levels and topic filters at any level too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import PageLog, page_browser, page_server, record  # noqa: F401 (fixtures)
from test_topic_tree import build_synthetic
from test_web_page import MAP, idle, ready, search, shown_ids

from explorer import Explorer
from explorer.web.corpus import Corpus
from explorer.web.dispatch import Dispatcher

browser_test = pytest.mark.browser


@pytest.fixture(scope="module")
def ex(tmp_path_factory) -> Explorer:
    pytest.importorskip("fastapi")
    folder = tmp_path_factory.mktemp("weblevels")
    return build_synthetic(folder)


@pytest.fixture
def open_at(browser, server) -> Iterator[Any]:
    opened: list[tuple[Any, PageLog]] = []

    def go(hash_: str = "") -> Any:
        log = PageLog()
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        record(page, log, server + "/")
        page.goto(server + "/" + hash_)
        ready(page)
        opened.append((page, log))
        return page

    yield go
    for page, log in opened:
        page.close()
        assert log.page_errors == [] and log.console_errors == [] and log.blocked == []


def labels(page: Any, plot: str = MAP) -> list[dict[str, Any]]:
    """The map's visible labels: {name, box: [left, top, right, bottom]} in CSS pixels."""
    return page.evaluate(
        f"""() => {{
        const gd = {plot}, anns = gd.layout.annotations || [];
        return Array.from(gd.querySelectorAll('.annotation'))
          .filter(g => g.style.visibility !== 'hidden')
          .map(g => {{ const r = g.querySelector('.annotation-text-g').getBoundingClientRect();
            return {{name: anns[Number(g.getAttribute('data-index'))].name,
                     box: [r.left, r.top, r.right, r.bottom]}}; }});
    }}"""
    )


def no_overlap(shown: list[dict[str, Any]]) -> None:
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            (l1, t1, r1, b1), (l2, t2, r2, b2) = a["box"], b["box"]
            assert not (l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1), (a, b)


def level_of(name: str, default: int) -> int:
    key = name.removeprefix("topic ")
    return int(key.split(".")[0]) if "." in key else default


def shown_level(page: Any) -> int:
    page.wait_for_timeout(150)  # the relayout that swaps the labels
    return int(page.evaluate(f"{MAP}.dataset.labelLevel"))


def pick(page: Any, key: str) -> None:
    page.click(f"#topic-tree button.node[data-key='{key}']")
    page.wait_for_function(
        "k => document.querySelector(`#topic-tree button.node[data-key='${k}']`)"
        ".getAttribute('aria-current') === 'true'",
        arg=key,
    )
    idle(page)


def test_the_api_has_the_tree_and_filters_by_a_topic_of_any_level(ex):
    d = Dispatcher(ex)
    info, pts = d.answer("info"), d.answer("points")
    tree = info["tree"]
    assert len(tree["levels"]) == len(pts["levels"]) == 3 and tree["default_level"] == 1
    assert info["topics"] and {t["id"] for t in info["topics"]} == {
        t["id"] for t in tree["levels"][1]
    }
    for lv, level in enumerate(tree["levels"]):
        for t in level:
            assert t["key"] == f"{lv}.{t['id']}" and t["size"] == pts["levels"][lv].count(t["id"])
            if lv:
                parent = next(p for p in tree["levels"][lv - 1] if p["id"] == t["parent"])
                assert t["id"] in parent["children"]
    # a field keeps its hue: its topics are shades of it (the same hue, another lightness)
    import colorsys

    def hue(c: str) -> float:
        return colorsys.rgb_to_hls(*(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)))[0]

    for t in tree["levels"][1]:
        field = next(p for p in tree["levels"][0] if p["id"] == t["parent"])
        assert abs(hue(t["color"]) - hue(field["color"])) < 0.02
    node = tree["levels"][2][0]
    hits = d.answer("search", {"text": "paper", "k": 30, "topics": [node["key"]]})["hits"]
    rows = {i: r for r, i in enumerate(pts["ids"])}
    assert hits and all(pts["levels"][2][rows[h["id"]]] == node["id"] for h in hits)
    rel = d.answer("related", {"id": pts["ids"][0], "k": 30, "topics": ["0.1", "0.2"]})["hits"]
    assert rel and all(pts["levels"][0][rows[h["id"]]] in (1, 2) for h in rel)
    with pytest.raises(Exception, match="unknown topic"):
        d.answer("search", {"text": "paper", "topics": ["2.9999"]})
    assert Corpus(ex).topic_ids([]) is None


@browser_test
def test_labels_by_zoom_never_overlap_and_a_node_filters_every_result(open_at, ex):
    tree = ex.landscape().tree
    page = open_at()
    assert page.locator("#topic-tree > li").count() == len(tree.topics[0])
    # full view: the fields
    assert shown_level(page) == 0
    shown = labels(page)
    assert shown and {level_of(s["name"], tree.default) for s in shown} == {0}
    assert len(shown) >= len(tree.topics[0]) - 1
    no_overlap(shown)
    # a field: zoomed to it, a finer level's labels
    field = tree.topics[0][0]
    pick(page, field.key)
    zoomed = shown_level(page)
    shown = labels(page)
    assert zoomed > 0 and shown and {level_of(s["name"], tree.default) for s in shown} == {zoomed}
    no_overlap(shown)
    # one of its topics: the finest level
    pick(page, f"1.{tree.topic(0, field.id).children[0]}")
    assert shown_level(page) == 2
    shown = labels(page)
    assert shown and {level_of(s["name"], tree.default) for s in shown} == {2}
    no_overlap(shown)
    # the node filters every result, and the URL keeps it
    search(page, "paper")
    ids, rows = shown_ids(page), ex.corpus
    node = tree.topic(1, tree.topic(0, field.id).children[0])
    assert ids and all(tree.levels[1][rows.position(i)] == node.id for i in ids)
    assert f"topic={node.key}" in page.evaluate("location.hash")
    again = open_at(page.evaluate("location.hash"))
    idle(again)
    assert again.get_attribute(f"#topic-tree button.node[data-key='{node.key}']", "aria-current")
    assert shown_level(again) == 2
    assert shown_ids(again) == ids
    # "all topics": the whole map again, its fields labelled
    again.click("#topics-clear")
    idle(again)
    assert shown_level(again) == 0 and "topic=" not in again.evaluate("location.hash")


@pytest.mark.parametrize("deficiency", [None, "deuteranomaly", "protanomaly", "tritanomaly"])
def test_a_fields_shades_are_told_apart_with_colour_vision_deficiencies(deficiency):
    import itertools

    import numpy as np

    from explorer.maps import figure, shades

    colorspacious = pytest.importorskip("colorspacious")
    cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}

    def seen(c: str) -> Any:
        rgb = np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        return (
            rgb
            if deficiency is None
            else np.clip(colorspacious.cspace_convert(rgb, cvd, "sRGB1"), 0, 1)
        )

    for colour in figure.PALETTE:
        mine = [seen(c) for c in shades.shades(colour, len(shades.LIGHTNESS))]
        gaps = [
            colorspacious.deltaE(a, b, input_space="sRGB1")
            for a, b in itertools.combinations(mine, 2)
        ]
        assert min(gaps) > 10, colour  # siblings: as far apart as the palette's own colours


@browser_test
def test_the_static_map_shows_labels_by_zoom(ex, browser, tmp_path):
    tree, xy = ex.landscape().tree, ex.landscape().coords
    path = ex.write_map(tmp_path / "map.html")
    log = PageLog()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    record(page, log, "file://")
    page.goto(path.resolve().as_uri())
    plot = "document.querySelector('.js-plotly-plot')"
    page.wait_for_function(f"() => {plot} && {plot}.dataset.labelLevel === '0'")
    page.wait_for_timeout(300)
    shown = [s for s in labels(page, plot) if s["name"].startswith("topic ")]
    assert shown and {level_of(s["name"], -1) for s in shown} == {0}
    no_overlap(shown)
    # zoomed to one field: a finer level's labels, none overlapping
    rows = tree.rows(0, tree.topics[0][0].id)
    (x0, y0), (x1, y1) = xy[rows].min(axis=0), xy[rows].max(axis=0)
    page.evaluate(
        f"r => Plotly.relayout({plot}, {{'xaxis.range': r.slice(0, 2),"
        " 'yaxis.range': r.slice(2)})",
        [float(x0), float(x1), float(y0), float(y1)],
    )
    page.wait_for_function(f"() => {plot}.dataset.labelLevel !== '0'")
    page.wait_for_timeout(300)
    level = int(page.evaluate(f"{plot}.dataset.labelLevel"))
    shown = [s for s in labels(page, plot) if s["name"].startswith("topic ")]
    assert level > 0 and shown and {level_of(s["name"], -1) for s in shown} == {level}
    no_overlap(shown)
    page.close()
    assert log.page_errors == [] and log.console_errors == [] and log.blocked == []


@browser_test
def test_the_widget_reads_by_zoom_and_filters_by_a_node(browser, ex):
    pytest.importorskip("anywidget")
    from test_web_library import widget_page

    from explorer.web.widget import ExplorerWidget

    w = ExplorerWidget(ex, height=600)
    tree = ex.landscape().tree
    log = PageLog()
    page = widget_page(browser, w, log)
    try:
        assert shown_level(page) == 0
        assert {level_of(s["name"], tree.default) for s in labels(page)} == {0}
        field = tree.topics[0][1]
        pick(page, field.key)
        assert shown_level(page) > 0
        no_overlap(labels(page))
        search(page, "paper")  # the node filters every result, in the widget too
        ids = shown_ids(page)
        assert ids and all(tree.levels[0][ex.corpus.position(i)] == field.id for i in ids)
    finally:
        page.close()
    assert log.page_errors == []
