"""Map settings never stick silently: a command's options shape its own output; the corpus's
own settings change only through `build`, which says so; `topics`, `map` and map.html agree;
and changing only the topics' settings reuses the saved map instead of running UMAP again.

On 42 papers in three subjects of their own words, embedded by `HashEmbedder` (the settings
logic needs vectors, not MiniLM): three groups far apart, so that HDBSCAN finds them at any
topic size up to 14 on any processor's UMAP layout. (On the seed papers' hash vectors the map
has no such structure: at --min-cluster-size 4 an AVX-512 EPYC's layout was one cluster, which
HDBSCAN calls noise, where an AVX2 one's had four.)
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import HashEmbedder  # tests/fakes.py

from explorer import Explorer
from explorer.cli import main


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`explorer ARGS` in-process on a fresh cache, any model it makes being the hash one."""
    monkeypatch.setattr("explorer.building.Embedder", lambda *a, **k: HashEmbedder())
    monkeypatch.setattr("explorer.parts.Embedder", lambda *a, **k: HashEmbedder())
    cache = tmp_path / "cache"
    runner = CliRunner()

    def run(command: str, *args: str):
        argv = [command, "--corpus", NAME, *args]
        out = runner.invoke(main, argv, env={"EXPLORER_CACHE": str(cache)})
        assert out.exit_code == 0, out.stderr
        return out

    run.cache = cache  # type: ignore[attr-defined]
    return run


SUBJECTS = {
    "astronomy": "galaxy stellar orbit telescope nebula comet planet quasar redshift",
    "cooking": "recipe flour oven butter sauce simmer garlic pastry roast",
    "sailing": "hull keel mast rudder tide harbour knot jib anchor",
}


NAME = "subjects"


def build_seeds(cache) -> Explorer:
    """The three-subject corpus, its topics found on the map."""
    rows = []
    for subject, words in SUBJECTS.items():
        w = words.split()
        for i in range(14):
            picked = " ".join(w[(i + j) % len(w)] for j in range(6))
            rows.append({"id": f"{subject}-{i}", "title": f"{subject} {i}", "abstract": picked})
    src = cache.parent / f"{NAME}.jsonl"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return Explorer.build(
        src, name=NAME, root=cache, embedder=HashEmbedder(), settings={"clusterer": "map"}
    )


def topic_sizes(out) -> list[int]:
    return [t["size"] for t in json.loads(out.stdout)]


def test_map_and_topics_options_apply_to_their_output_only(cli):
    build_seeds(cli.cache)
    seeds = cli.cache / NAME
    page = (seeds / "map.html").read_bytes()
    manifest = (seeds / "manifest.json").read_text()
    own = topic_sizes(cli("topics", "--json"))
    other = topic_sizes(cli("topics", "--json", "--min-cluster-size", "4"))
    assert other and min(other) >= 4 and sum(other) == 42
    out = cli("map", "--min-cluster-size", "4")  # no --out: a one-off page, not the map
    path = out.stdout.strip()
    assert "/views/" in path and path.endswith(".html")
    assert (seeds / "map.html").read_bytes() == page
    assert (seeds / "manifest.json").read_text() == manifest
    assert topic_sizes(cli("topics", "--json")) == own
    out = cli("build")
    assert "already up to date" in out.stderr and "map setting" not in out.stderr


def test_build_changes_the_corpus_settings_says_so_and_auto_goes_back(cli):
    build_seeds(cli.cache)
    own = topic_sizes(cli("topics", "--json"))
    out = cli("build", "--min-cluster-size", "4")
    assert "map setting min_cluster_size: auto -> 4 (now this corpus's own)" in out.stderr
    manifest = json.loads((cli.cache / NAME / "manifest.json").read_text())
    assert manifest["settings"]["min_cluster_size"] == 4
    assert manifest["settings"]["clusterer"] == "map"  # the other settings stay as they were
    sizes = topic_sizes(cli("topics", "--json"))
    assert sizes and min(sizes) >= 4
    page = (cli.cache / NAME / "map.html").read_text("utf-8")
    assert page.count('"name":"topic ') == len(sizes)  # the page draws the corpus's topics
    out = cli("build", "--min-cluster-size", "auto")
    assert "map setting min_cluster_size: 4 -> auto" in out.stderr
    assert topic_sizes(cli("topics", "--json")) == own


def test_new_topic_settings_reuse_the_saved_map(tmp_path):
    root = tmp_path / "cache"
    first = build_seeds(root)
    assert "project" in first.report.extra["stages"]
    again = Explorer.build(
        name=NAME, root=root, embedder=HashEmbedder(), settings={"min_cluster_size": 4}
    )
    assert "project" not in again.report.extra["stages"], "UMAP ran again"
    assert again.report.extra["settings_changed"] == {"min_cluster_size": (None, 4)}
    a, b = first.landscape(), again.landscape()
    assert np.array_equal(a.coords, b.coords)
    assert np.bincount(b.clusters[b.clusters >= 0]).min() >= 4
    # a one-off view with other topic settings also lays nothing out again
    view = Explorer.open(NAME, root=root).landscape(replace(again.settings, min_cluster_size=5))
    assert np.array_equal(view.coords, a.coords)
    moved = Explorer.build(name=NAME, root=root, embedder=HashEmbedder(), settings={"seed": 7})
    assert "project" in moved.report.extra["stages"]  # another seed is another map
    assert not np.array_equal(moved.landscape().coords, a.coords)
