"""Every example in the README runs: each `explorer …` line and the Python block, as written,
in a real process on the seed corpus (and on the seeds written as `papers.jsonl.gz`, the file
the examples name). An example that fails on the default corpus fails the suite."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text("utf-8"), re.S)


def commands() -> list[str]:
    """The `explorer` lines of the README's shell blocks, their trailing comments removed."""
    out = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if line.startswith("explorer "):
                out.append(re.split(r"\s{2,}#", line)[0].strip())
    return out


def test_the_readme_has_examples_to_run():
    cmds = commands()
    assert len(cmds) >= 8 and any(c.startswith("explorer build") for c in cmds)
    assert len(blocks("python")) == 1


# A reference manager's export: two seed papers (other keys, a DOI, "Family, Given"), one not.
MYLIB = r"""@inproceedings{pavlopoulos2020,
  title = {Toxicity Detection: Does Context Really Matter?},
  author = {Pavlopoulos, John and Sorensen, Jeffrey and Dixon, Lucas},
  booktitle = {Proceedings of {ACL} 2020},
  year = {2020},
  doi = {10.18653/v1/2020.acl-main.396},
}
@article{wulczyn2017ex,
  title = {Ex {Machina}: Personal Attacks Seen at Scale},
  author = {Wulczyn, Ellery and Thain, Nithum and Dixon, Lucas},
  year = 2017,
}
@misc{doe2024hate,
  title = {Detecting Hate Speech in Online Forums with Weak Supervision},
  author = {Doe, Jane},
  year = {2024},
  abstract = {Online forums are flooded with hate speech and offensive comments. We train
    classifiers of abusive language from weak labels given by moderators.},
}
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, seed_corpus) -> Path:
    d = tmp_path_factory.mktemp("readme")
    with gzip.open(d / "papers.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(seed_corpus.to_jsonl())
    (d / "my-draft-abstract.txt").write_text(seed_corpus[3].abstract, encoding="utf-8")
    (d / "mylib.bib").write_text(MYLIB, encoding="utf-8")
    # judgements in CSFCube's layout: one query paper, one facet, a pool of 10 graded papers
    rows = [
        f"{seed_corpus[0].id}\tmethod\t{p.id}\t{i % 4}" for i, p in enumerate(seed_corpus[1:11])
    ]
    (d / "qrels.tsv").write_text(
        "query_id\tfacet\tcandidate_id\trelevance_0to3\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return d


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, EXPLORER_CACHE=str(cwd / "cache"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("command", commands())
def test_each_command_of_the_readme_runs(workdir, command):
    if command.startswith("explorer serve"):
        return serves(command, workdir)
    out = run(["bash", "-c", command], workdir)
    assert out.returncode == 0, f"{command}\n{out.stderr}"
    assert "Traceback" not in out.stderr
    assert out.stdout.strip(), f"{command} printed nothing"


def test_the_python_example_of_the_readme_runs(workdir):
    out = run([sys.executable, "-c", blocks("python")[0]], workdir)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 5 and all(re.match(r"^\d\.\d{3}  \S", line) for line in lines)
    assert (workdir / "map.html").stat().st_size > 100_000


def serves(command: str, cwd: Path) -> None:
    """A server example: it answers its API on loopback, then Ctrl-C stops it with status 0.
    A free port stands in for the default one; $BROWSER=true stands in for the browser tab."""
    import json
    import signal
    import urllib.request

    env = dict(os.environ, EXPLORER_CACHE=str(cwd / "cache"), BROWSER="true")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = ["bash", "-c", f"exec {command}" + ("" if "--port" in command else " --port 0")]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        lines = []
        while not (url := re.search(r"http://127\.0\.0\.1:\d+/", "".join(lines[-1:]))):
            line = proc.stderr.readline()
            assert line, f"{command} stopped: {''.join(lines)}"
            lines.append(line)
        with urllib.request.urlopen(url.group(0) + "api/info", timeout=60) as r:
            assert json.load(r)["papers"] == 41
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "Traceback" not in "".join(lines) + rest
