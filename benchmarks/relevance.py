"""Relevance on expert judgements and on arXiv: the numbers behind the default ranking.

    python benchmarks/relevance.py [--root CACHE] [--part csfcube,arxiv,authors,long]

  csfcube  CSFCube-dev (17 query-facet pairs, expert grades 0-3), its own protocol (MAP, grade
           ≥ 2 relevant; NDCG%20): every mode, and the sentence mode's fusion weights chosen by
           leave-one-query-paper-out cross-validation (the 3 facets of a paper stay together),
           with the per-fold spread and the weights each fold chose;
  arxiv    the 3,990-paper labelled subset: a paper as the query (same primary category
           relevant: P@10, MAP@100) and its title as free text (known item: found@1, MRR@10),
           for the same candidates, so that a gain on experts is not paid for here;
  authors  several examples: for authors with ≥ 5 papers in the 74,728-paper listing, all their
           papers but one as the examples, the held-out one to find (recall@10, MRR@100), by
           Rocchio (the mean) and by max-over-examples;
  long     long abstracts: on csfcube, ranking by the whole-text vector (cut at the model's 256
           tokens) vs the mean of the sentence vectors (which see the whole abstract).

Builds (or reuses, from the vector cache under --root) each corpus with the default backend.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from explorer import Explorer
from explorer.search import query as Q
from explorer.search.judgements import read_judgements
from explorer.search.metrics import ndcg_share, pool_average_precision
from explorer.search.query import make_query, rank_rows

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GRID = [(a / 10, b / 10, round(1 - a / 10 - b / 10, 1)) for a in range(11) for b in range(11 - a)]


def sem(x: np.ndarray) -> float:
    """Standard error of a mean of paired differences."""
    return float(np.std(x, ddof=1) / np.sqrt(len(x)))


def corpus(path: Path, name: str, root: Path) -> Explorer:
    try:
        return Explorer.open(name, root=root)
    except Exception:
        return Explorer.build(path, name=name, root=root, with_map=False)


def csfcube(root: Path) -> None:
    d = DATA / "csfcube-dev"
    ex = corpus(d / "papers.jsonl", "csfcube", root)
    j = read_judgements(d / "qrels.tsv", ex.corpus)
    vectors, lex, store = np.asarray(ex.vectors, np.float32), ex._parts.lexical, ex._parts.sentences
    pairs = sorted(j.pools)

    def run(mode: str, weights: tuple[float, float, float] | None = None) -> dict:
        if weights is not None:
            Q.ALIGN_WEIGHTS = weights
        out = {}
        for q, facet in pairs:
            pool = j.pools[(q, facet)]
            rows = [ex.corpus.position(p) for p in pool]
            grade = np.zeros(len(ex.corpus))
            grade[rows] = list(pool.values())
            allowed = np.zeros(len(ex.corpus), bool)
            allowed[rows] = True
            qu = make_query(
                vectors, lex, ex.corpus, positives=[ex.corpus.position(q)], sentences=store
            )
            _, ranked = rank_rows(
                ex.index, vectors, lex, qu, len(rows), mode=mode, allowed=allowed, sentences=store
            )
            g = grade[ranked]
            out[(q, facet)] = (pool_average_precision(g, 2), ndcg_share(g))
        return out

    print("### CSFCube-dev: every mode (whole abstract as the query)\n")
    print("| mode | MAP | NDCG%20 |\n|---|---|---|")
    default = Q.ALIGN_WEIGHTS
    for mode in Q.MODES:
        m = np.mean(list(run(mode, default).values()), axis=0)
        print(f"| {mode} | {m[0]:.3f} | {m[1]:.3f} |")
    per = {w: run("sentences", w) for w in GRID}
    Q.ALIGN_WEIGHTS = default
    queries = sorted({q for q, _ in pairs})
    cv, chosen = [], []
    for held in queries:
        train = [p for p in pairs if p[0] != held]
        w = max(GRID, key=lambda w: np.mean([per[w][p] for p in train], axis=0).sum())
        chosen.append(w)
        cv += [per[w][p] for p in pairs if p[0] == held]
    cv_a = np.array(cv)
    full = {w: np.mean(list(per[w].values()), axis=0) for w in GRID}
    best = max(GRID, key=lambda w: full[w].sum())
    print(
        f"\nsentences, weights (dense, alignment, BM25) on a 0.1 grid ({len(GRID)} settings):\n"
        f"- best in sample {best}: MAP {full[best][0]:.3f}, NDCG%20 {full[best][1]:.3f}\n"
        f"- leave-one-query-paper-out ({len(queries)} folds): MAP {cv_a[:, 0].mean():.3f}, "
        f"NDCG%20 {cv_a[:, 1].mean():.3f}; per-pair SD {cv_a[:, 0].std():.3f} / "
        f"{cv_a[:, 1].std():.3f}\n"
        f"- weights the folds chose: "
        + ", ".join(f"{w} ×{chosen.count(w)}" for w in sorted(set(chosen)))
    )
    hyb = run("hybrid")
    print("\n| weights | MAP | NDCG%20 | Δ MAP vs hybrid (± SE over pairs) |\n|---|---|---|---|")
    for w in GRID:
        if w[0] >= 0.3 and w[1] > 0:
            d = np.array([per[w][p][0] - hyb[p][0] for p in pairs])
            print(f"| {w} | {full[w][0]:.3f} | {full[w][1]:.3f} | {d.mean():+.3f} ± {sem(d):.3f} |")
    print(
        f"- the shipped {default}: MAP {full[default][0]:.3f}, NDCG%20 {full[default][1]:.3f}; "
        "neighbours: "
        + ", ".join(
            f"{w}: {full[w][0]:.3f}/{full[w][1]:.3f}"
            for w in GRID
            if sum(abs(a - b) for a, b in zip(w, default, strict=True)) <= 0.21 and w != default
        )
    )

    # query by part of a paper: the facet's share of the abstract, picked by position (a
    # stand-in for a user's pick: the split has no facet labels), through the API
    thirds = {"background": 0, "method": 1, "result": 2}
    whole, part = [], []
    for q, facet in pairs:
        pool = j.pools[(q, facet)]
        n = len(ex.sentences_of(q))
        lo, hi = (n * thirds[facet]) // 3, max((n * (thirds[facet] + 1)) // 3, 1)
        picks = list(range(lo + 1, max(hi, lo + 1) + 1))
        for out, opts in ((whole, {}), (part, {"sentences": picks})):
            hits = ex.related(q, ids=list(pool), k=len(pool), **opts)
            g = np.array([pool[h.paper.id] for h in hits])
            out.append((pool_average_precision(g, 2), ndcg_share(g)))
    w, pt = np.mean(whole, axis=0), np.mean(part, axis=0)
    d = np.array(part)[:, 0] - np.array(whole)[:, 0]
    print(
        "\n### Query by part of a paper (`related ID --sentences …`, default ranking)\n\n"
        f"- whole abstract: MAP {w[0]:.3f}, NDCG%20 {w[1]:.3f}\n"
        f"- the facet's third of the abstract by position (background: first, method: middle, "
        f"result: last): MAP {pt[0]:.3f}, NDCG%20 {pt[1]:.3f} "
        f"(Δ MAP {d.mean():+.3f} ± {sem(d):.3f})"
    )

    # long abstracts: the truncated whole-text vector vs the mean of the sentence vectors
    mean_vecs = np.stack([store.of(r).mean(axis=0) for r in range(len(ex.corpus))])
    mean_vecs /= np.linalg.norm(mean_vecs, axis=1, keepdims=True)
    from transformers import AutoTokenizer

    spec = ex._parts.model.spec
    tok = AutoTokenizer.from_pretrained(str(spec.path)) if spec.path else None
    res = defaultdict(list)
    for q, facet in pairs:
        pool = j.pools[(q, facet)]
        rows = np.array([ex.corpus.position(p) for p in pool])
        g = np.array(list(pool.values()))
        qr = ex.corpus.position(q)
        for name, v in (
            ("whole text (256-token window)", vectors),
            ("mean of sentences", mean_vecs),
        ):
            order = np.argsort(-(v[rows] @ v[qr]), kind="stable")
            res[name].append((pool_average_precision(g[order], 2), ndcg_share(g[order])))
    print("\n### Long abstracts (CSFCube-dev, dense only)\n")
    if tok is not None:
        lens = [len(tok(p.text)["input_ids"]) for p in ex.corpus]
        print(f"{np.mean(np.array(lens) > 256):.0%} of the 1,283 texts exceed 256 tokens\n")
    for name, v in res.items():
        m = np.mean(v, axis=0)
        print(f"- {name}: MAP {m[0]:.3f}, NDCG%20 {m[1]:.3f}")


def arxiv(root: Path, queries: int = 1000) -> None:
    ex = corpus(DATA / "arxiv-cs-2025" / "subset-10cats.jsonl", "subset10", root)
    c, vectors = ex.corpus, np.asarray(ex.vectors, np.float32)
    lex, store = ex._parts.lexical, ex._parts.sentences
    labels = np.array([dict(p.extra).get("label") or "" for p in c])
    rng = np.random.default_rng(0)
    qs = sorted(int(i) for i in rng.choice(len(c), min(queries, len(c)), replace=False))
    titles = [c[r].title for r in qs]
    tv = ex.embed(titles)
    tsents = [ex.embed([t]) for t in titles]
    configs = [("dense", None), ("hybrid", None)] + [
        ("sentences", w)
        for w in [
            (0.2, 0.4, 0.4),
            (0.4, 0.3, 0.3),
            (0.5, 0.3, 0.2),
            (0.1, 0.5, 0.4),
            (0.0, 0.3, 0.7),
        ]
    ]
    print("\n### arXiv subset (3,990 papers, 1,000 query papers)\n")
    print(
        "| ranking | related P@10 | related MAP@100 | known item found@1 | MRR@10 | ms/query "
        "| Δ P@10 vs hybrid (± SE) |"
    )
    print("|---|---|---|---|---|---|---|")
    base: np.ndarray | None = None
    default = Q.ALIGN_WEIGHTS
    for mode, w in configs:
        if w is not None:
            Q.ALIGN_WEIGHTS = w
        a, k, t = [], [], 0.0
        for i, row in enumerate(qs):
            t0 = time.perf_counter()
            q = make_query(vectors, lex, c, positives=[row], sentences=store)
            _, rows = rank_rows(ex.index, vectors, lex, q, 100, mode=mode, sentences=store)
            t += time.perf_counter() - t0
            g = (labels[rows] == labels[row]).astype(float)
            n_rel = int((labels == labels[row]).sum()) - 1
            hits = np.flatnonzero(g) + 1
            a.append((g[:10].mean(), (np.arange(1, len(hits) + 1) / hits).sum() / min(n_rel, 100)))
            tq = make_query(
                vectors,
                lex,
                c,
                pos_vectors=tv[i],
                pos_texts=[titles[i]],
                sentences=store,
                pos_sentences=[tsents[i]],
            )
            _, rows = rank_rows(ex.index, vectors, lex, tq, 10, mode=mode, sentences=store)
            hit = np.flatnonzero(rows == row)
            k.append((float(hit.size > 0 and hit[0] == 0), 1 / (hit[0] + 1) if hit.size else 0.0))
        am, km = np.mean(a, axis=0), np.mean(k, axis=0)
        name = mode if w is None else f"sentences {w}"
        ms = 1000 * t / len(qs)
        p10 = np.array(a)[:, 0]
        if mode == "hybrid":
            base = p10
        delta = "" if base is None else f"{(p10 - base).mean():+.4f} ± {sem(p10 - base):.4f}"
        print(
            f"| {name} | {am[0]:.3f} | {am[1]:.3f} | {km[0]:.3f} | {km[1]:.3f} | {ms:.1f} "
            f"| {delta} |"
        )
    Q.ALIGN_WEIGHTS = default


def authors(root: Path, n_authors: int = 200) -> None:
    """Several examples: an author's other papers as the examples, the held-out one to find,
    among their papers and the 3,990-paper subset's (the distractors, cached by `arxiv`)."""
    import gzip
    import json
    from collections import Counter

    from explorer.embed.cache import VectorCache, embed_cached
    from explorer.embed.embedder import Embedder
    from explorer.papers import Paper
    from explorer.readers import read_corpus
    from explorer.search import ranking
    from explorer.storage import models_root

    with gzip.open(DATA / "arxiv-cs-2025" / "papers.jsonl.gz", "rt") as f:
        rows = [json.loads(x) for x in f]
    count = Counter(a for r in rows for a in set(r["authors"]))
    rng = np.random.default_rng(0)
    eligible = sorted(a for a, n in count.items() if n >= 5)
    picked = [eligible[i] for i in rng.choice(len(eligible), n_authors, replace=False)]
    mine = {a: [i for i, r in enumerate(rows) if a in r["authors"]] for a in picked}
    own = sorted({i for v in mine.values() for i in v})
    papers = [Paper(rows[i]["id"], rows[i]["title"], rows[i]["abstract"]) for i in own]
    known = {p.id for p in papers}
    others = [p for p in read_corpus(DATA / "arxiv-cs-2025" / "subset-10cats.jsonl")]
    papers += [p for p in others if p.id not in known]
    distractors = len(papers) - len(own)
    at = {row: j for j, row in enumerate(own)}
    emb = Embedder(model_cache=models_root(root))
    cache = VectorCache(root, emb.model_id)
    t0 = time.perf_counter()
    V, n_new = embed_cached([p.text for p in papers], [p.text_hash for p in papers], emb, cache)
    cache.close()
    print(
        f"\n### Several examples: held-out author papers ({n_authors} authors with ≥ 5 papers, "
        f"{len(papers):,} papers searched: theirs and the subset's {distractors:,}; "
        f"embedded {n_new:,} in {time.perf_counter() - t0:.0f}s)\n"
    )
    res: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for a in picked:
        own = [at[i] for i in mine[a]]
        held = own[int(rng.integers(len(own)))]
        ex = [r for r in own if r != held][:10]
        allowed = np.ones(len(papers), bool)
        allowed[ex] = False
        E = V[ex]
        scores = {
            "one example (the first)": V @ E[0],
            "Rocchio (mean)": V @ ranking.rocchio(E),
            "max over examples": (V @ E.T).max(axis=1),
            "mean of the top-2 examples": np.sort(V @ E.T, axis=1)[:, -2:].mean(axis=1),
            "½ max + ½ Rocchio": 0.5 * (V @ E.T).max(axis=1) + 0.5 * (V @ ranking.rocchio(E)),
        }
        for name, sc in scores.items():
            sc = np.where(allowed, sc, -np.inf)
            rank = int((sc > sc[held]).sum()) + 1
            res[name].append((float(rank <= 10), 1 / rank if rank <= 100 else 0.0))
    print("| examples combined by | recall@10 | MRR@100 |\n|---|---|---|")
    for name, v in res.items():
        m = np.mean(v, axis=0)
        se = np.std(v, axis=0) / np.sqrt(len(v))
        print(f"| {name} | {m[0]:.3f} ± {se[0]:.3f} | {m[1]:.3f} ± {se[1]:.3f} |")
    for name in ("max over examples", "½ max + ½ Rocchio"):
        d = np.array(res[name]) - np.array(res["Rocchio (mean)"])
        print(
            f"\n{name} − mean, paired: recall@10 {d[:, 0].mean():+.3f} ± {sem(d[:, 0]):.3f}, "
            f"MRR {d[:, 1].mean():+.3f} ± {sem(d[:, 1]):.3f}"
        )

    # the topical check: 3 papers of one category as the examples (as table D of quality.md)
    sub = corpus(DATA / "arxiv-cs-2025" / "subset-10cats.jsonl", "subset10", root)
    V2 = np.asarray(sub.vectors, np.float32)
    labels = np.array([dict(p.extra).get("label") or "" for p in sub.corpus])
    top: dict[str, list[float]] = defaultdict(list)
    for row in rng.choice(len(labels), 300, replace=False):
        same = np.flatnonzero(labels == labels[row])
        ex3 = [int(row), *rng.choice(same[same != row], 2, replace=False).tolist()]
        for name, sc in (
            ("Rocchio (mean)", V2 @ ranking.rocchio(V2[ex3])),
            ("max over examples", (V2 @ V2[ex3].T).max(axis=1)),
            (
                "½ max + ½ Rocchio",
                0.5 * (V2 @ V2[ex3].T).max(axis=1) + 0.5 * (V2 @ ranking.rocchio(V2[ex3])),
            ),
        ):
            sc[ex3] = -np.inf
            best = np.argsort(-sc, kind="stable")[:10]
            top[name].append(float((labels[best] == labels[row]).mean()))
    t = {k: np.array(v) for k, v in top.items()}
    dd = t["max over examples"] - t["Rocchio (mean)"]
    half = t["½ max + ½ Rocchio"] - t["Rocchio (mean)"]
    print(
        f"\n3 same-category examples on the subset (300 sets), P@10: mean "
        f"{t['Rocchio (mean)'].mean():.3f}, max {t['max over examples'].mean():.3f} "
        f"(max − mean {dd.mean():+.3f} ± {sem(dd):.3f}), ½ max + ½ mean "
        f"{t['½ max + ½ Rocchio'].mean():.3f} ({half.mean():+.3f} ± {sem(half):.3f})"
    )


