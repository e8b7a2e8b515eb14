"""Crash-testing the build: SIGKILL `explorer build` at random moments and right after each
atomic replace, then build again and compare every artefact with an unkilled build's.

    python benchmarks/crash.py [--kills 100] [--papers 240] [--work DIR] [--seed 0]

Three kinds of build are killed, each from the state a user would have:
  first    a first build in an empty corpus folder (the vector cache empty, or half full)
  changed  a build of an edited corpus over the built one (some abstracts changed)
  grow     a build of the corpus with papers appended (only they are embedded and placed)
Half the kills come right after the N-th `os.replace` of the build (N drawn over all of its
replaces: every file write, folder swap and the manifest commit), the rest at a random moment.

A timed kill that comes after the build has finished is counted as "not killed" and not judged.
After each kill the build is run again, unkilled. Its outcome is one of:
  recovered    exit 0, the committed generation hashes as its manifest says, and every file of
               it (papers, titles, vectors, index, BM25, layout, map) is byte-for-byte the
               file an unkilled build makes from the same starting state and the same
               vector cache
  failed       the second build exited non-zero
  corrupt      the committed generation does not hash as its manifest says, or does not open
  different    it opens, but a file differs from the unkilled build's (a silent difference)
The oracle build starts from a copy of the same starting state whose vector cache is the
killed run's: int8 vectors depend in the last bits on the batch they were embedded in, and a
killed build leaves some of them cached, so only the same vectors can be asked for the same
bytes downstream. Every run uses PYTHONHASHSEED=0 (bm25s numbers terms in set order).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SUBSET = ROOT.parent / "shared" / "data" / "arxiv-cs-2025" / "subset-10cats.jsonl"
NAME = "lab"
SCENARIOS = ("first", "changed", "grow")

# Runs the CLI with os.replace counted; with EXPLORER_KILL_AT=N it SIGKILLs itself right after
# the N-th replace. The count of a full run is printed to fd 2 at exit for the planner.
_HOOK = """
import os, signal, sys, atexit
_real, _n, _at = os.replace, [0], int(os.environ.get("EXPLORER_KILL_AT", "0"))
def _replace(*a, **k):
    _real(*a, **k)
    _n[0] += 1
    if _n[0] == _at:
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = _replace
atexit.register(lambda: os.write(2, f"@@replaces {_n[0]}\\n".encode()))
sys.argv = ["explorer", *sys.argv[1:]]
from explorer.cli import main
main()
"""


def papers(n: int) -> list[dict]:
    """n real papers: the arXiv subset when it is here, else the seed corpus (41)."""
    if SUBSET.exists():
        rows = []
        with open(SUBSET, encoding="utf-8") as f:
            for line in f:
                rows.append(json.loads(line))
                if len(rows) == n:
                    break
        return rows
    from explorer import read_corpus
    from explorer.storage import seed_file

    return [p.to_dict() for p in read_corpus(seed_file(), listing_year=2026)][:n]


def write_inputs(work: Path, n: int) -> dict[str, Path]:
    rows = papers(n)
    base_n = max(5, len(rows) * 4 // 5)
    base, grown = rows[:base_n], rows
    changed = [dict(r) for r in base]
    for r in changed[:: max(1, len(changed) // 10)]:
        r["abstract"] = r["abstract"] + " We also release our code."
    out = {}
    for key, part in (("base", base), ("changed", changed), ("grow", grown)):
        path = work / f"{key}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), "utf-8")
        out[key] = path
    return out


def run(
    cache: Path,
    models: Path,
    file: Path,
    kill_at: int = 0,
    kill_after: float | None = None,
    timeout: float = 900,
) -> tuple[int, str]:
    env = {
        **os.environ,
        "EXPLORER_CACHE": str(cache),
        "EXPLORER_MODELS": str(models),
        "PYTHONHASHSEED": "0",
        "EXPLORER_KILL_AT": str(kill_at),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    # Each kind of build reads its own file (base, changed, grown): --replace says that the
    # changed one is meant to replace the built papers (explorer.sources refuses it otherwise).
    cmd = [sys.executable, "-c", _HOOK, "build", str(file), "--corpus", NAME, "--quiet"]
    cmd.append("--replace")
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after is not None else timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the build and any child it started
        out, err = proc.communicate()
    return proc.returncode, err.decode("utf-8", "replace")


def generation_files(cache: Path) -> tuple[dict | None, dict[str, bytes]]:
    folder = cache / NAME
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None, {}
    gen = folder / manifest.get("generation", "")
    files = {}
    for rel in manifest.get("files", {}):
        try:
            files[rel] = (gen / rel).read_bytes()
        except OSError:
            files[rel] = b"<missing>"
    return manifest, files


def _comparable(rel: str, data: bytes | None) -> object:
    """A file's bytes, less what records when it was made (the index's `created` stamp)."""
    if data is not None and rel == "index/meta.json":
        meta = json.loads(data)
        meta.pop("created", None)
        return meta
    return data


def _how(rel: str, a: bytes | None, b: bytes | None) -> str:
    """How two versions of a file differ, for the report (arrays: by how much)."""
    if a is None or b is None:
        return f"{rel} only in {'the oracle' if a is None else 'the recovered build'}"
    if rel.endswith(".npy"):
        import io

        import numpy as np

        x, y = (np.load(io.BytesIO(d), allow_pickle=False) for d in (a, b))
        if x.shape != y.shape:
            return f"{rel} shape {x.shape} vs {y.shape}"
        diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
        return f"{rel} {int((diff > 0).sum())} values differ, by {float(diff.max()):.3g} at most"
    return f"{rel} ({len(a)} vs {len(b)} bytes)"


def check(cache: Path) -> str | None:
    """What is wrong with a committed corpus (None: it verifies and opens)."""
    from explorer import Explorer
    from explorer.generations import read_manifest, verify
    from explorer.storage import Layout

    layout = Layout(cache / NAME)
    try:
        manifest = read_manifest(layout)
        if manifest is None:
            return "no manifest"
        problem = verify(Layout.of(layout.root, manifest), manifest, full=True)
        if problem:
            return problem
        ex = Explorer.open(NAME, root=cache)
        ex.related(ex.corpus[0].id, k=5, mode="hybrid")
        stable = layout.stable_map
        if (
            "map.html" in manifest["files"]
            and stable.read_bytes() != ex.layout.map_html.read_bytes()
        ):
            return "the stable map.html is not the committed one"
    except Exception as e:  # noqa: BLE001 - any failure to open is the finding
        return f"{type(e).__name__}: {e}"
    return None


class Trials:
    def __init__(self, work: Path, n_papers: int, seed: int) -> None:
        self.work, self.rng = work, random.Random(seed)
        self.models = work / "models"
        self.inputs = write_inputs(work, n_papers)
        self.templates: dict[str, Path] = {}
        self.plans: dict[str, tuple[int, float]] = {}  # scenario → (replaces, seconds)
        self.counts: Counter[str] = Counter()
        self.findings: list[str] = []
        self._oracles: dict[tuple[str, str], dict[str, bytes]] = {}

    def template(self, scenario: str) -> Path:
        """The starting state of a scenario: empty (first), or the base corpus built."""
        if scenario not in self.templates:
            t = self.work / f"template-{scenario}"
            if scenario != "first":
                base = self.template("first-built")
                shutil.copytree(base, t)
            elif not t.exists():
                t.mkdir(parents=True)
            self.templates[scenario] = t
        return self.templates[scenario]

    def input(self, scenario: str) -> Path:
        return self.inputs["base" if scenario == "first" else scenario]

    def prepare(self) -> None:
        built = self.work / "template-first-built"
        rc, err = run(built, self.models, self.inputs["base"])
        assert rc == 0, err
        self.templates["first-built"] = built
        for s in SCENARIOS:
            start = self.fresh(s, "plan")
            t0 = time.perf_counter()
            rc, err = run(start, self.models, self.input(s))
            assert rc == 0, err
            replaces = int(err.rsplit("@@replaces ", 1)[1].split()[0])
            self.plans[s] = (replaces, time.perf_counter() - t0)

    def fresh(self, scenario: str, tag: str) -> Path:
        dst = self.work / f"{scenario}-{tag}"
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(self.template(scenario), dst)
        if scenario == "first" and self.rng.random() < 0.5:  # a vector cache already half full
            shutil.copytree(
                self.template("first-built") / "vectors", dst / "vectors", dirs_exist_ok=True
            )
        return dst

    def trial(self, i: int, scenario: str, how: str, at: int | None = None) -> str:
        replaces, seconds = self.plans[scenario]
        cache = self.fresh(scenario, f"t{i}")
        if how == "replace":
            at = at or self.rng.randint(1, replaces)
            what = f"after replace {at}/{replaces}"
            rc, _ = run(cache, self.models, self.input(scenario), kill_at=at)
        else:
            after = self.rng.uniform(0.2, seconds)
            what = f"at {after:.1f}s of {seconds:.1f}s"
            rc, _ = run(cache, self.models, self.input(scenario), kill_after=after)
        if rc != -signal.SIGKILL:  # the build finished first: no kill to judge
            shutil.rmtree(cache, ignore_errors=True)
            self.counts["not killed"] += 1
            return "not killed"
        return self.judge(f"#{i} {scenario} killed {what}", scenario, cache)

    def judge(self, label: str, scenario: str, cache: Path) -> str:
        """Build again, unkilled, and say how the corpus came out (see the module's doc)."""
        rc, err = run(cache, self.models, self.input(scenario))
        if rc != 0:
            return self.found("failed", f"{label}: {err.strip().splitlines()[-1:]}")
        problem = check(cache)
        if problem:
            return self.found("corrupt", f"{label}: {problem}")
        _, got = generation_files(cache)
        want = self.oracle(scenario, cache, got.get("vectors.npy", b""))
        differ = sorted(
            k
            for k in set(got) | set(want)
            if _comparable(k, got.get(k)) != _comparable(k, want.get(k))
        )
        shutil.rmtree(cache, ignore_errors=True)
        if differ:
            how = "; ".join(_how(k, got.get(k), want.get(k)) for k in differ)
            return self.found("different", f"{label}: {how}")
        self.counts["recovered"] += 1
        return "recovered"

    def oracle(self, scenario: str, cache: Path, vectors: bytes) -> dict[str, bytes]:
        """The files an unkilled build makes from the scenario's start with `cache`'s vector
        cache (kept per scenario and vectors: most kills leave the same vectors)."""
        import hashlib

        key = (scenario, hashlib.sha256(vectors).hexdigest())
        if key not in self._oracles:
            oracle = self.fresh(scenario, "oracle")
            shutil.rmtree(oracle / "vectors", ignore_errors=True)
            shutil.copytree(cache / "vectors", oracle / "vectors")
            rc, err = run(oracle, self.models, self.input(scenario))
            assert rc == 0, err
            self._oracles[key] = generation_files(oracle)[1]
            shutil.rmtree(oracle, ignore_errors=True)
        return self._oracles[key]

    def found(self, kind: str, detail: str) -> str:
        self.counts[kind] += 1
        self.findings.append(f"{kind}: {detail}")
        return kind

    def run_all(self, kills: int, log=print, each_replace: bool = False) -> Counter[str]:
        """`kills` kills, alternating kinds of build, half right after a replace drawn at random
        and half at a random moment; or (`each_replace`) one kill right after every replace of
        every kind of build, in order."""
        self.prepare()
        log(f"plans (replaces, seconds of an unkilled build): {self.plans}")
        if each_replace:
            plan = [(s, "replace", at) for s in SCENARIOS for at in range(1, self.plans[s][0] + 1)]
        else:
            plan = [
                (SCENARIOS[i % 3], "replace" if (i // 3) % 2 == 0 else "time", None)
                for i in range(kills)
            ]
        for i, (scenario, how, at) in enumerate(plan):
            seen = len(self.findings)
            outcome = self.trial(i, scenario, how, at)
            where = f" {at}/{self.plans[scenario][0]}" if at else ""
            detail = f"  {self.findings[-1]}" if len(self.findings) > seen else ""
            log(f"{i + 1}/{len(plan)} {scenario:8s} {how}{where:6s} {outcome}{detail}")
        return self.counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--papers", type=int, default=240)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--each-replace",
        action="store_true",
        help="kill once right after every replace of every kind of build (--kills is ignored)",
    )
    args = ap.parse_args()
    import tempfile

    from _machine import describe

    work = args.work or Path(tempfile.mkdtemp(prefix="explorer-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    trials = Trials(work, args.papers, args.seed)
    counts = trials.run_all(
        args.kills, log=lambda s: print(s, flush=True), each_replace=args.each_replace
    )
    print(f"machine: {describe()}")
    kills = sum(n for kind, n in counts.items() if kind != "not killed")
    print(f"papers: {len(papers(args.papers))}; kills: {kills}; {time.perf_counter() - t0:.0f}s")
    for kind in ("recovered", "failed", "corrupt", "different", "not killed"):
        print(f"{kind}: {counts.get(kind, 0)}")
    for f in trials.findings:
        print(f)
    sys.exit(0 if counts.get("recovered", 0) == kills else 1)


if __name__ == "__main__":
    main()
