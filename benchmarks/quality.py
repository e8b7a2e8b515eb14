"""Ranking quality of explorer's modes on real arXiv data: the numbers in docs/quality.md.

    python benchmarks/quality.py [--data subset-10cats.jsonl] [--root CACHE] [--queries 1000]

Builds (or reuses, from its vector cache) the corpus, then measures, with `label` (the primary
category) as the relevance proxy and 1,000 seeded query papers:

  A. related: a paper as the query (what `explorer related ID` does), same category relevant;
  B. search: the paper's *title* as free text, the paper itself left out, same category relevant;
  C. known item: the title as free text, the paper itself the one relevant result;
  D. several examples: 3 papers of one category as positives (Rocchio) vs the first alone;
  E. a negative example: the nearest paper of another category, at several Rocchio γ.

Every mode / fusion is compared with dense on the same queries: Δ and the standard error of
the paired per-query differences, so that a gap smaller than ~2 SE reads as a tie.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from explorer import Explorer
from explorer.search import ranking
from explorer.search.metrics import average_precision, ndcg_at_k, precision_at_k, reciprocal_rank
from explorer.search.query import Query, make_query, rank_rows

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "arxiv-cs-2025"
    / "subset-10cats.jsonl"
)
CONFIGS: list[tuple[str, str, dict]] = [
    ("dense", "dense", {}),
    ("lexical", "lexical", {}),
    ("hybrid RRF", "hybrid", {"fusion": "rrf"}),
    ("hybrid w=0.5", "hybrid", {"fusion": "weighted", "weight": 0.5}),
    ("hybrid w=0.7", "hybrid", {"fusion": "weighted", "weight": 0.7}),
    ("hybrid w=0.8", "hybrid", {"fusion": "weighted", "weight": 0.8}),
    ("dense+MMR 0.7", "dense", {"diverse": 0.7}),
    ("hybrid RRF+MMR 0.7", "hybrid", {"fusion": "rrf", "diverse": 0.7}),
]


def topical(rows: np.ndarray, labels: np.ndarray, row: int, n_rel: int, k: int = 10) -> list[float]:
    g = (labels[rows] == labels[row]).astype(float)
    return [
        precision_at_k(g, k),
        ndcg_at_k(g, np.ones(n_rel), k),
        reciprocal_rank(g),
        average_precision(g, n_rel),
    ]


def table(title: str, cols: list[str], results: dict[str, np.ndarray], ms: dict[str, float]) -> str:
    """Markdown: mean of each metric, and Δ vs dense ± SE of the paired differences."""
    base = results["dense"]
    lines = [
        f"**{title}**",
        "",
        "| mode | " + " | ".join(cols) + " | Δ vs dense (first metric) | ms/query |",
        "|---|" + "---:|" * (len(cols) + 2),
    ]
    for name, per_query in results.items():
        diff = per_query[:, 0] - base[:, 0]
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
        delta = "—" if name == "dense" else f"{diff.mean():+.4f} ± {se:.4f}"
        means = " | ".join(f"{m:.4f}" for m in per_query.mean(axis=0))
        lines.append(
            f"| {name} | {means} | {delta} | {'—' if np.isnan(ms[name]) else f'{ms[name]:.1f}'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--label", default="label")
    ap.add_argument("--root", type=Path, default=Path(os.environ.get("EXPLORER_CACHE") or "cache"))
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    ex = Explorer.build(args.data, name="subset10", root=args.root)
    assert ex.report is not None
    print(f"<!-- {ex.report.summary()} -->")
    corpus, vectors, lex = ex.corpus, np.asarray(ex.vectors, np.float32), ex._parts.lexical
    labels = np.array([dict(p.extra).get(args.label) or "" for p in corpus])
    n_rel = {lab: int((labels == lab).sum()) - 1 for lab in set(labels)}
    rng = np.random.default_rng(args.seed)
    qs = [
        int(i)
        for i in sorted(rng.choice(len(corpus), min(args.queries, len(corpus)), replace=False))
    ]
    title_vecs = ex.embed([corpus[r].title for r in qs])
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; "
        f"{len(corpus)} papers, {len(qs)} query papers (seed {args.seed})\n"
    )

    res = {s: {} for s in "ABC"}
    ms = {s: {} for s in "ABC"}
    for name, mode, opts in CONFIGS:
        per = {s: [] for s in "ABC"}
        t = {s: 0.0 for s in "ABC"}
        for qi, row in enumerate(qs):
            t0 = time.perf_counter()
            q = make_query(vectors, lex, corpus, positives=[row])
            _, rows = rank_rows(ex.index, vectors, lex, q, 100, mode=mode, **opts)
            t["A"] += time.perf_counter() - t0
            per["A"].append(topical(rows, labels, row, n_rel[labels[row]]))
            tq = make_query(
                vectors, lex, corpus, pos_vectors=title_vecs[qi], pos_texts=[corpus[row].title]
            )
            t0 = time.perf_counter()
            _, rows = rank_rows(
                ex.index, vectors, lex, Query(tq.dense, tq.lexical, (row,)), 100, mode=mode, **opts
            )
            t["B"] += time.perf_counter() - t0
            per["B"].append(topical(rows, labels, row, n_rel[labels[row]]))
            t0 = time.perf_counter()
            _, rows = rank_rows(ex.index, vectors, lex, tq, 10, mode=mode, **opts)
            t["C"] += time.perf_counter() - t0
            hit = np.flatnonzero(rows == row)
            per["C"].append(
                [
                    1.0 / (hit[0] + 1) if hit.size else 0.0,
                    float(hit.size > 0),
                    float(hit.size > 0 and hit[0] == 0),
                ]
            )
        for s in "ABC":
            res[s][name] = np.array(per[s])
            ms[s][name] = 1000 * t[s] / len(qs)

    cols = ["P@10", "nDCG@10", "MRR", "MAP@100"]
    print(
        table(
            "A. related: a paper as the query; relevant = same primary category",
            cols,
            res["A"],
            ms["A"],
        )
    )
    print(
        table(
            "B. search: the title as the query (paper left out); relevant = same category",
            cols,
            res["B"],
            ms["B"],
        )
    )
    print(
        table(
            "C. known item: the title as the query; relevant = that paper",
            ["MRR@10", "found@10", "found@1"],
            res["C"],
            ms["C"],
        )
    )

    # D. several examples: Rocchio over 3 same-category papers vs the first of them alone.
    per = {"dense": [], "3 examples (Rocchio)": []}
    for row in qs[:300]:
        same = np.flatnonzero(labels == labels[row])
        others = rng.choice(same[same != row], 2, replace=False).tolist()
        for name, pos in (("dense", [row]), ("3 examples (Rocchio)", [row, *others])):
            q = make_query(vectors, None, corpus, positives=pos)
            q = Query(q.dense, None, (row, *others))  # the same papers left out for both
            _, rows = rank_rows(ex.index, vectors, None, q, 100, mode="dense")
            per[name].append(topical(rows, labels, row, n_rel[labels[row]] - 2))
    print(
        table(
            "D. several examples (dense, 300 query sets; 'dense' = the first example alone)",
            cols,
            {k: np.array(v) for k, v in per.items()},
            {k: float("nan") for k in per},
        )
    )

    # E. a negative example: the most similar paper of *another* category (the confusable one),
    # for several Rocchio γ; γ = 0 ('dense') ignores it.
    per = {g: [] for g in (0.0, 0.15, 0.25, 0.5)}
    for row in qs:
        sims = vectors @ vectors[row]
        other = np.flatnonzero(labels != labels[row])
        neg = int(other[np.argmax(sims[other])])
        for g in per:
            qv = ranking.rocchio(vectors[[row]], vectors[[neg]], gamma=g) if g else vectors[row]
            _, rows = rank_rows(
                ex.index, vectors, None, Query(qv, None, (row, neg)), 100, mode="dense"
            )
            per[g].append(topical(rows, labels, row, n_rel[labels[row]]))
    eres = {("dense" if g == 0 else f"negative, γ={g}"): np.array(v) for g, v in per.items()}
    print(
        table(
            "E. one positive and one confusable negative (dense)",
            cols,
            eres,
            {k: float("nan") for k in eres},
        )
    )

    t0 = time.perf_counter()
    report = ex.evaluate(label=args.label, queries=args.queries, seed=args.seed)
    print(
        f"`explorer eval --corpus subset10 --label {args.label}` "
        f"({time.perf_counter() - t0:.0f}s):\n"
    )
    print("```\n" + report.table() + "\n```")


if __name__ == "__main__":
    main()
