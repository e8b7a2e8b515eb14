"""Fuzzing the corpus readers at scale: the generators of tests/test_fuzz.py, for N cases.

    python benchmarks/fuzz.py [--cases 10000] [--seed N] [--show 5]

Each case is a generated file (valid, wrongly typed, broken in a known way, randomly damaged,
or a path that is not a file: tests/fuzzing.py) read with `explorer.readers.read_corpus` under a
10 s alarm. Outcomes:
  exact      parsed, exactly the papers the generator put in           good
  typed      parsed (a random mutation), every field well typed        good
  error      ExplorerError: one line naming the file (and line/field)  good
  traceback  any other exception                                       bad
  hang       still reading after 10 s                                  bad
  silent     a wrong type or value accepted, or a file that must fail read without error
  bad-error  a valid file refused, or an error on several lines or not naming the file/line
Prints a table (family x outcome), the first few bad cases, and exits 1 if there is any.
Without --seed the run is derandomized (the same cases every time, as in CI).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import fuzzing  # tests/fuzzing.py
from hypothesis import HealthCheck, Phase, given, seed, settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="how many cases (10000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")
    parser.add_argument("--show", type=int, default=5, help="bad cases to print in full")
    args = parser.parse_args()

    counts: Counter[tuple[str, str]] = Counter()
    notes: Counter[str] = Counter()
    bad: list[tuple[fuzzing.Case, fuzzing.Outcome]] = []
    slowest: list[tuple[float, str]] = []
    distinct: set[bytes] = set()
    workdir = Path(tempfile.mkdtemp(prefix="explorer-fuzz-"))

    def one(case: fuzzing.Case) -> None:
        key = f"{case.name}\0{case.special}\0".encode() + (case.data or b"")
        distinct.add(hashlib.sha256(key).digest())
        t = time.perf_counter()
        outcome = fuzzing.run_case(case, workdir)
        slowest.append((time.perf_counter() - t, f"{case.family}/{case.note} {case.name}"))
        slowest.sort(reverse=True)
        del slowest[3:]
        counts[case.family, outcome.kind] += 1
        notes[f"{case.family}/{case.note}"] += 1
        if outcome.kind in fuzzing.BAD:
            bad.append((case, outcome))
        done = sum(counts.values())
        if done % 1000 == 0:
            print(
                f"  {done:,} cases, {len(bad)} bad, {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    test = given(fuzzing.any_case())(one)
    test = settings(
        max_examples=args.cases,
        deadline=None,
        database=None,
        derandomize=args.seed is None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],  # count every case; nothing to shrink, nothing fails
    )(test)
    if args.seed is not None:
        test = seed(args.seed)(test)

    t0 = time.perf_counter()
    test()
    for case in fuzzing.path_cases():  # the special paths, once each
        one(case)
    wall = time.perf_counter() - t0

    families = sorted({f for f, _ in counts})
    kinds = list(fuzzing.GOOD) + list(fuzzing.BAD)
    width = max(len(f) for f in families + ["family"])
    print(f"{'family':<{width}}  " + "  ".join(f"{k:>9}" for k in kinds) + f"  {'total':>7}")
    for f in families + ["all"]:
        row = [
            sum(n for (ff, k), n in counts.items() if (f == "all" or ff == f) and k == kind)
            for kind in kinds
        ]
        print(f"{f:<{width}}  " + "  ".join(f"{n:>9,}" for n in row) + f"  {sum(row):>7,}")
    total = sum(counts.values())
    print(
        f"\n{total:,} cases ({len(distinct):,} distinct inputs) in {wall:.0f} s "
        f"({1000 * wall / max(total, 1):.0f} ms a case); "
        f"slowest: " + ", ".join(f"{s:.1f} s {what}" for s, what in slowest)
    )
    print("kinds of case: " + ", ".join(f"{k} {n}" for k, n in sorted(notes.items())))
    for case, outcome in bad[: args.show]:
        print(f"\n{outcome.kind}: {outcome.detail[:3000]}\n  {case!r}")
    if bad:
        print(f"\nFAILED: {len(bad)} bad outcomes", file=sys.stderr)
        return 1
    print("\nOK: no traceback, no hang, no silent coercion, every error one line naming the file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
