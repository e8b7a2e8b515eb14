"""The static tier beside MiniLM: quality on the judgements we have, and speed at scale.

    python benchmarks/static_tier.py [--root CACHE] [--part speed,quality,million]

  quality  for MiniLM (the machine's default backend) and `--model static`: CSFCube-dev
           (`explorer eval`'s pooled protocol: MAP, NDCG%20), the 3,990-paper arXiv subset's
           same-category check (a paper as the query, its primary category relevant: P@10,
           MAP@100) and the map's V-measure / ARI against the categories (clusters assigned
           as `build` makes them), each with its build time;
  speed    the static model's papers/s on the 74,728-paper listing, papers only and papers
           with their sentences (`Embedder.embed_late`, as `build` runs it), with MiniLM's
           rate (the machine's default backend) on a 400-paper slice in the same run;
  million  the listing's texts repeated to 1,000,000 (labelled: replicated texts), papers
           only (`--million-sentences`: with sentences too).

Every line carries the load average (`uptime`'s 1-minute figure) when it was measured. Builds
go under --root (the vector cache there is reused: copy one in to skip MiniLM's embedding).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import ARXIV, SUBSET, describe  # noqa: E402

from explorer import Explorer  # noqa: E402

CSFCUBE = ARXIV.parents[1] / "csfcube-dev"
MODELS = {"static": "static", "MiniLM": None}


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def built(path: Path, name: str, root: Path, model: str | None, with_map: bool, e) -> Explorer:
    t0 = time.perf_counter()
    ex = Explorer.build(path, name=name, root=root, model=model, with_map=with_map, embedder=e)
    assert ex.report is not None
    print(
        f"built {name}: {len(ex.corpus):,} papers, backend {ex.manifest['backend']}, "
        f"{ex.report.embedded:,} embedded, {time.perf_counter() - t0:.1f}s ({load()})",
        flush=True,
    )
    return ex


def quality(root: Path, minilm_backend: str | None, models: list[str]) -> None:
    from explorer.embed.embedder import Embedder

    for label, model in MODELS.items():
        if label not in models:
            continue
        tag = "static" if model else "minilm"
        print(f"\n## {label}\n")
        e = None if model else Embedder(backend=minilm_backend)
        ex = built(CSFCUBE / "papers.jsonl", f"csfcube-{tag}", root, model, False, e)
        r = ex.evaluate(CSFCUBE / "qrels.tsv")
        print(f"CSFCube-dev ({r.queries} query-facet pairs, {load()}):\n{r.table()}\n", flush=True)
        ex = built(SUBSET, f"subset10-{tag}", root, model, True, e)
        r = ex.evaluate(label="label")
        print(f"arXiv subset, same category ({r.queries} queries, {load()}):\n{r.table()}\n")


def _rate(embed, texts: list[str], spans=None) -> float:
    t0 = time.perf_counter()
    if spans is None:
        embed.embed(texts)
    else:
        embed.embed_late(texts, spans)
    return len(texts) / (time.perf_counter() - t0)


def listing() -> tuple[list[str], list]:
    from explorer.embed import late
    from explorer.index.sentences import paper_sentences
    from explorer.readers import read_corpus

    t0 = time.perf_counter()
    papers = list(read_corpus(ARXIV))
    texts = [p.text for p in papers]
    print(f"read {len(texts):,} papers in {time.perf_counter() - t0:.0f}s ({load()})", flush=True)
    t0 = time.perf_counter()
    spans = [late.spans(t, paper_sentences(p)) for t, p in zip(texts, papers, strict=True)]
    n_sp = sum(len(s) for s in spans)
    print(f"split into {n_sp:,} sentences in {time.perf_counter() - t0:.0f}s", flush=True)
    return texts, spans


def speed(texts: list[str], spans: list, static, minilm: bool) -> None:
    from explorer.embed.embedder import Embedder

    print("| model | texts | what | papers/s | load |")
    print("|---|---|---|---|---|")
    if minilm:  # a slice, MiniLM then static, for their ratio
        e = Embedder(progress=False)
        _ = e.backend
        sl = slice(0, 400)
        for name, m in ((f"MiniLM ({e.backend_name})", e), ("static", static)):
            for what, sp in (("papers", None), ("papers + sentences", spans[sl])):
                r = _rate(m, texts[sl], sp)
                print(f"| {name} | 400 (first of the listing) | {what} | {r:,.1f} | {load()} |")
    for what, sp in (("papers", None), ("papers + sentences", spans)):
        t0 = time.perf_counter()
        r = _rate(static, texts, sp)
        took = time.perf_counter() - t0
        print(
            f"| static | {len(texts):,} | {what} | {r:,.0f} ({took:.0f}s) | {load()} |", flush=True
        )


def million(texts: list[str], spans: list, static, with_sentences: bool) -> None:
    reps = -(-1_000_000 // len(texts))
    big, big_spans = (texts * reps)[:1_000_000], (spans * reps)[:1_000_000]
    what = "the listing's texts repeated"
    static.progress = True  # the bar on stderr shows the rate as it goes
    for how, sp in (("papers", None), ("papers + sentences", big_spans))[: 1 + with_sentences]:
        t0 = time.perf_counter()
        r = _rate(static, big, sp)
        took = time.perf_counter() - t0
        print(f"| static | 1,000,000 ({what}) | {how} | {r:,.0f} ({took:.0f}s) | {load()} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(os.environ.get("EXPLORER_CACHE") or "cache"))
    ap.add_argument("--part", default="speed,quality,million")
    ap.add_argument("--minilm-backend", default=None, help="MiniLM's backend (default: auto)")
    ap.add_argument("--no-minilm-speed", action="store_true", help="the static speeds only")
    ap.add_argument("--models", default="static,MiniLM", help="whose quality to measure")
    ap.add_argument("--million-sentences", action="store_true", help="1M with sentences too")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each line as it is measured
    print(f"machine: {describe()}; {load()}")
    parts = args.part.split(",")
    static = None
    if "speed" in parts or "million" in parts:
        from explorer.embed.embedder import Embedder

        texts, spans = listing()
        static = Embedder("static", progress=False)
        _ = static.backend
    if "speed" in parts:
        speed(texts, spans, static, not args.no_minilm_speed)
    if "quality" in parts:
        quality(args.root, args.minilm_backend, args.models.split(","))
    if "million" in parts:
        million(texts, spans, static, args.million_sentences)


if __name__ == "__main__":
    main()
