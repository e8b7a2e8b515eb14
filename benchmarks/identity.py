"""Are the product's results the same before and after a change? A script, not an eye.

    python benchmarks/identity.py --out before.json [--work DIR] [--subset-sample 300]
    python benchmarks/identity.py --out after.json
    python benchmarks/identity.py --compare before.json after.json

Builds the seed corpus and (when ../shared/data is here) the 3,990-paper labelled subset from a
cold cache, then records, exactly (floats as `repr`): the related papers of every paper (dense;
lexical and hybrid for every seed and a fixed sample of the subset), ten free-text searches per
mode, map coordinates, clusters, topic labels, the map's hover texts and the explanations of a
few pairs. `--compare` prints each section that differs, how many of its items differ, and the
largest coordinate move. Only meaningful on one machine: another processor's last bits differ.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _machine import SUBSET, describe

from explorer import Explorer

PHRASES = [
    "toxicity detection in online comments",
    "sparse autoencoders for interpretability",
    "recommendation with large language models",
    "open language models at a practical size",
    "image segmentation with transformers",
    "reinforcement learning from human feedback",
    "graph neural networks for molecules",
    "speech recognition in low-resource languages",
    "diffusion models for video generation",
    "robot manipulation from demonstrations",
]
MODES = ("dense", "lexical", "hybrid")


def hits(rows: list[Any]) -> list[list[Any]]:
    return [[h.paper.id, repr(float(h.score))] for h in rows]


def record(ex: Explorer, sample: int) -> dict[str, Any]:
    ids = list(ex.corpus.ids)
    rng = random.Random(0)
    some = ids if len(ids) <= sample else sorted(rng.sample(ids, sample))
    out: dict[str, Any] = {"ids": ids}
    out["related.dense"] = {i: hits(ex.related(i, k=10, mode="dense")) for i in ids}
    for mode in ("lexical", "hybrid"):
        out[f"related.{mode}"] = {i: hits(ex.related(i, k=10, mode=mode)) for i in some}
    out["search"] = {f"{m}:{q}": hits(ex.search(q, k=10, mode=m)) for m in MODES for q in PHRASES}
    land = ex.landscape()
    out["coords"] = [[repr(float(x)), repr(float(y))] for x, y in np.asarray(land.coords)]
    out["clusters"] = [int(c) for c in land.clusters]
    out["topics"] = [[t.label, t.size] for t in land.topics]
    fig = ex.figure()
    out["hover"] = [
        [str(t) for t in (tr.hovertext if tr.hovertext is not None else ())]
        + [str(t) for t in (tr.text if tr.text is not None else ())]
        for tr in fig.data
    ]
    out["annotations"] = [a.text for a in fig.layout.annotations]
    pairs = [(some[i], some[(i + 1) % len(some)]) for i in range(min(10, len(some)))]
    out["explain"] = [ex.explain(a, b) for a, b in pairs]
    out["related.explain"] = hits(ex.related(ids[0], k=5, explain=True)) + [
        json.dumps(h.why, sort_keys=True, default=str)
        for h in ex.related(ids[0], k=5, explain=True)
    ]
    return out


def _ids(rows: Any) -> list[Any]:
    return [r[0] for r in rows] if isinstance(rows, list) else [rows]


def _gap(a: Any, b: Any) -> float:
    """The largest change of a score between two hit lists of the same papers."""
    if not isinstance(a, list) or not isinstance(b, list) or _ids(a) != _ids(b):
        return float("inf")
    return max((abs(float(u[1]) - float(v[1])) for u, v in zip(a, b, strict=True)), default=0)


def compare(a_path: Path, b_path: Path) -> int:
    a, b = (json.loads(p.read_text("utf-8")) for p in (a_path, b_path))
    bad = 0
    for corpus in sorted(set(a) | set(b)):
        if not isinstance(a.get(corpus), dict):
            continue
        ca, cb = a.get(corpus, {}), b.get(corpus, {})
        for key in sorted(set(ca) | set(cb)):
            x, y = ca.get(key), cb.get(key)
            if x == y:
                print(f"{corpus:8} {key:18} identical")
                continue
            bad += 1
            if isinstance(x, dict) and isinstance(y, dict):
                n = sum(x.get(k) != y.get(k) for k in set(x) | set(y))
                ids = [sum((_ids(x.get(k)) != _ids(y.get(k))) for k in set(x) | set(y))]
                gap = max((_gap(x.get(k), y.get(k)) for k in set(x) & set(y)), default=0.0)
                print(
                    f"{corpus:8} {key:18} DIFFERS in {n} of {len(x)} items: {ids[0]} with other "
                    f"papers or order; largest score change {gap:.2g}"
                )
            elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
                n = sum(u != v for u, v in zip(x, y, strict=True))
                extra = ""
                if key == "coords":
                    d = np.abs(np.asarray(x, float) - np.asarray(y, float)).max()
                    extra = f" (largest move {d:.3g})"
                print(f"{corpus:8} {key:18} DIFFERS in {n} of {len(x)} items{extra}")
            else:
                print(f"{corpus:8} {key:18} DIFFERS")
    print("identical" if not bad else f"{bad} section(s) differ")
    return 1 if bad else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--work", type=Path, help="a fresh folder for the builds (default: a temp one)")
    ap.add_argument("--subset-sample", type=int, default=300)
    ap.add_argument("--seeds-only", action="store_true")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    if args.out is None:
        ap.error("give --out FILE or --compare A B")
    import explorer

    work = args.work or Path(tempfile.mkdtemp(prefix="explorer-identity-"))
    result: dict[str, Any] = {"machine": describe(), "code": str(Path(explorer.__file__).parent)}
    print(f"machine: {result['machine']}\ncode: {result['code']}", flush=True)
    seeds = Explorer.build(root=work / "cache", progress=False)
    result["seeds"] = record(seeds, args.subset_sample)
    print(f"seeds: {len(seeds.corpus)} papers recorded", flush=True)
    if SUBSET.exists() and not args.seeds_only:
        sub = Explorer.build(SUBSET, name="subset", root=work / "cache", progress=False)
        result["subset"] = record(sub, args.subset_sample)
        print(f"subset: {len(sub.corpus)} papers recorded", flush=True)
    args.out.write_text(json.dumps(result, indent=0, sort_keys=True), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
