"""A library against the listing: an author's earlier papers as the library, later ones to find.

    EXPLORER_CACHE=DIR python benchmarks/library_recall.py --corpus arxiv74k [--authors 200]

On a built corpus of the 74,728-paper arXiv listing (real model): authors with at least 6 papers
(by exact name), 200 of them drawn with seed 0. Each author's papers, by date (then id): the
earlier half is the library, the later half is held out. Every variant ranks the whole corpus
less the library (`Explorer.related`, the default mode unless --mode), top 50:

- the library as one query, its papers combined by mean, max and blend (`--combine`);
- per-paper queries merged: each library paper alone (top 100), the lists fused by reciprocal
  rank (1 / (60 + rank), summed), the best 50 kept.

Reported: recall@50 of the held-out papers (per author, then averaged), with each variant's
paired difference to blend (mean ± standard error over authors). Names are ambiguous (two
people called "Wei Zhang" are one "author" here): that lowers every variant alike.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict

import numpy as np

from explorer import Explorer

K = 50
RRF = 60
PER_PAPER = 100


def sem(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / np.sqrt(len(x)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="arxiv74k")
    ap.add_argument("--authors", type=int, default=200)
    ap.add_argument("--min-papers", type=int, default=6)
    ap.add_argument("--mode", default=None)
    args = ap.parse_args()

    ex = Explorer.open(args.corpus).load()
    papers = list(ex.corpus)
    count = Counter(a for p in papers for a in set(p.authors))
    eligible = sorted(a for a, n in count.items() if n >= args.min_papers)
    rng = np.random.default_rng(0)
    picked = [eligible[i] for i in rng.choice(len(eligible), args.authors, replace=False)]
    mine: dict[str, list[int]] = defaultdict(list)
    wanted = set(picked)
    for row, p in enumerate(papers):
        for a in set(p.authors) & wanted:
            mine[a].append(row)
    print(
        f"{args.corpus}: {len(papers):,} papers; {len(eligible):,} authors with ≥ "
        f"{args.min_papers} papers; {len(picked)} drawn (seed 0); "
        f"mode {args.mode or ex.default_mode}"
    )
    res: dict[str, list[float]] = defaultdict(list)
    secs: dict[str, float] = defaultdict(float)
    sizes = []
    for a in picked:
        rows = sorted(mine[a], key=lambda r: (papers[r].date or "", papers[r].id))
        half = len(rows) // 2
        lib, held = rows[:half], set(rows[half:])
        sizes.append((len(lib), len(held)))
        lib_ids = [papers[r].id for r in lib]
        for combine in ("mean", "max", "blend"):
            t = time.perf_counter()
            hits = ex.related(*lib_ids, k=K, mode=args.mode, combine=combine)
            secs[combine] += time.perf_counter() - t
            found = {ex.corpus.position(h.paper.id) for h in hits}
            res[combine].append(len(found & held) / len(held))
        t = time.perf_counter()
        fused: dict[int, float] = defaultdict(float)
        for i in lib_ids:
            for h in ex.related(i, k=PER_PAPER, mode=args.mode):
                row = ex.corpus.position(h.paper.id)
                if row not in lib:
                    fused[row] += 1 / (RRF + h.rank)
        best = sorted(fused, key=lambda r: (-fused[r], r))[:K]
        secs["per-paper"] += time.perf_counter() - t
        res["per-paper"].append(len(set(best) & held) / len(held))
    lib_n, held_n = np.array(sizes).T
    print(
        f"library sizes {lib_n.min()}-{lib_n.max()} (median {np.median(lib_n):.0f}), held out "
        f"{held_n.min()}-{held_n.max()} (median {np.median(held_n):.0f})\n"
    )
    print("| the library as | recall@50 | − blend, paired | ms per author |\n|---|---|---|---|")
    base = np.array(res["blend"])
    names = {
        "mean": "one query, mean (Rocchio)",
        "max": "one query, max over its papers",
        "blend": "one query, blend (the default)",
        "per-paper": "per-paper queries, fused by RRF",
    }
    for key, name in names.items():
        v = np.array(res[key])
        d = "" if key == "blend" else f"{(v - base).mean():+.3f} ± {sem(v - base):.3f}"
        ms = 1000 * secs[key] / len(picked)
        print(f"| {name} | {v.mean():.3f} ± {sem(v):.3f} | {d} | {ms:.0f} |")


if __name__ == "__main__":
    main()
