"""The widget in a real JupyterLab in headless Chromium: a cell shows it, a box dragged on its map
selects papers that the kernel then reads as `w.selection`, and `select`/`highlight` from Python
show in the page. Offline: every request that is not to the local server is aborted."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser import ARGS, CHROMIUM  # tests/browser.py
from fakes import HashEmbedder  # tests/fakes.py
from webapp import free_port  # tests/webapp.py

from explorer import Explorer

pytest.importorskip("anywidget")
pytest.importorskip("playwright")
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path("/tmp/explorer-scratch")
TESTS = str(Path(__file__).resolve().parent)
W = ".explorer-widget"
MAP = f"document.querySelector('{W} #map')"
CELLS = [
    "import sys\nfrom pathlib import Path\nsys.path.insert(0, {tests!r})\n"
    "from fakes import HashEmbedder\nfrom explorer import Explorer\n"
    "from explorer.web.widget import ExplorerWidget\n"
    "ex = Explorer.build(root=Path({root!r}), embedder=HashEmbedder())  # reused, as built\n"
    "w = ExplorerWidget(ex, height=640)\nw",
    "import json; print('IDS=' + json.dumps(sorted(w.selected_ids)))",
    "picked = [p.id for p in ex.corpus][:3]\nw.select(picked)",
    "hits = ex.related(picked[0], k=5)\nw.highlight(hits, note='from python')",
    "w.height = 500",
]


@pytest.fixture(scope="module", params=["jupyterlab", "notebook"])
def lab(request, tmp_path_factory):
    """A built seed corpus, a notebook that opens it, and JupyterLab (or Notebook 7) serving them
    on a free port."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package")
    kind = request.param
    pytest.importorskip(kind)
    folder = tmp_path_factory.mktemp(kind)
    root = folder / "cache"
    ex = Explorer.build(root=root, embedder=HashEmbedder())  # the kernel's cell reuses it
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c.format(root=str(root), tests=TESTS)) for c in CELLS],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbformat.write(nb, folder / "widget.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, EXPLORER_CACHE=str(root), JUPYTER_CONFIG_DIR=str(folder / "cfg"))
    env["JUPYTER_RUNTIME_DIR"] = str(folder / "run")
    args = [sys.executable, "-m", kind, "--no-browser", f"--port={port}", "--allow-root"]
    args += [f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1"]
    args += [f"--ServerApp.root_dir={folder}"]
    if kind == "jupyterlab":  # window.jupyterapp: run a cell by command
        args += ["--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly"]
        args += [
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        path = "lab/tree/widget.ipynb"
    else:
        args += ["--JupyterNotebookApp.expose_app_in_browser=True"]
        path = "notebooks/widget.ipynb"
    log = (folder / "lab.log").open("w")
    proc = subprocess.Popen(args, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"{kind} did not start: " + (folder / "lab.log").read_text())
                time.sleep(0.5)
        yield ex, f"{url}/{path}?token={token}", url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    ex, address, base = lab
    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})

            def route(r: Any) -> None:
                if r.request.url.startswith((base, "blob:", "data:")):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            pg.route("**/*", route)
            pg.on("pageerror", lambda e: errors.append(f"{e}\n{e.stack}"))
            pg.goto(address)
            pg.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            pg.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
            )
            yield pg, blocked, errors
        finally:
            browser.close()


def run_cell(page: Any, n: int) -> str:
    """Run cell n (0-based) once the kernel is ready, wait for its result; its output's text."""
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget")
    page.evaluate(
        """async n => { const app = window.jupyterapp, panel = app.shell.currentWidget;
        await panel.sessionContext.ready;
        panel.content.activeCellIndex = n;
        await app.commands.execute('notebook:run-cell'); }""",
        n,
    )
    cell = page.locator(".jp-Notebook .jp-Cell").nth(n)
    page.wait_for_function(
        "el => /\\[\\d+\\]/.test(el.textContent)",
        arg=cell.locator(".jp-InputArea-prompt").element_handle(),
        timeout=120_000,
    )
    return cell.locator(".jp-OutputArea").inner_text()


def show_widget(page: Any) -> None:
    if not page.query_selector(f"{W}[data-ready='true']"):
        run_cell(page, 0)
        page.wait_for_selector(f"{W}[data-ready='true']", timeout=120_000)


