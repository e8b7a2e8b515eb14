"""`explorer related <id>` on the 74,728-paper listing with sentence vectors: how long it takes.

    python benchmarks/sentence_latency.py --work DIR [--runs 5]

The real model would need hours on a 2-core CPU to embed the listing's ~660,000 sentences, so
this builds the listing with the tests' `HashEmbedder` at the model's 384 dimensions: real texts,
real BM25, a real FAISS index, a real float16 sentence store of the real sentences, only the
vectors' values are not MiniLM's. What a by-id query costs (opening, BM25 over every paper,
FAISS, reading and aligning the candidates' sentence rows) does not depend on those values.
Each timing is a whole `explorer` process, as a user runs it; hybrid and sentences alternate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes import HashEmbedder  # noqa: E402

from explorer import Explorer  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-cs-2025" / "papers.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument(
        "--corpus",
        default=None,
        help="a corpus built with the real model under $EXPLORER_CACHE (e.g. the listing's "
        "`explorer build papers.jsonl.gz --corpus arxiv74k`) instead of the hash-vector one",
    )
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    root = args.work / "cache"
    if args.corpus:
        from explorer.storage import cache_root

        root = cache_root()
    name = args.corpus or "arxivhash"
    t0 = time.perf_counter()
    try:
        ex = Explorer.open(name, root=root)
    except Exception:
        if args.corpus:  # a real corpus is built by the user, never here with hash vectors
            raise
        ex = Explorer.build(
            DATA, name="arxivhash", root=root, embedder=HashEmbedder(dim=384), with_map=False
        )
    print(f"corpus ready in {time.perf_counter() - t0:.0f}s: {len(ex.corpus):,} papers")
    sizes = {
        "vectors.npy": ex.layout.vectors.stat().st_size,
        "sentences/": sum(f.stat().st_size for f in ex.layout.sentences.iterdir()),
    }
    print(
        f"{ex._parts.sentences.meta['sentences']:,} sentences; "
        + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in sizes.items())
    )
    rng = np.random.default_rng(0)
    ids = [ex.corpus[int(i)].id for i in rng.choice(len(ex.corpus), args.runs, replace=False)]
    env = dict(os.environ, EXPLORER_CACHE=str(root))
    exe = str(Path(sys.executable).parent / "explorer")
    times: dict[str, list[float]] = {"hybrid": [], "sentences": []}
    for pid in ids:
        for mode in times:
            t0 = time.perf_counter()
            out = subprocess.run(
                [exe, "related", pid, "-c", name, "-k", "10", "--mode", mode],
                env=env,
                capture_output=True,
                text=True,
            )
            times[mode].append(time.perf_counter() - t0)
            assert out.returncode == 0, out.stderr
    for mode, t in times.items():
        print(
            f"`explorer related <id> --mode {mode}` on {len(ex.corpus):,} papers: median "
            f"{statistics.median(t):.2f} s ({min(t):.2f}–{max(t):.2f}) over {len(t)} ids"
        )


if __name__ == "__main__":
    main()
