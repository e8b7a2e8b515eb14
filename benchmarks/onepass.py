"""One pass for a paper and its sentences against today's two passes: speed and quality.

    python benchmarks/onepass.py [--backend NAME] [--part csfcube,arxiv] [--queries 1000]

Variants, each a pair (paper vectors, sentence vectors), all from the same model and backend:
  two-pass        today: the text cut at 256 tokens, and every sentence embedded on its own;
  one-pass        the paper's first window (today's paper vector) and its sentences pooled from
                  the same token states (`explorer.embed.late`);
  one-pass-whole  the same pass, the paper vector pooled over every token of the abstract
                  (windows past 256 tokens);
  whole+separate  the whole-abstract paper vector with separately embedded sentences (which
                  of the two changes matters).

Quality: CSFCube-dev (expert grades; MAP with grade >= 2 relevant, NDCG%20; 17 query-facet
pairs, paired differences against two-pass with their standard error), and the 3,990-paper
arXiv subset (a paper as the query, same category relevant: P@10; its title as free text, a
known item: found@1, MRR@10), in every ranking mode. Speed: abstracts/s of each pass on the corpus,
measured in the same run on the same backend, interleaved slice by slice (nothing cached).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explorer.embed import late
from explorer.embed.embedder import Embedder
from explorer.index.lexical import LexicalIndex
from explorer.index.sentences import SentenceVectors, flatten, paper_sentences
from explorer.index.vectors import VectorIndex
from explorer.readers import read_corpus
from explorer.search.judgements import read_judgements
from explorer.search.metrics import ndcg_share, pool_average_precision
from explorer.search.query import MODES, make_query, rank_rows

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def sem(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


def speed(corpus, emb: Embedder, slice_: int = 250) -> dict[str, float]:
    """Abstracts/s of papers alone, two passes and the one pass, interleaved slice by slice in
    a rotating order, so that a machine whose load drifts slows each alike."""
    papers = list(corpus)
    spent = {"papers": 0.0, "sentences": 0.0, "one pass": 0.0}
    for n, start in enumerate(range(0, len(papers), slice_)):
        part = papers[start : start + slice_]
        texts = [p.text for p in part]
        flat = [s for p in part for s in paper_sentences(p)]
        spans = [late.spans(p.text, paper_sentences(p)) for p in part]
        runs = [("papers", texts, None), ("sentences", flat, None), ("one pass", texts, spans)]
        for name, what, how in runs[n % 3 :] + runs[: n % 3]:
            t0 = time.perf_counter()
            _ = emb.embed(what) if how is None else emb.embed_late(what, how)
            spent[name] += time.perf_counter() - t0
    n = len(papers)
    return {
        "papers alone (cut at 256 tokens)": n / spent["papers"],
        "two passes (papers, then each sentence)": n / (spent["papers"] + spent["sentences"]),
        "one pass (papers and sentences, every token)": n / spent["one pass"],
    }


def variants(corpus, emb: Embedder) -> tuple[dict, dict]:
    """Each variant's (paper vectors, sentence store), and the passes' speed (`speed`)."""
    texts = [p.text for p in corpus]
    flat, offsets = flatten(corpus)
    _ = emb.backend  # loaded before timing
    timing: dict[str, float] = dict(speed(corpus, emb))
    plain = emb.embed(texts)
    separate = emb.embed(flat)
    spans = [late.spans(p.text, paper_sentences(p)) for p in corpus]
    one = emb.embed_late(texts, spans)
    missing = sum(s is None for ss in spans for s in ss)
    if one.empty or missing:
        print(f"(spans not found: {missing}; with no token: {len(one.empty)})")
        one.spans[one.empty] = separate[one.empty]

    def store(v):
        return SentenceVectors.make(v, offsets, corpus_hash=corpus.content_hash, model_id="x")

    out = {
        "two-pass": (plain, store(separate)),
        "one-pass": (one.first, store(one.spans)),
        "one-pass-whole": (one.whole, store(one.spans)),
        "whole+separate": (one.whole, store(separate)),
    }
    timing["sentences"] = len(flat)
    return out, timing


def parts(corpus, vectors):
    index = VectorIndex.build(
        np.ascontiguousarray(vectors), corpus.ids, model_id="x", corpus_hash=corpus.content_hash
    )
    return index


def csfcube(emb: Embedder) -> None:
    d = DATA / "csfcube-dev"
    corpus = read_corpus(d / "papers.jsonl")
    j = read_judgements(d / "qrels.tsv", corpus)
    pairs = sorted(j.pools)
    vs, timing = variants(corpus, emb)
    lex = LexicalIndex.build([p.text for p in corpus], corpus_hash=corpus.content_hash)
    print(f"\n### CSFCube-dev ({len(corpus):,} papers, {timing['sentences']:,} sentences)\n")
    for k, v in timing.items():
        if k != "sentences":
            print(f"- {k}: {v:.1f} abstracts/s")
    res: dict[tuple[str, str], np.ndarray] = {}
    for name, (vectors, store) in vs.items():
        index = parts(corpus, vectors)
        for mode in MODES:
            out = []
            for q, facet in pairs:
                pool = j.pools[(q, facet)]
                rows = [corpus.position(p) for p in pool]
                grade = np.zeros(len(corpus))
                grade[rows] = list(pool.values())
                allowed = np.zeros(len(corpus), bool)
                allowed[rows] = True
                qu = make_query(
                    vectors, lex, corpus, positives=[corpus.position(q)], sentences=store
                )
                _, ranked = rank_rows(
                    index, vectors, lex, qu, len(rows), mode=mode, allowed=allowed, sentences=store
                )
                g = grade[ranked]
                out.append((pool_average_precision(g, 2), ndcg_share(g)))
            res[(name, mode)] = np.array(out)
    print(
        "\n| variant | mode | MAP | NDCG%20 | Δ MAP vs two-pass (± SE) | Δ NDCG%20 (± SE) |"
        "\n|---|---|---|---|---|---|"
    )
    for mode in MODES:
        for name in vs:
            r, b = res[(name, mode)], res[("two-pass", mode)]
            dm, dn = r[:, 0] - b[:, 0], r[:, 1] - b[:, 1]
            delta = (
                ""
                if name == "two-pass"
                else f"{dm.mean():+.3f} ± {sem(dm):.3f} | {dn.mean():+.3f} ± {sem(dn):.3f}"
            )
            print(
                f"| {name} | {mode} | {r[:, 0].mean():.3f} | {r[:, 1].mean():.3f} | "
                + (delta or " | ")
                + " |"
            )


def arxiv(emb: Embedder, queries: int) -> None:
    corpus = read_corpus(DATA / "arxiv-cs-2025" / "subset-10cats.jsonl")
    labels = np.array([dict(p.extra).get("label") or "" for p in corpus])
    vs, timing = variants(corpus, emb)
    lex = LexicalIndex.build([p.text for p in corpus], corpus_hash=corpus.content_hash)
    rng = np.random.default_rng(0)
    qs = sorted(int(i) for i in rng.choice(len(corpus), min(queries, len(corpus)), replace=False))
    titles = [corpus[r].title for r in qs]
    tv = emb.embed(titles)
    print(
        f"\n### arXiv subset ({len(corpus):,} papers, {timing['sentences']:,} sentences, "
        f"{len(qs)} queries)\n"
    )
    for k, v in timing.items():
        if k != "sentences":
            print(f"- {k}: {v:.1f} abstracts/s")
    print(
        "\n| variant | mode | related P@10 | Δ P@10 vs two-pass (± SE) | known item found@1 "
        "| MRR@10 |\n|---|---|---|---|---|---|"
    )
    base: dict[str, np.ndarray] = {}
    for mode in MODES:
        for name, (vectors, store) in vs.items():
            index = parts(corpus, vectors)
            p10, known = [], []
            for i, row in enumerate(qs):
                q = make_query(vectors, lex, corpus, positives=[row], sentences=store)
                _, rows = rank_rows(index, vectors, lex, q, 10, mode=mode, sentences=store)
                p10.append(float((labels[rows] == labels[row]).mean()))
                tq = make_query(
                    vectors,
                    lex,
                    corpus,
                    pos_vectors=tv[i],
                    pos_texts=[titles[i]],
                    sentences=store,
                    pos_sentences=[tv[i : i + 1]],
                )
                _, rows = rank_rows(index, vectors, lex, tq, 10, mode=mode, sentences=store)
                hit = np.flatnonzero(rows == row)
                known.append(
                    (float(hit.size > 0 and hit[0] == 0), 1 / (hit[0] + 1) if hit.size else 0)
                )
            a = np.array(p10)
            if name == "two-pass":
                base[mode] = a
            d = a - base[mode]
            km = np.mean(known, axis=0)
            delta = "" if name == "two-pass" else f"{d.mean():+.4f} ± {sem(d):.4f}"
            print(f"| {name} | {mode} | {a.mean():.3f} | {delta} | {km[0]:.3f} | {km[1]:.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--part", default="csfcube,arxiv")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--models", type=Path, default=None, help="exported models' folder")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is not here: this benchmark needs the shared data")
    emb = Embedder(backend=args.backend, progress=False, model_cache=args.models)
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in info.splitlines() if "model name" in ln),
        platform.processor(),
    )
    print(
        f"backend {emb.backend_name}, {cpu}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d')}"
    )
    for part in args.part.split(","):
        {"csfcube": lambda: csfcube(emb), "arxiv": lambda: arxiv(emb, args.queries)}[part]()


if __name__ == "__main__":
    main()