def ours(errors: list[str]) -> list[str]:
    """The page errors the widget caused: its modules run from blob: URLs, via anywidget. (Notebook
    7.6's own start-up throws "reading 'schema'" from its core bundle here, widget or not.)"""
    return [e for e in errors if "blob:" in e or "anywidget" in e or "/static/lab/" in e]


def rows(page: Any, what: str) -> list[str]:
    return page.eval_on_selector_all(what, "r => r.map(e => e.dataset.id)")


def test_a_box_on_the_widgets_map_is_the_kernels_selection(page, lab):
    pg, blocked, errors = page
    show_widget(pg)
    assert pg.eval_on_selector(f"{W} h1", "e => e.textContent").startswith("explorer: seeds")
    n = pg.evaluate(f"{MAP}.data[0].x.length")
    assert n == 41
    # a box over the middle of the map (its pixel corners read from the plot's own axes)
    corners = pg.evaluate(
        f"""() => {{ const gd = {MAP}, L = gd._fullLayout, r = gd.getBoundingClientRect();
        const [x0, x1] = L.xaxis.range, [y0, y1] = L.yaxis.range;
        const px = x => r.left + L.margin.l + L.xaxis.l2p(x);
        const py = y => r.top + L.margin.t + L.yaxis.l2p(y);
        return [px(x0 + (x1 - x0) * 0.2), py(y1 - (y1 - y0) * 0.15), px(x0 + (x1 - x0) * 0.8),
                py(y0 + (y1 - y0) * 0.15)]; }}"""
    )
    pg.evaluate(f"Plotly.relayout({MAP}, {{dragmode: 'select'}})")
    pg.mouse.move(corners[0], corners[1])
    pg.mouse.down()
    pg.mouse.move((corners[0] + corners[2]) / 2, (corners[1] + corners[3]) / 2, steps=5)
    pg.mouse.move(corners[2], corners[3], steps=5)
    pg.mouse.up()
    pg.wait_for_selector(f"{W} #selection-table tbody tr")
    shown = rows(pg, f"{W} #selection-table tbody tr")
    assert 0 < len(shown) < 41
    time.sleep(1.0)  # the widget reports its state a moment after the page changes
    out = run_cell(pg, 1)
    line = next(x for x in out.splitlines() if x.startswith("IDS="))
    assert json.loads(line[4:]) == sorted(shown)
    pg.screenshot(path=str(SHOTS / f"widget-selection-{lab[1].split('/')[3]}.png"))
    with pg.expect_download() as d:  # the export: text from the kernel, a Blob download here
        pg.click(f"{W} #export-csv")
    assert d.value.suggested_filename == f"explorer-seeds-selection-{len(shown)}.csv"
    rows_csv = list(csv.DictReader(io.StringIO(Path(d.value.path()).read_text("utf-8"))))
    assert sorted(r["id"] for r in rows_csv) == sorted(shown)
    assert not ours(errors) and not blocked, (errors, blocked)


def test_select_and_highlight_from_python_show_in_the_page(page, lab):
    pg, blocked, errors = page
    ex = lab[0]
    picked = list(ex.corpus.ids[:3])
    show_widget(pg)
    run_cell(pg, 2)
    pg.wait_for_function(
        f"() => document.querySelectorAll('{W} #selection-table tbody tr').length === 3"
    )
    assert sorted(rows(pg, f"{W} #selection-table tbody tr")) == sorted(picked)
    chosen = pg.evaluate(f"Array.from({MAP}.data[0].selectedpoints || [])")
    assert sorted(chosen) == [0, 1, 2]
    run_cell(pg, 3)
    want = [h.paper.id for h in ex.related(picked[0], k=5)]
    pg.wait_for_function(
        f"() => document.querySelectorAll('{W} #result-list li.hit').length === {len(want)}"
    )
    assert rows(pg, f"{W} #result-list li.hit") == want
    assert pg.evaluate(f"Array.from({MAP}.data[1].customdata)") == want
    assert "from python" in pg.inner_text(f"{W} #results")
    pg.locator(f"{W} #result-list li.hit button.title").first.click()  # opens the card
    pg.wait_for_selector(f"{W} #paper-card[data-id='{want[0]}'] #card-related li.hit")
    pg.screenshot(path=str(SHOTS / f"widget-highlight-{lab[1].split('/')[3]}.png"))
    run_cell(pg, 4)
    pg.wait_for_function(f"() => document.querySelector('{W}').offsetHeight <= 502")
    assert not ours(errors) and not blocked, (errors, blocked)
