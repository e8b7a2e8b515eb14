"""A build's peak memory as the corpus grows, apart from the model: every vector is already in
the vector cache, so the numbers are those of reading, the embed stage's bookkeeping, the index
and saving (a real build adds the model, about 0.3 GB, and its batches).

    python benchmarks/build_memory.py --n 1000000 [--sentences] [--repo PATH] [--work DIR]

The corpus is the arXiv file's papers repeated with a copy number in the title, so that every
text (and hash) is new; the cache is filled with the papers' real vectors (`--vectors`, rows
aligned with the arXiv file, e.g. the title vectors benchmarks write) plus seeded noise, or with
seeded random unit vectors without `--vectors`. Each build runs in a fresh process, with
`--no-map`; its stage lines (wall time, peak resident memory) are printed as they come.
`--repo` runs the build from another checkout (say, an older commit) on the same files, so
two versions compare in one run. `--tiny` builds 2,000 papers (CI keeps the script working).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _machine import ARXIV, ROOT, describe

MODEL_ID = "all-MiniLM-L6-v2+openvino-int8"  # the backend named below: no probe, no model load
CHILD = (
    "import sys, resource\n"
    "from pathlib import Path\n"
    "from explorer.building import build\n"
    "from explorer.embed.embedder import Embedder\n"
    "if sys.argv[4] == 'hash':\n"
    "    sys.path.insert(0, sys.argv[5])\n"
    "    from fakes import HashEmbedder\n"
    "    e = HashEmbedder(dim=384)\n"
    "else:\n"
    "    e = Embedder(backend='openvino-int8', progress=False)\n"
    "r = build(sys.argv[1], name='mem', root=Path(sys.argv[2]), with_map=False,\n"
    "          sentences=sys.argv[3] == '1', progress=True, embedder=e)\n"
    "print('embedded', r.report.embedded, 'papers', r.report.papers, file=sys.stderr)\n"
    "print('@@ peak_mb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,\n"
    "      file=sys.stderr)\n"
)


def make_corpus(src: Path, n: int, out: Path) -> None:
    if out.exists():
        return
    with gzip.open(src, "rt", encoding="utf-8") as f:
        base = [json.loads(line) for line in f]
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for i in range(n):
            rec = dict(base[i % len(base)])
            copy = i // len(base)
            if copy:
                rec["id"] = f"{rec['id']}c{copy}"
                rec["title"] = f"{rec['title']} [copy {copy}]"
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    tmp.rename(out)


def fill_cache(corpus_file: Path, root: Path, vectors: Path | None, sentences: bool) -> int:
    """Every text's vector (papers', and sentences' when asked) into the cache under `root`."""
    from explorer.embed.cache import VectorCache
    from explorer.index.sentences import flatten, text_hash
    from explorer.readers import read_corpus

    corpus = read_corpus(corpus_file)
    hashes = corpus.text_hashes
    if sentences:
        flat, _ = flatten(corpus)
        hashes = hashes + [text_hash(s) for s in flat]
    base = np.load(vectors, mmap_mode="r") if vectors else None
    rng = np.random.default_rng(0)
    cache = VectorCache(root, MODEL_ID)
    have = len(cache)
    step = 50_000
    for start in range(have, len(hashes), step):
        rows = np.arange(start, min(start + step, len(hashes)))
        if base is not None:
            v = np.asarray(base[rows % len(base)], dtype=np.float32)
            v = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
        else:
            v = rng.normal(size=(len(rows), 384)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        cache.put_many(hashes[rows[0] : rows[-1] + 1], v)
    cache.close()
    return len(hashes)


def run_build(
    corpus_file: Path, root: Path, repo: Path, sentences: bool, embed: str
) -> dict[str, float]:
    shutil.rmtree(root / "mem", ignore_errors=True)
    if embed == "hash":  # every text embedded afresh: no cache from an earlier run
        shutil.rmtree(root / "vectors", ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(repo), EXPLORER_MODELS=str(root / "models"))
    t = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(corpus_file),
            str(root),
            "1" if sentences else "0",
            embed,
            str(ROOT / "tests"),
        ],
        env=env,
        cwd=repo,  # `python -c` puts the working folder first on sys.path
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode:
        sys.exit(f"build failed:\n{proc.stderr[-3000:]}")
    out: dict[str, float] = {"wall_s": wall}
    for line in proc.stderr.splitlines():
        print("   ", line, flush=True)
        if m := re.match(r"\s+(\w+): ([\d.]+)s \(peak ([\d.]+) GB\)", line):
            out[f"{m[1]}_s"] = float(m[2])
            out[f"{m[1]}_peak_gb"] = float(m[3])
        if line.startswith("@@ peak_mb"):
            out["peak_gb"] = float(line.split()[-1]) / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=ARXIV)
    ap.add_argument("--vectors", type=Path, help="vectors of --data's papers, row-aligned")
    ap.add_argument("--sentences", action="store_true", help="keep sentence vectors too")
    ap.add_argument("--repo", type=Path, action="append", help="checkout(s) to build with")
    ap.add_argument("--work", type=Path, default=Path("/tmp/explorer-build-memory"))
    ap.add_argument(
        "--embed",
        choices=("cached", "hash"),
        default="cached",
        help="cached: every vector is in the cache; hash: every text is embedded by the "
        "tests' instant hash embedder (384-d), so the embed stage's own memory shows",
    )
    ap.add_argument("--tiny", action="store_true")
    a = ap.parse_args()
    if a.tiny:
        a.n = 2_000
    if not a.data.exists():
        sys.exit(f"{a.data} is not present (shared arXiv data lives only on the dev machines)")
    print(describe(), flush=True)
    a.work.mkdir(parents=True, exist_ok=True)
    corpus_file = a.work / f"papers-{a.n}.jsonl"
    root = a.work / f"root-{a.n}-{int(a.sentences)}-{a.embed}"
    t = time.perf_counter()
    make_corpus(a.data, a.n, corpus_file)
    texts = fill_cache(corpus_file, root, a.vectors, a.sentences) if a.embed == "cached" else 0
    print(f"corpus and cache ready: {texts:,} texts, {time.perf_counter() - t:.0f}s", flush=True)
    rows = []
    for repo in a.repo or [ROOT]:
        print(f"build with {repo}", flush=True)
        rows.append((repo, run_build(corpus_file, root, repo, a.sentences, a.embed)))
    keys = ["wall_s", "read_s", "read_peak_gb", "embed_s", "embed_peak_gb", "peak_gb"]
    print(f"\n{a.n:,} papers, sentences {'kept' if a.sentences else 'off'}, {a.embed}, --no-map\n")
    print("| checkout | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for repo, r in rows:
        print(f"| {repo} | " + " | ".join(f"{r.get(k, float('nan')):.2f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
