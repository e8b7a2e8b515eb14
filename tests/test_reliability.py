"""Builds that are killed, run at once, or meet a full, read-only or wrong disk (issue 10).

Every case runs the real command in real processes on real papers, and checks the committed
corpus against its manifest (every file hashed) and against an unkilled build's bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_explorer  # tests/helpers.py

from explorer import Explorer
from explorer.generations import read_manifest, verify
from explorer.storage import Layout

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import crash  # noqa: E402  (benchmarks/crash.py: the kill harness, shared with the benchmark)

pytestmark = pytest.mark.slow


explorer = run_explorer


def committed(cache: Path, name: str) -> dict:
    layout = Layout(cache / name)
    manifest = read_manifest(layout)
    assert manifest is not None
    assert verify(Layout.of(layout.root, manifest), manifest, full=True) is None
    return manifest


@pytest.fixture(scope="module")
def trials(tmp_path_factory, shared_models):
    """The kill harness on 41 real papers (the seed corpus's, or the arXiv subset's)."""
    t = crash.Trials(tmp_path_factory.mktemp("crash"), 41, seed=1)
    t.models = shared_models
    t.prepare()
    return t


# Fixed kill points that reproduce what the kill probe found, then random ones.
@pytest.mark.parametrize(
    "scenario, where",
    [
        # Counted from the end, a build's last replaces are: the map in the new generation
        # (-3), the manifest, which commits it (-2), the copy of the map at the stable path (-1).
        ("changed", 2),  # between the save's replaces: papers.jsonl new, vectors and index old
        ("changed", -2),  # right after the commit, before the old generation goes
        ("grow", -3),  # after the map was written, before the commit: the stale-map case
        ("grow", -2),  # right after the commit: the stable map.html is still the old one
        ("first", 1),
    ],
)
def test_a_build_killed_at_a_replace_recovers_to_the_unkilled_bytes(trials, scenario, where):
    replaces, _ = trials.plans[scenario]
    at = where if where > 0 else replaces + 1 + where
    cache = trials.fresh(scenario, f"fixed-{scenario}-{at}")
    crash.run(cache, trials.models, trials.input(scenario), kill_at=at)
    assert (
        trials.judge(f"{scenario} after replace {at}/{replaces}", scenario, cache) == "recovered"
    ), trials.findings


def test_builds_killed_at_random_moments_recover(trials):
    outcomes = [trials.trial(100 + i, s, "time") for i, s in enumerate(crash.SCENARIOS)]
    assert set(outcomes) <= {"recovered", "not killed"}, trials.findings


def test_a_killed_build_never_leaves_the_old_corpus_unreadable(trials):
    """While a build of a changed corpus is killed, what was committed still opens whole."""
    cache = trials.fresh("changed", "readable")
    before = committed(cache, crash.NAME)
    crash.run(cache, trials.models, trials.input("changed"), kill_at=3)
    after = committed(cache, crash.NAME)
    assert after == before  # not committed: the old generation is still the corpus
    assert crash.check(cache) is None


# --- concurrency -------------------------------------------------------------------------


def _start(cache: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "EXPLORER_CACHE": str(cache), "PYTHONHASHSEED": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "explorer", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_builds_of_one_corpus_at_once_take_turns(trials, tmp_path):
    """10 rounds: two builds of the same corpus (two versions of it, from two files: each
    replaces the other's papers, hence --replace) started together."""
    cache = tmp_path / "cache"
    a, b = trials.input("first"), trials.input("changed")
    waited = 0
    for round_ in range(10):
        procs = [
            _start(cache, "build", str(f), "--corpus", "lab", "--no-map", "--replace")
            for f in (a, b)
        ]
        outs = [p.communicate(timeout=600) for p in procs]
        for p, (_, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, f"round {round_}: {err}"
            assert "Traceback" not in err
        waited += sum("waiting for another build of corpus 'lab'" in err for _, err in outs)
        manifest = committed(cache, "lab")
        assert manifest["sources"][0] in (str(a), str(b))
    assert waited >= 1, "the second build never waited: the lock was not exercised"


def test_readers_never_see_a_half_written_corpus(trials, tmp_path):
    """related and search in a loop in another process while the corpus is rebuilt 10 times."""
    cache = tmp_path / "cache"
    a, b = trials.input("first"), trials.input("changed")
    assert (
        explorer(
            "build", str(a), "--corpus", "lab", "--no-map", "--replace", cache=cache
        ).returncode
        == 0
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(cache), str(tmp_path / "stop")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for i in range(10):
            out = explorer(
                "build",
                str(b if i % 2 == 0 else a),
                "--corpus",
                "lab",
                "--no-map",
                "--replace",
                cache=cache,
            )
            assert out.returncode == 0, out.stderr
    finally:
        (tmp_path / "stop").touch()
        stdout, stderr = reader.communicate(timeout=120)
    assert reader.returncode == 0, stderr
    report = json.loads(stdout)
    assert report["errors"] == [] and report["rounds"] >= 10


_READER = """
import json, sys, time
from pathlib import Path
from explorer import Explorer
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
errors, rounds = [], 0
while not stop.exists() or rounds < 10:
    try:
        ex = Explorer.open("lab", root=root)
        first = ex.corpus[0].id
        hits = ex.related(first, k=5, mode="hybrid")
        found = ex.search("language models", k=5, mode="lexical")
        assert len(hits) == 5 and len(found) == 5, (len(hits), len(found))
        assert all(h.paper.id in ex.index.ids for h in hits + found)
        rounds += 1
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
        if len(errors) > 5:
            break
print(json.dumps({"errors": errors, "rounds": rounds}))
"""


def test_two_corpora_built_at_once_on_one_cache(trials, tmp_path):
    """10 rounds, each on a fresh cache: both embed at once into one SQLite vector cache."""
    a, b = trials.input("first"), trials.input("changed")
    for round_ in range(10):
        cache = tmp_path / f"cache{round_}"
        procs = [
            _start(cache, "build", str(f), "--corpus", name, "--no-map")
            for f, name in ((a, "one"), (b, "two"))
        ]
        for p in procs:
            _, err = p.communicate(timeout=600)
            assert p.returncode == 0 and "Traceback" not in err, f"round {round_}: {err}"
        committed(cache, "one")
        committed(cache, "two")


# --- disk and permission faults ----------------------------------------------------------


@contextlib.contextmanager
def mounted(target: Path, *options: str):
    target.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot mount here ({out.stderr.strip() or out.returncode})")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _one_error_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 1, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def test_a_full_disk_is_one_line_and_keeps_the_corpus_built_before(trials, tmp_path):
    src = trials.input("first")
    with mounted(tmp_path / "small", "-t", "tmpfs", "-o", "size=3m", "tmpfs") as cache:
        # 32 papers without a map fit in 3 MB; a map (plotly.js inline, 4.7 MB) does not.
        assert (
            explorer(
                "build", str(src), "--corpus", "lab", "--no-map", "--replace", cache=cache
            ).returncode
            == 0
        )
        before = committed(cache, "lab")
        line = _one_error_line(explorer("build", str(src), "--corpus", "lab", cache=cache))
        assert "the disk is full" in line and "the corpus as it was before is kept" in line
        assert committed(cache, "lab") == before
        assert not [
            p
            for p in (cache / "lab").iterdir()
            if p.name.startswith("g-") and p.name != before["generation"]
        ], "the half-written generation is gone"
        hits = Explorer.open("lab", root=cache).related(
            Explorer.open("lab", root=cache).corpus[0].id, k=3, mode="dense"
        )
        assert len(hits) == 3


def test_a_read_only_cache_is_one_line_and_still_opens(trials, tmp_path):
    src, cache = trials.input("first"), tmp_path / "cache"
    assert (
        explorer(
            "build", str(src), "--corpus", "lab", "--no-map", "--replace", cache=cache
        ).returncode
        == 0
    )
    before = committed(cache, "lab")
    with mounted(cache, "--bind", str(cache)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(cache)], check=True)
        line = _one_error_line(
            explorer(
                "build",
                str(trials.input("changed")),
                "--corpus",
                "lab",
                "--no-map",
                "--replace",
                cache=cache,
            )
        )
        assert "the file system is read-only" in line
        out = explorer(
            "related",
            Explorer.open("lab", root=cache).corpus[0].id,
            "-c",
            "lab",
            "-k",
            "3",
            "--mode",
            "dense",
            cache=cache,
        )
        assert out.returncode == 0 and len(out.stdout.strip().splitlines()) == 4, out.stderr
    assert committed(cache, "lab") == before


def test_a_cache_that_is_a_file_is_one_line(trials, tmp_path):
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    line = _one_error_line(
        explorer("build", str(trials.input("first")), "--corpus", "lab", cache=cache)
    )
    assert "a path in it is a file, not a folder" in line and str(cache) in line
    line = _one_error_line(explorer("related", "x", "-c", "lab", cache=cache))
    assert "is not built" in line or "file, not a folder" in line
    assert cache.read_text() == "not a folder"


def test_the_lock_waits_and_says_so(tmp_path):
    """In-process: a second holder waits for the first (the message is on stderr)."""
    import threading

    from explorer.generations import build_lock

    layout = Layout(tmp_path / "lab")
    order: list[str] = []
    with build_lock(layout):
        t = threading.Thread(target=lambda: _hold(layout, order))
        t.start()
        time.sleep(0.3)
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]


def _hold(layout: Layout, order: list[str]) -> None:
    from explorer.generations import build_lock

    with build_lock(layout, quiet=True):
        order.append("second")
