"""Topic edits from the page (issue 26, item 5), in Chromium on the synthetic corpus of three
topic levels (tests/test_topic_tree.py, the hash embedder): with `explorer serve --edit` each
topic of the tree has an edit button whose form renames it or merges it into a sibling, and a
paper's card moves the paper to another topic; the list, the map's labels, the API and
edits.json follow. A refused edit says why in the page; a label of markup stays text. Without
--edit the page has no edit button at all."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from browser import ARGS, CHROMIUM, PageLog, record
from fakes import HashEmbedder  # tests/fakes.py
from test_topic_tree import build_synthetic, synthetic_papers
from test_web_page import MAP, idle, ready
from webapp import XSS_IMG, serving  # tests/webapp.py

from explorer import Explorer
from explorer.maps import edits_file

pytestmark = pytest.mark.browser
pytest.importorskip("fastapi")


@pytest.fixture(scope="module")
def ex(tmp_path_factory) -> Explorer:
    folder = tmp_path_factory.mktemp("webedit")
    return build_synthetic(folder)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def fresh(ex) -> Explorer:
    """`ex` with no topic edits: each test starts from the built map."""
    while ex.topic_edits():
        ex.undo_edit()
    return ex


def serve(ex: Explorer, *, edit: bool) -> Any:
    from explorer.web.app import create_app

    return serving(create_app(ex, edit=edit))


@pytest.fixture
def open_page(browser) -> Iterator[Any]:
    """Opens the page at a server's URL; afterwards, the page ran nothing it should not, showed
    no dialog (no alert, no prompt) and asked nothing of another host."""
    opened: list[tuple[Any, PageLog]] = []

    def go(url: str, hash_: str = "") -> tuple[Any, PageLog]:
        log = PageLog()
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        record(page, log, url + "/")
        page.goto(url + "/" + hash_)
        ready(page)
        opened.append((page, log))
        return page, log

    yield go
    for page, log in opened:
        page.wait_for_timeout(200)  # a stray onerror gets its chance to fire
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.close()
        assert log.dialogs == [] and log.page_errors == [] and log.blocked == []
        # a refused edit's 400 is logged by Chromium itself; nothing else may be
        assert [e for e in log.console_errors if "status of 400" not in e] == []


def get(url: str, path: str) -> Any:
    with urllib.request.urlopen(url + path, timeout=30) as r:  # noqa: S310 (loopback)
        return json.loads(r.read())


def node_text(page: Any, key: str) -> str:
    return page.text_content(f"#topic-tree button.node[data-key='{key}']") or ""


def edit_form(page: Any, key: str, label: str) -> str:
    """Open topic `key`'s edit form (its button is named "Edit topic LABEL"); the form's
    selector."""
    button = page.locator(f"#topic-tree button.edit-topic[data-key='{key}']")
    assert button.get_attribute("aria-label") == f"Edit topic {label}"
    button.click()
    form = f"#topic-tree form.topic-edit[data-key='{key}']"
    page.wait_for_selector(form)
    return form


def test_renaming_a_topic_in_its_form_changes_the_list_the_map_and_the_api(fresh, open_page):
    field = fresh.landscape().tree.topics[0][0]
    with serve(fresh, edit=True) as url:
        assert get(url, "/api/info")["editable"] is True
        page, _ = open_page(url)
        buttons = page.locator("#topic-tree button.edit-topic")
        assert buttons.count() == sum(len(level) for level in fresh.landscape().tree.topics)
        form = edit_form(page, field.key, field.label)
        assert page.input_value(f"{form} input.edit-label") == field.label  # prefilled
        # Cancel closes it and changes nothing
        page.click(f"{form} button.edit-cancel")
        assert page.locator(form).count() == 0 and fresh.topic_edits() == []
        form = edit_form(page, field.key, field.label)
        page.fill(f"{form} input.edit-label", "Myfield")
        page.click(f"{form} button.edit-save")
        page.wait_for_function(
            "k => document.querySelector(`#topic-tree button.node[data-key='${k}']`)"
            ".textContent.includes('Myfield')",
            arg=field.key,
        )
        idle(page)
        assert page.locator(form).count() == 0  # the list drawn again, the form gone
        # the map's labels (level 0's at full view) carry the new name
        texts = page.evaluate(f"{MAP}.layout.annotations.map(a => a.text)")
        assert any("Myfield" in t for t in texts)
        # the API and edits.json have it
        level0 = get(url, "/api/info")["tree"]["levels"][0]
        assert next(t for t in level0 if t["key"] == field.key)["label"] == "Myfield"
        saved = json.loads(edits_file.path(fresh.layout).read_text("utf-8"))
        assert [(e["op"], e["label"]) for e in saved["edits"]] == [("rename", "Myfield")]


def test_merging_a_topic_into_a_sibling_moves_its_papers(fresh, open_page):
    tree = fresh.landscape().tree
    a = tree.topics[1][0]
    b = next(t for t in tree.topics[1] if t.parent == a.parent and t.id != a.id)
    rows_a = set(tree.rows(1, a.id).tolist())
    with serve(fresh, edit=True) as url:
        page, _ = open_page(url)
        form = edit_form(page, a.key, a.label)
        # the merge select lists the topic's siblings only (its field's other topics)
        offered = page.eval_on_selector_all(
            f"{form} select.edit-merge option", "os => os.map(o => o.value).filter(Boolean)"
        )
        siblings = {t.key for t in tree.topics[1] if t.parent == a.parent and t.id != a.id}
        assert set(offered) == siblings
        page.select_option(f"{form} select.edit-merge", value=b.key)
        assert page.is_disabled(f"{form} input.edit-label")  # a merged topic keeps no label
        page.click(f"{form} button.edit-save")
        page.wait_for_function(
            "k => !document.querySelector(`#topic-tree li[data-key='${k}']`)", arg=a.key
        )
        idle(page)
        assert f"({a.size + b.size})" in page.text_content(
            f"#topic-tree li[data-key='{b.key}'] > .count"
        )
        assert b.label in node_text(page, b.key)  # b keeps its label
        pts = json.loads(urllib.request.urlopen(url + "/api/points", timeout=30).read())
        assert {pts["levels"][1][r] for r in rows_a} == {b.id}
        assert [e["op"] for e in fresh.topic_edits()] == ["merge"]


def test_a_refused_edit_says_why_in_the_page(fresh, open_page):
    field = fresh.landscape().tree.topics[0][1]
    with serve(fresh, edit=True) as url:
        page, _ = open_page(url)
        form = edit_form(page, field.key, field.label)
        page.fill(f"{form} input.edit-label", "   ")
        page.click(f"{form} button.edit-save")
        error = f"{form} .edit-error"
        page.wait_for_selector(error, state="visible")
        text = page.text_content(error) or ""
        assert text.startswith("Error: ") and "bad label" in text and "\n" not in text
        assert page.get_attribute(error, "role") == "alert"
        assert field.label in node_text(page, field.key) and fresh.topic_edits() == []


def test_a_paper_moves_to_another_topic_from_its_card(fresh, open_page):
    tree = fresh.landscape().tree
    paper = fresh.corpus[0]
    here = int(tree.levels[tree.default][0])
    there = next(t for t in tree.topics[tree.default] if t.id != here)
    with serve(fresh, edit=True) as url:
        page, _ = open_page(url, f"#paper={paper.id}")
        page.wait_for_selector("#paper-card #move-paper")
        offered = page.eval_on_selector_all(
            "#move-topic option", "os => os.map(o => o.value).filter(Boolean)"
        )
        assert str(there.id) in offered and str(here) not in offered  # its own topic left out
        page.select_option("#move-topic", value=str(there.id))
        page.click("#move-go")
        page.wait_for_function(
            "l => (document.querySelector('#paper-card .meta') || {}).textContent"
            "?.includes('topic: ' + l)",
            arg=there.label,
        )
        idle(page)
        pts = json.loads(urllib.request.urlopen(url + "/api/points", timeout=30).read())
        assert pts["levels"][tree.default][0] == there.id
        assert [e["op"] for e in fresh.topic_edits()] == ["move"]


def test_a_label_of_markup_is_shown_as_text(fresh, open_page):
    field = fresh.landscape().tree.topics[0][0]
    with serve(fresh, edit=True) as url:
        page, _ = open_page(url)
        form = edit_form(page, field.key, field.label)
        page.fill(f"{form} input.edit-label", XSS_IMG)
        page.click(f"{form} button.edit-save")
        page.wait_for_function(
            "([k, l]) => document.querySelector(`#topic-tree button.node[data-key='${k}']`)"
            ".textContent.includes(l)",
            arg=[field.key, XSS_IMG],
        )
        idle(page)
        assert page.evaluate("document.querySelectorAll('#explorer-app img').length") == 0
        # its edit button is named by it, as text, and its form shows it as the input's value
        form = edit_form(page, field.key, XSS_IMG)
        assert page.input_value(f"{form} input.edit-label") == XSS_IMG
        texts = page.evaluate(f"{MAP}.layout.annotations.map(a => a.text)")
        assert any("&lt;img" in t for t in texts) and not any("<img" in t for t in texts)
        assert page.evaluate("document.querySelectorAll('#explorer-app img').length") == 0


def test_without_edit_the_page_has_no_edit_button(fresh, open_page):
    with serve(fresh, edit=False) as url:
        assert get(url, "/api/info")["editable"] is False
        page, _ = open_page(url, f"#paper={fresh.corpus[0].id}")
        page.wait_for_selector("#paper-card")
        idle(page)
        assert page.locator("#topic-tree button.node").count() > 0
        assert page.locator("button.edit-topic").count() == 0
        assert page.locator("#move-paper, form.topic-edit").count() == 0


@pytest.fixture(scope="module")
def flat(tmp_path_factory) -> Explorer:
    """Every 9th paper of the synthetic corpus (140): a small corpus's map has one topic level
    (no fields, no finer topics), and its topic list is the legend."""
    folder = tmp_path_factory.mktemp("webeditflat")
    src = folder / "small.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in synthetic_papers()[::9]), "utf-8")
    ex = Explorer.build(src, name="small", root=folder / "cache", embedder=HashEmbedder())
    assert ex.landscape().tree.depth == 1 and len(ex.topics()) >= 2
    return ex


def test_a_map_of_one_level_edits_from_its_legend(flat, open_page):
    a, b = flat.topics()[:2]
    with serve(flat, edit=True) as url:
        page, _ = open_page(url)
        button = page.locator(f"#topic-list button.edit-topic[data-key='{a.id}']")
        assert button.get_attribute("aria-label") == f"Edit topic {a.label}"
        button.click()
        form = f"#topic-list form.topic-edit[data-key='{a.id}']"
        page.select_option(f"{form} select.edit-merge", value=str(b.id))
        page.click(f"{form} button.edit-save")
        page.wait_for_function(
            "k => !document.querySelector(`#topic-list li[data-topic='${k}']`)", arg=str(a.id)
        )
        idle(page)
        topics = {t["id"]: t for t in get(url, "/api/info")["topics"]}
        assert a.id not in topics and topics[b.id]["size"] == a.size + b.size
        names = page.evaluate(f"{MAP}.layout.annotations.map(a => a.name)")  # the map's labels
        assert f"topic {a.id}" not in names and f"topic {b.id}" in names
        assert f"{a.size + b.size} papers" in page.text_content(
            f"#topic-list li[data-topic='{b.id}']"
        )
    flat.undo_edit()
