"""A headless Chromium that opens a local page offline and records everything it tried to do.

Used by the browser tests (and handy from a scratch script to screenshot a map). Any request
that is not a file:// URL is aborted and recorded, so a test can assert the page is offline.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class PageLog:
    """What the page did besides rendering: failures here mean a broken or unsafe page."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # non-file requests, all aborted


def record(page: Any, log: PageLog, allowed: str) -> None:
    """Log into `log` what `page` does besides rendering: console errors, page errors, dialogs
    (dismissed), and every request whose URL does not start with `allowed` (aborted)."""

    def route(r: Any) -> None:
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            log.blocked.append(r.request.url)
            r.abort()

    def dialog(d: Any) -> None:
        log.dialogs.append(d.message)
        d.dismiss()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and log.console_errors.append(m.text))
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    page.on("dialog", dialog)


@contextlib.contextmanager
def open_page(
    path: Path, width: int = 1280, height: int = 900, timeout_ms: int = 30_000
) -> Iterator[tuple[Any, PageLog]]:
    """Open `path` in headless Chromium; yields (playwright page, PageLog) with the page loaded."""
    from playwright.sync_api import sync_playwright

    log = PageLog()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            record(page, log, "file://")
            page.goto(path.resolve().as_uri())
            # Plotly draws asynchronously: wait until the graph div has its data and a plot.
            page.wait_for_function(
                "() => { const gd = document.querySelector('.js-plotly-plot');"
                " return gd && gd.data && gd._fullLayout && gd.querySelector('.main-svg'); }",
                timeout=timeout_ms,
            )
            yield page, log
        finally:
            browser.close()


def hover_text_of(page, paper_id: str) -> str:
    """Hover the point of `paper_id` with the real mouse and return the hover label's text.

    The axes are first zoomed round the point so that no other point lies within a third of
    the way to its nearest neighbour: on another processor's layout two dots may sit a pixel
    apart, and hovering the pair shows either (the page is not what such a test checks).
    """
    page.evaluate(
        """async id => {
        const gd = document.querySelector('.js-plotly-plot');
        const pts = gd.data.flatMap((t, c) => t.customdata ? Array.from(t.customdata,
            (d, i) => [d, gd._fullData[c].x[i], gd._fullData[c].y[i]]) : []);
        const [, x, y] = pts.find(q => q[0] === id);
        const near = Math.min(...pts.filter(q => q[0] !== id)
            .map(q => Math.max(Math.abs(q[1] - x), Math.abs(q[2] - y))));
        const h = Number.isFinite(near) && near > 0 ? near / 3 : 1;
        await Plotly.relayout(gd, {'xaxis.range': [x - h, x + h], 'yaxis.range': [y - h, y + h]});
    }""",
        paper_id,
    )
    pos = page.evaluate(
        """id => {
        const gd = document.querySelector('.js-plotly-plot');
        const c = gd.data.findIndex(t => t.customdata && Array.from(t.customdata).includes(id));
        const p = Array.from(gd.data[c].customdata).indexOf(id);
        const fd = gd._fullData[c], L = gd._fullLayout, r = gd.getBoundingClientRect();
        return [r.left + L.margin.l + L.xaxis.l2p(fd.x[p]),
                r.top + L.margin.t + L.yaxis.l2p(fd.y[p])];
    }""",
        paper_id,
    )
    page.mouse.move(2, 2)  # off the plot: the previous hover label goes away first
    page.wait_for_function("() => !document.querySelector('.hoverlayer .hovertext')")
    page.mouse.move(pos[0], pos[1], steps=4)
    page.wait_for_selector(".hoverlayer .hovertext", timeout=5_000)
    text = page.locator(".hoverlayer").text_content() or ""
    page.evaluate("""() => Plotly.relayout(document.querySelector('.js-plotly-plot'),
        {'xaxis.autorange': true, 'yaxis.autorange': true})""")
    return text


@pytest.fixture(scope="module", name="server")
def page_server(ex: Any) -> Iterator[str]:
    """The web app over the test module's `ex` fixture, served on loopback; skips without
    Debian's chromium. A module imports it (with `page_browser`) to use both fixtures."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package")
    from webapp import serving  # tests/webapp.py

    from explorer.web.app import create_app

    with serving(create_app(ex)) as url:
        yield url


@pytest.fixture(scope="module", name="browser")
def page_browser(server: str) -> Iterator[Any]:
    """Headless Debian chromium, driven by Playwright, for the module's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()
