"""What a build reads: a corpus's own files unless told otherwise, and where the cache lives.

Issue 23's findings 1 and 3: `explorer build --corpus k --min-cluster-size 25` replaced the
3,990-paper corpus `k` with the 41 seed papers, and a notebook run from `notebooks/` made a
new `notebooks/cache/` (7 min of probing and embedding) instead of finding what the CLI built.
Storage logic only: the hash embedder stands in for the model (the real one builds in
test_cli.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import HashEmbedder  # tests/fakes.py

from explorer import Explorer, ExplorerError
from explorer.cli import main
from explorer.readers import read_corpus
from explorer.storage import cache_root, default_cache

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "000_67f743c21ede86c5.txt"


def write(path: Path, papers) -> Path:
    rows = [{"id": p.id, "title": p.title, "abstract": p.abstract} for p in papers]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def papers():
    return list(read_corpus(SEEDS, listing_year=2026))


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """`explorer ARGS` in-process on a private cache, the hash embedder in the model's place."""
    monkeypatch.setattr("explorer.building.Embedder", lambda *a, **k: HashEmbedder())
    cache = tmp_path / "cache"

    def run(*args: str):
        return CliRunner().invoke(main, list(args), env={"EXPLORER_CACHE": str(cache)})

    return run, cache


def test_a_build_without_files_reads_the_corpus_own_files_again(cli, papers, tmp_path):
    run, cache = cli
    src = write(tmp_path / "mine.jsonl", papers[:12])
    first = run("build", str(src), "--corpus", "k")
    assert first.exit_code == 0, first.output
    # The command: a settings change on a named corpus, no file.
    again = run("build", "--corpus", "k", "--min-cluster-size", "3")
    assert again.exit_code == 0, again.output
    assert "k: 12 papers" in again.output, again.output  # not "41 papers" (the seeds)
    assert "map setting min_cluster_size: auto -> 3" in again.output
    ex = Explorer.open("k", root=cache)
    assert ex.corpus.ids == [p.id for p in papers[:12]]
    assert ex.settings.min_cluster_size == 3
    assert ex.manifest["sources"] == [str(src.resolve())]


def test_a_build_from_other_files_needs_replace(cli, papers, tmp_path):
    run, cache = cli
    mine = write(tmp_path / "mine.jsonl", papers[:8])
    other = write(tmp_path / "other.jsonl", papers[20:30])
    assert run("build", str(mine), "--corpus", "k", "--no-map").exit_code == 0
    refused = run("build", str(other), "--corpus", "k", "--no-map")
    assert refused.exit_code == 1
    line = refused.output.strip()
    assert line == (
        f"Error: corpus 'k' was built from {mine.resolve()}; building it from {other} would "
        "replace its papers: add --replace (replace=True) to do that, or name another corpus "
        "with --corpus"
    )
    assert Explorer.open("k", root=cache).corpus.ids == [p.id for p in papers[:8]]  # kept
    # Its own file followed by another grows it, and so does a new file that holds its papers
    # first (next month's dump); --replace replaces it.
    grown = run("build", str(mine), str(other), "--corpus", "k", "--no-map")
    assert grown.exit_code == 0, grown.output
    assert len(Explorer.open("k", root=cache).corpus) == 18
    dump = write(tmp_path / "next-month.jsonl", papers[:8] + papers[20:30] + papers[35:38])
    monthly = run("build", str(dump), "--corpus", "k", "--no-map")
    assert monthly.exit_code == 0, monthly.output
    assert "embedded 3," in monthly.output  # only the new papers
    assert len(Explorer.open("k", root=cache).corpus) == 21
    refused = run("build", str(other), "--corpus", "k", "--no-map")
    assert "would replace its papers" in refused.output and refused.exit_code == 1
    replaced = run("build", str(other), "--corpus", "k", "--no-map", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert Explorer.open("k", root=cache).corpus.ids == [p.id for p in papers[20:30]]


def test_a_corpus_whose_files_are_gone_or_never_built(cli, papers, tmp_path):
    run, cache = cli
    src = write(tmp_path / "gone.jsonl", papers[:6])
    assert run("build", str(src), "--corpus", "k", "--no-map").exit_code == 0
    src.unlink()
    gone = run("build", "--corpus", "k")
    assert gone.exit_code == 1
    assert gone.output.strip() == (
        f"Error: corpus 'k' was built from {src.resolve()}, which is gone; give its files: "
        "explorer build FILE --corpus k (the corpus as it is stays usable)"
    )
    assert len(Explorer.open("k", root=cache).corpus) == 6
    never = run("build", "--corpus", "nope")
    assert never.exit_code == 1
    assert never.output.strip() == (
        f"Error: corpus 'nope' is not built in {cache}; give its files: "
        "explorer build FILE --corpus nope"
    )
    with pytest.raises(ExplorerError, match="'nope' is not built"):
        Explorer.build(name="nope", root=cache, embedder=HashEmbedder())


def test_the_seed_corpus_still_builds_without_files(cli):
    run, cache = cli
    out = run("build", "--no-map")
    assert out.exit_code == 0 and "seeds: 41 papers" in out.output, out.output
    assert (cache / "seeds" / "manifest.json").exists()


# ------------------------------------------------------------------ where the cache lives
@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No $EXPLORER_CACHE, an empty working directory, and the user's cache folder in tmp."""
    monkeypatch.delenv("EXPLORER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_the_default_cache_is_the_users_whatever_the_working_directory(no_env, tmp_path):
    assert default_cache() == tmp_path / "xdg" / "explorer"
    assert cache_root() == default_cache()
    (no_env / "notebooks").mkdir()
    import os

    os.chdir(no_env / "notebooks")
    assert cache_root() == default_cache()  # not ./cache of wherever it runs


def test_an_older_cache_in_the_working_directory_is_used_and_said_once(no_env, capsys):
    (no_env / "cache" / "seeds").mkdir(parents=True)
    (no_env / "cache" / "seeds" / "manifest.json").write_text("{}")
    assert cache_root() == Path("cache")
    assert cache_root() == Path("cache")
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"note: using {no_env / 'cache'} (an explorer cache in the working directory); the "
        f"default is now {default_cache()}: move it there, or set EXPLORER_CACHE"
    ]
    # An unrelated folder named cache is not taken for one.
    (no_env / "other" / "cache").mkdir(parents=True)
    import os

    os.chdir(no_env / "other")
    assert cache_root() == default_cache()


def test_the_cache_option_and_a_notebook_find_what_the_cli_built(no_env, papers, monkeypatch):
    monkeypatch.setattr("explorer.building.Embedder", lambda *a, **k: HashEmbedder())
    src = write(no_env / "mine.jsonl", papers[:5])
    out = CliRunner().invoke(main, ["build", str(src), "--no-map"])
    assert out.exit_code == 0, out.output
    import os

    (no_env / "notebooks").mkdir()
    os.chdir(no_env / "notebooks")  # where a notebook runs
    assert len(Explorer.open("mine").corpus) == 5
    elsewhere = no_env / "elsewhere"
    out = CliRunner().invoke(main, ["--cache", str(elsewhere), "build", str(src), "--no-map"])
    assert out.exit_code == 0, out.output
    assert (elsewhere / "mine" / "manifest.json").exists()