def cost(root: Path, n: int = 600) -> None:
    """What sentence vectors add to a build: embedding time (same process, same backend, one
    after the other, no cache) and bytes on disk, on the arXiv subset."""
    from explorer.embed.embedder import Embedder
    from explorer.index.sentences import paper_sentences
    from explorer.storage import models_root

    ex = corpus(DATA / "arxiv-cs-2025" / "subset-10cats.jsonl", "subset10", root)
    papers = list(ex.corpus)[:n]
    emb = Embedder(model_cache=models_root(root), progress=False)
    emb.embed(["warm up the model"])
    t0 = time.perf_counter()
    emb.embed([p.text for p in papers])
    t_text = time.perf_counter() - t0
    flat = [s for p in papers for s in paper_sentences(p)]
    t0 = time.perf_counter()
    emb.embed(flat)
    t_sent = time.perf_counter() - t0
    # a pasted abstract as the query: its sentences are embedded as well as the whole text
    from explorer.text import split_sentences

    t_one = t_all = 0.0
    for p in papers[:30]:
        t0 = time.perf_counter()
        emb.embed([p.abstract])
        t_one += time.perf_counter() - t0
        t0 = time.perf_counter()
        emb.embed(split_sentences(p.abstract))
        t_all += time.perf_counter() - t0
    size = sum(f.stat().st_size for f in ex.layout.sentences.iterdir())
    vec = ex.layout.vectors.stat().st_size
    print(
        f"\n### What sentence vectors cost ({emb.backend_name}, {n} arXiv papers)\n\n"
        f"- embedding: papers {t_text:.1f}s, their {len(flat):,} sentences {t_sent:.1f}s "
        f"(+{t_sent / t_text:.0%} of the papers' time; {len(flat) / n:.1f} sentences a paper)\n"
        f"- disk, whole subset: vectors.npy {vec / 1e6:.1f} MB, sentences/ {size / 1e6:.1f} MB "
        f"({size / vec:.1f}×, float16); {ex._parts.sentences.meta['sentences']:,} sentences\n"
        f"- a pasted abstract as the query (30 of them, one at a time): the whole text "
        f"{1000 * t_one / 30:.0f} ms, its sentences {1000 * t_all / 30:.0f} ms more"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(os.environ.get("EXPLORER_CACHE") or "cache"))
    ap.add_argument("--part", default="csfcube,arxiv")
    args = ap.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"<!-- {machine} -->\n")
    parts = args.part.split(",")
    if "csfcube" in parts:
        csfcube(args.root)
    if "arxiv" in parts:
        arxiv(args.root)
    if "authors" in parts:
        authors(args.root)
    if "cost" in parts:
        cost(args.root)


if __name__ == "__main__":
    main()
