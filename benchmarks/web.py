"""The web page on a big corpus: first paint, a search, a 5,000-paper selection, memory.

    python benchmarks/web.py --work DIR [--runs 3] [--shots DIR]

Serves the 74,728-paper arXiv listing with `explorer.web.app.create_app` under a real uvicorn
and drives the page in Debian's headless Chromium (no GPU: WebGL runs on SwiftShader, the CPU).
The corpus is built with the tests' HashEmbedder at the model's 384 dimensions, as
benchmarks/sentence_latency.py does (the real model would take hours to embed its sentences on
2 cores): texts, BM25, the FAISS index, the map's UMAP, topics and labels are real, only the
vectors' values are not MiniLM's, which changes nothing the page does. Times are wall clock,
from the user's action to the page showing its answer:

  first paint:  page.goto → the app says it is ready (info, points, map and panels drawn);
  paper search: a paper's id in the box → its related papers listed (no model);
  text search:  a phrase → results listed (the hash embedder stands in for the model);
  selection:    a box drag over ~5,000 points → the table lists them all;
  memory:       the page's JS heap (CDP Performance.getMetrics) after all that, and the
                /api/points payload.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _machine import ARXIV, describe  # noqa: E402
from browser import ARGS, CHROMIUM  # noqa: E402
from fakes import HashEmbedder  # noqa: E402
from webapp import serving  # noqa: E402

from explorer import Explorer  # noqa: E402
from explorer.web.app import create_app  # noqa: E402

MAP = "document.getElementById('map')"
PIXEL = f"""([x, y]) => {{ const gd = {MAP}, L = gd._fullLayout, r = gd.getBoundingClientRect();
    return [r.left + L.margin.l + L.xaxis.l2p(x), r.top + L.margin.t + L.yaxis.l2p(y)]; }}"""


def box_of(xy: np.ndarray, want: int) -> tuple[float, float, float, float]:
    """A box round the densest region's median holding about `want` points."""
    cx, cy = np.median(xy, axis=0)
    lo, hi = 0.0, float(np.abs(xy - [cx, cy]).max())
    for _ in range(40):
        r = (lo + hi) / 2
        n = int(np.sum((np.abs(xy[:, 0] - cx) <= r) & (np.abs(xy[:, 1] - cy) <= r)))
        lo, hi = (r, hi) if n < want else (lo, r)
    return cx - hi, cx + hi, cy - hi, cy + hi


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument(
        "--corpus",
        default=None,
        help="a corpus built with the real model under $EXPLORER_CACHE (e.g. the listing's "
        "`explorer build papers.jsonl.gz --corpus arxiv74k`) instead of the hash-vector one",
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shots", type=Path)
    args = ap.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: nothing to measure", file=sys.stderr)
        return 0
    root = args.work / "cache"
    if args.corpus:
        from explorer.storage import cache_root

        root = cache_root()
    name = args.corpus or "arxivhash"
    try:
        ex = Explorer.open(name, root=root)
    except Exception:
        if args.corpus:  # a real corpus is built by the user, never here with hash vectors
            raise
        if not ARXIV.exists():
            print(f"{ARXIV} is missing: nothing to measure", file=sys.stderr)
            return 0
        ex = Explorer.build(
            ARXIV, name="arxivhash", root=root, embedder=HashEmbedder(dim=384), with_map=False
        )
    if not args.corpus:  # the real corpus answers free text with its own model
        ex._parts.embedder = HashEmbedder(dim=384)
    t = time.perf_counter()
    xy = np.asarray(ex.landscape().coords, dtype=np.float64)  # laid out once, then kept
    print(describe())
    print(f"{len(ex.corpus):,} papers; landscape ready in {time.perf_counter() - t:.0f}s")
    x0, x1, y0, y1 = box_of(xy, 5_000)
    inside = int(np.sum((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)))
    pid = ex.corpus[len(ex.corpus) // 2].id
    times: dict[str, list[float]] = {k: [] for k in ("paint", "paper", "text", "select")}
    heap: list[float] = []
    from playwright.sync_api import sync_playwright

    with serving(create_app(ex)) as url, sync_playwright() as p:
        import urllib.request

        with urllib.request.urlopen(url + "/api/points") as r:
            points_mb = len(r.read()) / 1e6
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        for run in range(args.runs):
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            t = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_selector("#explorer-app[data-ready=true]", timeout=300_000)
            times["paint"].append(time.perf_counter() - t)

            def answered(action: str, page: Any = page) -> float:
                t = time.perf_counter()
                page.click(action)
                page.wait_for_selector("#result-list li.hit", timeout=300_000)
                page.wait_for_function(
                    "() => document.getElementById('status').textContent === ''", timeout=300_000
                )
                return time.perf_counter() - t

            page.fill("#query", pid)
            times["paper"].append(answered("#go"))
            page.fill("#query", f"graph neural networks for molecules {run}")
            times["text"].append(answered("#go"))
            page.evaluate(f"Plotly.relayout({MAP}, {{dragmode: 'select'}})")
            a = page.evaluate(PIXEL, [x0, y1])
            b = page.evaluate(PIXEL, [x1, y0])
            page.mouse.move(*a)
            page.mouse.down()
            page.mouse.move((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, steps=3)
            page.mouse.move(*b, steps=3)
            t = time.perf_counter()
            page.mouse.up()
            page.wait_for_function(
                "n => document.querySelectorAll('#selection-table tbody tr').length >= n",
                arg=int(inside * 0.95),
                timeout=300_000,
            )
            times["select"].append(time.perf_counter() - t)
            rows = page.evaluate("document.querySelectorAll('#selection-table tbody tr').length")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            heap.append(metrics["JSHeapUsedSize"] / 1e6)
            if args.shots and run == 0:
                args.shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.shots / "web-74k.png"))
            page.close()
        browser.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"/api/points: {points_mb:.1f} MB; box of {inside:,} points listed {rows:,} rows")
    for k, label in (
        ("paint", "first paint (ready)"),
        ("paper", "search by paper id"),
        ("text", "search by text"),
        ("select", f"box select of {inside:,}"),
    ):
        runs = ", ".join(f"{x:.2f}" for x in times[k])
        print(f"{label:<26} median {med[k]:6.2f} s   ({runs})")
    print(f"JS heap after the run: median {statistics.median(heap):.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
