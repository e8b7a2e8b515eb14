"""The topic tree's child labels against flat labels of the same clusters, judged blind.

    python benchmarks/tree_labels_blind.py items --root CACHE --corpus subset \
        --out items.json --key key.json
    python benchmarks/tree_labels_blind.py table --items items.json --key key.json --verdicts v.json

items: for every topic below the tree's top level, its label (c-TF-IDF against its siblings,
without its ancestors' words: `maps.tree`) and the flat label of the same cluster (c-TF-IDF
against the whole level: `labels.label_clusters`), where the two differ. Each item shows its
parent field's label, 8 of its titles (seeded) and the two labels as A and B in a seeded random
order; which is which goes to the key file only, for the judge never to see. table: the judge's
verdicts ({"item": n, "better": "A"|"B"|"tie", "reason": "…"}) joined with the key, as
docs/labels-blind.md's table.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from explorer import Explorer
from explorer.maps.labels import label_clusters


def items(args: argparse.Namespace) -> None:
    ex = Explorer.open(args.corpus, root=args.root)
    tree = ex.landscape().tree
    texts = [p.text for p in ex.corpus]
    rng = random.Random(0)
    out, key = [], []
    for lv in range(1, tree.depth):
        flat = label_clusters(texts, tree.levels[lv])
        parents = {t.id: t.label for t in tree.topics[lv - 1]}
        for t in tree.topics[lv]:
            child, plain = t.label, flat.get(t.id, "")
            if not child or child == plain:
                continue
            rows = np.flatnonzero(tree.levels[lv] == t.id).tolist()
            shown = sorted(rng.sample(rows, min(8, len(rows))))
            child_is = rng.choice("AB")
            a, b = (child, plain) if child_is == "A" else (plain, child)
            n = len(out) + 1
            out.append(
                {
                    "item": n,
                    "level": lv,
                    "papers": t.size,
                    "field": parents.get(t.parent, "") if t.parent is not None else "",
                    "titles": [ex.corpus[r].title for r in shown],
                    "A": a,
                    "B": b,
                }
            )
            key.append(
                {"item": n, "level": lv, "child": child, "flat": plain, "child_is": child_is}
            )
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    args.key.write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(out)} items (of {sum(len(tree.topics[lv]) for lv in range(1, tree.depth))})")


def table(args: argparse.Namespace) -> None:
    key = {k["item"]: k for k in json.loads(args.key.read_text())}
    shown = {i["item"]: i for i in json.loads(args.items.read_text())}
    votes = {"child": 0, "flat": 0, "tie": 0}
    print(
        "| item | level | papers | flat label | child label | child was | better "
        "| the judge's reason |"
    )
    print("|---:|---:|---:|---|---|---|---|---|")
    for v in sorted(json.loads(args.verdicts.read_text()), key=lambda v: v["item"]):
        k = key[v["item"]]
        better = (
            "tie" if v["better"] == "tie" else ("child" if v["better"] == k["child_is"] else "flat")
        )
        votes[better] += 1
        reason = v["reason"].replace("|", "/")
        print(
            f"| {k['item']} | {k['level']} | {shown[k['item']]['papers']} | {k['flat']} | "
            f"{k['child']} | {k['child_is']} | **{better}** | {reason} |"
        )
    print(f"\nchild {votes['child']}, flat {votes['flat']}, tie {votes['tie']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("items", "table"))
    ap.add_argument("--root", type=Path, default=Path("/tmp/tree/cache"))
    ap.add_argument("--corpus", default="subset")
    ap.add_argument("--out", type=Path, default=Path("items.json"))
    ap.add_argument("--items", type=Path, default=Path("items.json"))
    ap.add_argument("--key", type=Path, default=Path("key.json"))
    ap.add_argument("--verdicts", type=Path, default=Path("verdicts.json"))
    args = ap.parse_args()
    items(args) if args.what == "items" else table(args)


if __name__ == "__main__":
    main()
