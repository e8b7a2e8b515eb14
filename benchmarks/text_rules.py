"""What the shared text rules (stemming, stop and boilerplate words, sentences) do to quality.

    python benchmarks/text_rules.py [--queries 1000] [--out FILE.json]

On ../shared/data's 3,990-paper labelled subset, without the model (so it runs in a minute and
isolates the text rules from the vectors):

  BM25 related:  each of 1,000 seeded query papers' own text as a BM25 query, the paper itself
                 left out; relevant = same primary category. MAP@100 and nDCG@10.
  BM25 known item: the paper's title as the query; MRR of the paper itself (rank ≤ 100).
  labels:        the 10 categories taken as clusters, labelled by `label_clusters`; coverage =
                 share of a category's papers whose text holds a word of its label (stemmed),
                 exclusivity = share of the papers holding a label word that are in the category.
  hover:         how many first sentences (the map's hover) end inside "et al." / "e.g." /
                 an initial, i.e. were cut at a false sentence end.

Run it on two checkouts to compare rule sets (`PYTHONPATH=OTHER_CHECKOUT`): it imports the
modules from either layout, the flat one of before the stage packages or the packaged one.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
from _machine import SUBSET, describe

try:  # the stage packages
    from explorer.index.lexical import LexicalIndex, tokenize
    from explorer.maps import figure
    from explorer.maps.labels import label_clusters
except ImportError:  # the flat layout of before
    from explorer.labels import label_clusters  # type: ignore[no-redef]
    from explorer.lexical import LexicalIndex, tokenize  # type: ignore[no-redef]

    from explorer import maps as figure  # type: ignore[no-redef]

FALSE_END = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bFig|\bEq|\b[A-Z])\.$")


def average_precision(ranked: list[bool], n_rel: int) -> float:
    hits, total = 0, 0.0
    for i, r in enumerate(ranked, 1):
        if r:
            hits += 1
            total += hits / i
    return total / n_rel if n_rel else 0.0


def ndcg10(ranked: list[bool]) -> float:
    dcg = sum(1 / np.log2(i + 1) for i, r in enumerate(ranked[:10], 1) if r)
    ideal = sum(1 / np.log2(i + 1) for i in range(1, 11))
    return dcg / ideal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if not SUBSET.exists():
        sys.exit(f"{SUBSET} is absent: this benchmark needs ../shared/data")
    import explorer

    rows = [json.loads(line) for line in SUBSET.read_text("utf-8").splitlines() if line.strip()]
    texts = [f"{r['title']}. {r['abstract']}" for r in rows]
    cats = np.array([r["label"] for r in rows])
    print(f"machine: {describe()}\ncode: {Path(explorer.__file__).parent}")
    out: dict[str, object] = {}

    t = time.perf_counter()
    lex = LexicalIndex.build(texts, corpus_hash="bench")
    qs = sorted(random.Random(0).sample(range(len(rows)), args.queries))
    aps, nd, rr = [], [], []
    for q in qs:
        s = lex.scores(texts[q])
        s[q] = -np.inf
        top = np.argsort(-s, kind="stable")[:100]
        rel = [bool(cats[j] == cats[q]) for j in top]
        aps.append(average_precision(rel, min(100, int((cats == cats[q]).sum()) - 1)))
        nd.append(ndcg10(rel))
        s = lex.scores(rows[q]["title"])
        order = np.argsort(-s, kind="stable")[:100]
        where = np.flatnonzero(order == q)
        rr.append(1 / (where[0] + 1) if where.size else 0.0)
    out["bm25_related_map100"] = float(np.mean(aps))
    out["bm25_related_ndcg10"] = float(np.mean(nd))
    out["bm25_known_item_mrr"] = float(np.mean(rr))
    out["vocabulary"] = len(lex.vocab)
    print(
        f"BM25 related: MAP@100 {np.mean(aps):.4f}, nDCG@10 {np.mean(nd):.4f}; "
        f"known item MRR {np.mean(rr):.4f}; vocabulary {len(lex.vocab):,} terms "
        f"({time.perf_counter() - t:.0f} s)"
    )

    names = sorted(set(cats))
    labels = np.array([names.index(c) for c in cats])
    named = label_clusters(texts, labels)
    words = [set(tokenize(t)) for t in texts]
    cov, exc = [], []
    for c, label in sorted(named.items()):
        stems = {w for term in label.split(" · ") for w in tokenize(term)}
        holds = np.array([bool(stems & ws) for ws in words])
        mine = labels == c
        cov.append(holds[mine].mean())
        exc.append(holds[mine].sum() / max(1, holds.sum()))
        print(f"  {names[c]:8} {label}  (coverage {cov[-1]:.2f}, exclusivity {exc[-1]:.2f})")
    out["labels"] = {names[c]: label for c, label in named.items()}
    out["label_coverage"] = float(np.mean(cov))
    out["label_exclusivity"] = float(np.mean(exc))
    print(f"labels: coverage {np.mean(cov):.3f}, exclusivity {np.mean(exc):.3f} (means)")

    t = time.perf_counter()
    firsts = [figure.first_sentence(r["abstract"]) for r in rows]
    secs = time.perf_counter() - t
    false = sum(bool(FALSE_END.search(s)) for s in firsts)
    out["hover_false_ends"] = false
    print(f"hover: {false} of {len(rows)} first sentences end at a false stop ({secs:.2f} s)")
    if args.out:
        args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
