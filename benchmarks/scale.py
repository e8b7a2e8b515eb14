"""The whole arXiv corpus end to end: build, rebuild, growth, model-free commands, ANN recall, map.

    python benchmarks/scale.py [--data FILE] [--add 1000] [--work DIR] [--tiny] [--skip STEP…]

Steps, each a real `explorer` process timed with its peak memory (ru_maxrss; for builds also
the sum over the processes it runs at once, sampled):
  build     first build of the whole file in an empty cache (the exported int8 model is reused
            from EXPLORER_MODELS / cache/models: a one-off per machine, timed by backends.py)
  again     the same build once more: nothing changed
  fast      `explorer related <id>` and `explorer topics`: wall time, and whether torch loaded
  grow      the file minus its last --add papers built in a fresh cache that has never seen
            those papers, then `explorer build BASE NEW`: only NEW is embedded and placed
  ann       HNSW (explorer's parameters) against exact search on the built vectors: recall@10
            and latency, single queries and batches, 1,000 held-out queries
  browser   the built map.html in headless Chromium: load time, a real mouse hover
--tiny runs every step on the seed corpus (CI keeps the script working).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import ARXIV, ROOT, describe

EXPLORER = [sys.executable, "-m", "explorer"]
STEPS = ("build", "again", "fast", "grow", "ann", "browser")


# Each command runs under this wrapper: its only child, so RUSAGE_CHILDREN is that child's peak.
_WRAP = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter(); code = subprocess.call(sys.argv[1:])\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(f'@@ {wall:.4f} {rss:.1f}', file=sys.stderr); sys.exit(code)"
)


def _descendants_rss_mb(pid: int) -> float:
    """Resident memory of all the descendants of a process now, in MB (Linux /proc)."""

    def children(p: int) -> list[int]:
        return [
            int(c)
            for t in Path(f"/proc/{p}/task").iterdir()
            for c in (t / "children").read_text().split()
        ]

    total = 0.0
    try:
        todo = children(pid)
    except OSError:  # the process is gone
        return total
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024
            todo += children(p)
        except (OSError, AttributeError):  # gone meanwhile, or a zombie without VmRSS
            pass
    return total


def run(args: list[str], env: dict[str, str], label: str) -> tuple[float, float, str, str]:
    """Run a command: (wall seconds, peak RSS MB, stdout, stderr); exits on failure.

    The peak is the largest single process's (ru_maxrss); a build that works in two processes
    at once (BM25 beside the layout) also gets the sum over its processes, sampled every
    0.2 s, in the global TREE_PEAK."""
    global _RUNS, TREE_PEAK
    _RUNS += 1
    with (
        open(os.devnull, "rb") as nul,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as errf,
    ):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAP, *args], env=env, stdin=nul, stdout=out, stderr=errf
        )
        TREE_PEAK = 0.0
        while proc.poll() is None:
            TREE_PEAK = max(TREE_PEAK, _descendants_rss_mb(proc.pid))  # not the wrapper's
            time.sleep(0.2)
        out.seek(0), errf.seek(0)
        stdout, stderr = out.read().decode(), errf.read().decode()
    err, _, tail = stderr.rpartition("@@ ")
    if proc.returncode or not tail:
        sys.exit(f"{label} failed ({proc.returncode}):\n{stderr[-3000:]}")
    wall, rss = (float(v) for v in tail.split())
    if LOGS is not None:  # every step's own output, for the stage lines and for the record
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        (LOGS / f"{_RUNS:02d}-{name}.log").write_text(f"$ {' '.join(args)}\n{err}", "utf-8")
    return wall, rss, stdout, err


LOGS: Path | None = None
_RUNS = 0
TREE_PEAK = 0.0


def stage_lines(err: str) -> str:
    """The per-stage lines a build printed (`  embed: 512.3s (peak 1.9 GB)`), on one line."""
    err = err.replace("\r", "\n")  # the embedding bar ends its line with \r, not \n
    found = re.findall(r"^  (\w+)[^:\n]*: ([\d.]+)s(?: \(peak ([\d.]+) GB\))?$", err, flags=re.M)
    return ", ".join(f"{k} {float(v):.1f}s" + (f" ({p} GB)" if p else "") for k, v, p in found)


def summary_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if " papers" in ln and (";" in ln)]
    return lines[-1].strip() if lines else "?"


def write_jsonl(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(rows), encoding="utf-8")
    return path


def read_rows(src: Path) -> list[str]:
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt", encoding="utf-8") as f:
        return [ln if ln.endswith("\n") else ln + "\n" for ln in f if ln.strip()]


def seed_rows() -> list[str]:
    """The seed corpus as JSON Lines, so that --tiny runs the same steps as the real thing."""
    from explorer import read_corpus

    corpus = read_corpus(sorted((ROOT / "seeds").glob("*.txt"))[0], listing_year=2026)
    return [json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in corpus]


def forget(cache: Path, texts_of: list[dict]) -> int:
    """Delete these papers' vectors from every model's vector cache under `cache`."""
    from explorer.papers import Paper

    hashes = [Paper.from_dict(r).text_hash for r in texts_of]
    gone = 0
    for db_path in (cache / "vectors").glob("*.sqlite"):
        db = sqlite3.connect(db_path)
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            marks = ",".join("?" * len(part))
            cur = db.execute(f"DELETE FROM vectors WHERE hash IN ({marks})", part)
            gone += cur.rowcount
        db.commit()
        db.close()
    return gone


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ARXIV)
    ap.add_argument("--add", type=int, default=1000, help="papers added in the growth step")
    ap.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/explorer-scale"),
        help="scratch folder (emptied first)",
    )
    ap.add_argument("--tiny", action="store_true", help="the seed corpus, every step")
    ap.add_argument("--skip", nargs="*", default=[], choices=STEPS)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each fast command")
    args = ap.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    global LOGS
    LOGS = args.work / "logs"
    LOGS.mkdir()
    tiny = args.tiny or not args.data.exists()
    rows = seed_rows() if tiny else read_rows(args.data)
    add = min(args.add, 5) if tiny else args.add
    full = write_jsonl(args.work / "papers.jsonl", rows)
    models = os.environ.get("EXPLORER_MODELS") or str(ROOT / "cache" / "models")
    env = {**os.environ, "EXPLORER_MODELS": models, "PYTHONUNBUFFERED": "1"}
    cache_a = args.work / "cache"
    env_a = {**env, "EXPLORER_CACHE": str(cache_a)}
    print(f"machine: {describe()}; load {os.getloadavg()[0]:.2f} at start")
    print(f"data: {len(rows):,} papers from {'the seed corpus' if tiny else args.data}")
    source = full if tiny else args.data  # the file as the user has it (.gz included)
    build = [*EXPLORER, "build", str(source), "--corpus", "arxiv"]

    if "build" not in args.skip:
        wall, rss, out, err = run(build, env_a, "first build")
        print(
            f"first build: {wall:.1f}s wall, peak {rss:,.0f} MB (all processes together"
            f" {TREE_PEAK:,.0f} MB) | {stage_lines(err)}"
        )
        print(f"  {summary_line(err)}")
    if "again" not in args.skip:
        wall, rss, out, err = run(build, env_a, "second build")
        print(
            f"second build (nothing changed): {wall:.1f}s wall, peak {rss:,.0f} MB"
            f" | {summary_line(err)}"
        )

    if "fast" not in args.skip:
        first = json.loads(rows[len(rows) // 2])
        probe = (
            "import sys, runpy; sys.argv = ['explorer', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('explorer', run_name='__main__')\n"
            "except SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
            "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'openvino', 'umap')"
            " if m in sys.modules)\n"
            "print('HEAVY=' + ','.join(heavy), file=sys.stderr); sys.exit(code)"
        )
        pid = _paper_id(cache_a, first)
        for name, cmd in (
            ("related <id>", ["related", pid, "-c", "arxiv", "-k", "10"]),
            ("topics", ["topics", "-c", "arxiv"]),
        ):
            walls = []
            for _ in range(args.repeat):
                wall, rss, out, err = run([sys.executable, "-c", probe, *cmd], env_a, name)
                walls.append(wall)
            heavy = re.search(r"HEAVY=(.*)", err).group(1) or "none"  # type: ignore[union-attr]
            print(
                f"explorer {name}: median {statistics.median(walls):.2f}s wall "
                f"(min {min(walls):.2f}, max {max(walls):.2f}, {args.repeat} runs), "
                f"peak {rss:,.0f} MB, heavy modules loaded: {heavy}"
            )

    if "grow" not in args.skip:
        grow(args, rows, add, env, cache_a)
    if "ann" not in args.skip:
        ann(_committed(cache_a) / "vectors.npy")
    if "browser" not in args.skip:
        browser(cache_a / "arxiv" / "map.html", cache_a)


def _committed(cache: Path) -> Path:
    """The folder of the corpus's committed generation (what its manifest vouches for)."""
    from explorer.generations import read_manifest
    from explorer.storage import Layout

    layout = Layout(cache / "arxiv")
    return Layout.of(layout.root, read_manifest(layout)).folder


