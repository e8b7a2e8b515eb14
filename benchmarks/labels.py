"""How much generic filler the topic labels carry, before and after the filler rule.

    python benchmarks/labels.py [--corpus subset10 --root DIR] [--out FILE.json]

On a built corpus (by default the 3,990-paper labelled subset of ../shared/data, built here if
missing) at its default map settings and at --min-cluster-size 15, labels the same clusters
twice: without the rule (`common=0`, what the labeller did before) and with it (the default).
It reports, for each label set:

  filler:   the share of label terms that are one word among the corpus's 200 most frequent
            words (documents holding it, the labeller's own tokens);
  all-common: the share of label terms whose every word is among those 200 ("neural networks");
  reused:   how many labels the most reused term appears in ("training" in 3 of 10).

With --out, both label sets go to a JSON file (for a blind comparison: docs/quality.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from _machine import SUBSET, describe

from explorer import Explorer
from explorer.maps.labels import LABEL_SEPARATOR, label_clusters, terms
from explorer.maps.landscape import Settings


def common_words(texts: list[str], n: int = 200) -> set[str]:
    df: Counter[str] = Counter()
    for t in texts:
        df.update({w for w in terms(t, ngrams=1)})
    return {w for w, _ in df.most_common(n)}


def measure(names: dict[int, str], common: set[str]) -> dict[str, float]:
    label_terms = [t for name in names.values() for t in name.split(LABEL_SEPARATOR)]
    uses = Counter(label_terms)
    return {
        "labels": len(names),
        "terms": len(label_terms),
        "filler": sum(t in common for t in label_terms) / max(len(label_terms), 1),
        "all_common": sum(all(w in common for w in t.split()) for t in label_terms)
        / max(len(label_terms), 1),
        "reused": max(uses.values(), default=0),
        "reused_term": uses.most_common(1)[0][0] if uses else "",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="subset10")
    ap.add_argument("--root", type=Path, default=Path("cache"))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    try:
        ex = Explorer.open(args.corpus, root=args.root)
    except Exception:
        if not SUBSET.exists():
            print(f"{SUBSET} is missing: nothing to measure", file=sys.stderr)
            return 0
        ex = Explorer.build([SUBSET], name=args.corpus, root=args.root)
    texts = [p.text for p in ex.corpus]
    common = common_words(texts)
    print(describe())
    print(f"corpus {args.corpus}: {len(texts):,} papers; 200 most frequent words computed")
    report = {}
    for settings in (ex.settings, Settings(min_cluster_size=15)):
        land = ex.landscape(settings)
        clusters = np.asarray(land.clusters)
        before = label_clusters(texts, clusters, common=0)
        after = label_clusters(texts, clusters)
        key = f"min_cluster_size={settings.min_cluster_size or 'auto'}"
        report[key] = {
            "before": measure(before, common),
            "after": measure(after, common),
            "labels": {
                str(c): {
                    "before": before[c],
                    "after": after[c],
                    "titles": [ex.corpus[i].title for i in np.flatnonzero(clusters == c)[:8]],
                }
                for c in sorted(after)
            },
        }
        print(f"\n{key}: {len(after)} topics")
        print(f"{'':8} {'filler':>7} {'all-common':>10} {'most reused term':>24}")
        for side in ("before", "after"):
            m = report[key][side]
            reused = f"{m['reused_term']!r} in {m['reused']}"
            print(f"{side:8} {m['filler']:>7.1%} {m['all_common']:>10.1%} {reused:>24}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
        print(f"\nlabel sets: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