def _paper_id(cache: Path, row: dict) -> str:
    """The id explorer gave a row (readers may derive one): look it up in the built corpus."""
    ids = json.loads((_committed(cache) / "index" / "ids.json").read_text("utf-8"))
    want = str(row.get("id", ""))
    return want if want in ids else ids[len(ids) // 2]


def grow(
    args: argparse.Namespace, rows: list[str], add: int, env: dict[str, str], cache_a: Path
) -> None:
    """Build all but the last `add` papers in a cache that never saw those, then add them."""
    base = write_jsonl(args.work / "base.jsonl", rows[:-add])
    new = write_jsonl(args.work / "new.jsonl", rows[-add:])
    cache_b = args.work / "cache-grow"
    (cache_b / "vectors").mkdir(parents=True)
    for db in (cache_a / "vectors").glob("*.sqlite"):  # reuse the base's vectors, not the new ones'
        src = sqlite3.connect(db)
        dst = sqlite3.connect(cache_b / "vectors" / db.name)
        src.backup(dst)
        src.close()
        dst.close()
    gone = forget(cache_b, [json.loads(r) for r in rows[-add:]])
    env_b = {**env, "EXPLORER_CACHE": str(cache_b)}
    wall, rss, out, err = run(
        [*EXPLORER, "build", str(base), "--corpus", "arxiv"], env_b, "base build"
    )
    print(
        f"growth: base of {len(rows) - add:,} papers built in {wall:.1f}s "
        f"({gone} vectors of the new papers removed from its cache first)"
    )
    land = _committed(cache_b) / "landscape"
    coords0 = np.load(land / "coords.npy")
    topics0 = json.loads((land / "topics.json").read_text("utf-8"))["topics"]
    wall, rss, out, err = run(
        [*EXPLORER, "build", str(base), str(new), "--corpus", "arxiv"], env_b, "growth build"
    )
    land = _committed(cache_b) / "landscape"  # the growth build committed a new generation
    coords1 = np.load(land / "coords.npy")
    topics1 = json.loads((land / "topics.json").read_text("utf-8"))["topics"]
    moved = int((coords1[: len(coords0)] != coords0).any(axis=1).sum())
    same_labels = {t["id"]: t["label"] for t in topics0} == {t["id"]: t["label"] for t in topics1}
    print(
        f"growth: +{add:,} papers in {wall:.1f}s wall, peak {rss:,.0f} MB (all processes"
        f" {TREE_PEAK:,.0f} MB) | {stage_lines(err)}"
    )
    print(f"  {summary_line(err)}; old points moved: {moved}; topic labels kept: {same_labels}")


def ann(vectors_path: Path, n_queries: int = 1000) -> None:
    """Recall@10 of explorer's HNSW settings against exact search, and query latency."""
    import faiss

    from explorer.index.vectors import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

    x = np.ascontiguousarray(np.load(vectors_path), dtype=np.float32)
    rng = np.random.default_rng(0)
    nq = min(n_queries, max(1, len(x) // 10))
    held = rng.choice(len(x), nq, replace=False)
    mask = np.ones(len(x), bool)
    mask[held] = False
    base, queries = x[mask], x[held]
    k = min(10, len(base))
    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(base)
    _, truth = flat.search(queries, k)
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(base.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.add(base)
    built = time.perf_counter() - t0
    print(
        f"ann: {len(base):,} vectors, {nq} held-out queries, k={k}; HNSW M={HNSW_M} "
        f"efConstruction={HNSW_EF_CONSTRUCTION} built in {built:.1f}s "
        f"({faiss.omp_get_max_threads()} threads)"
    )

    def latency(index: faiss.Index) -> tuple[float, float, float]:
        single = []
        for q in queries:
            t = time.perf_counter()
            index.search(q[None, :], k)
            single.append(time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(0, nq, 64):
            index.search(queries[i : i + 64], k)
        per_query_batched = (time.perf_counter() - t) / nq
        return (
            float(np.median(single)) * 1e3,
            float(np.percentile(single, 95)) * 1e3,
            per_query_batched * 1e3,
        )

    med, p95, bat = latency(flat)
    print(
        f"  exact (IndexFlatIP): single query median {med:.2f} ms, p95 {p95:.2f} ms; "
        f"batches of 64: {bat:.3f} ms per query"
    )
    for ef in sorted({16, 32, 64, HNSW_EF_SEARCH, 256}):
        hnsw.hnsw.efSearch = ef
        _, got = hnsw.search(queries, k)
        recall = np.mean([len(set(g) & set(t)) / k for g, t in zip(got, truth, strict=True)])
        med, p95, bat = latency(hnsw)
        mark = "  <- explorer's efSearch" if ef == HNSW_EF_SEARCH else ""
        print(
            f"  HNSW efSearch={ef:>3}: recall@10 {recall:.4f}; single median {med:.2f} ms, "
            f"p95 {p95:.2f} ms; batches of 64: {bat:.3f} ms per query{mark}"
        )


def browser(map_html: Path, cache: Path) -> None:
    """Open the map in headless Chromium (offline), time it, hover a real point."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import CHROMIUM, hover_text_of, open_page

    if not CHROMIUM.exists():
        print("browser: skipped (no /usr/bin/chromium)")
        return
    ids = json.loads((_committed(cache) / "index" / "ids.json").read_text("utf-8"))
    papers = {}
    for line in (_committed(cache) / "papers.jsonl").open(encoding="utf-8"):
        d = json.loads(line)
        papers[d["id"]] = d["title"]
    t0 = time.perf_counter()
    with open_page(map_html, timeout_ms=180_000) as (page, log):
        loaded = time.perf_counter() - t0
        points = page.evaluate(
            "() => document.querySelector('.js-plotly-plot').data"
            ".reduce((s, t) => s + (t.customdata ? t.customdata.length : 0), 0)"
        )
        hits = 0
        tries = ids[:: max(1, len(ids) // 5)][:5]
        for pid in tries:
            t = time.perf_counter()
            text = hover_text_of(page, pid)
            hover_ms = (time.perf_counter() - t) * 1e3
            hits += any(title[:40] in text for title in [papers[pid]])
        errors = log.console_errors + log.page_errors
    size = map_html.stat().st_size / 2**20
    print(
        f"browser: {map_html.name} {size:.1f} MB, {points:,} points, rendered in {loaded:.1f}s; "
        f"hover label shown for {len(tries)}/{len(tries)} points, naming the hovered paper in "
        f"{hits} (others: an overlapping neighbour), last hover {hover_ms:.0f} ms; "
        f"errors: {len(errors)}, blocked requests: {len(log.blocked)}"
    )


if __name__ == "__main__":
    main()
