"""The topic tree (issue 26): levels that nest, labels against siblings, storage, API, CLI, growth.

Logic on a synthetic corpus of 4 fields x 3 topics x 3 subtopics (made-up words, the hash
embedder); what the real model makes of real papers on the 3,990-paper subset. Counts and
groupings are asserted with margins, never one machine's exact floats.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import HashEmbedder

from explorer import Explorer
from explorer.building import BuildReport
from explorer.cli import main
from explorer.maps import landscape, tree
from explorer.maps.labels import names_nothing
from explorer.papers import ExplorerError

FIELDS, TOPICS, SUBS, PER_SUB = 4, 3, 3, 35  # 1,260 papers


def made_up_words(n: int, seed: int = 7) -> list[str]:
    """n pronounceable words, no two sharing their first 3 letters (no label rule merges them)."""
    rng = np.random.default_rng(seed)
    cons, vows = "bdfgklmnprstvz", "aeiou"
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        w = "".join(rng.choice(list(cons)) + rng.choice(list(vows)) for _ in range(3))
        if w[:3] not in seen:
            seen.add(w[:3])
            out.append(w)
    return out


def synthetic_papers() -> list[dict[str, object]]:
    words = iter(made_up_words(FIELDS * 3 + FIELDS * TOPICS * 3 + FIELDS * TOPICS * SUBS * 3 + 40))
    rng = np.random.default_rng(0)
    filler = [next(words) for _ in range(40)]
    papers = []
    for f in range(FIELDS):
        fw = [next(words) for _ in range(3)]
        for t in range(TOPICS):
            tw = [next(words) for _ in range(3)]
            for s in range(SUBS):
                sw = [next(words) for _ in range(3)]
                for i in range(PER_SUB):
                    text = [*rng.choice(fw, 3), *rng.choice(tw, 3), *rng.choice(sw, 3)]
                    text += list(rng.choice(filler, 4))
                    rng.shuffle(text)
                    papers.append(
                        {
                            "id": f"s{f}{t}{s}-{i:03d}",
                            "title": " ".join(text[:4]),
                            "abstract": " ".join(text) + ".",
                            "categories": [f"f{f}.t{t}"],
                            "date": f"2024-0{1 + (i % 2)}-15",
                            "label": f"{f}/{t}/{s}",
                        }
                    )
    return papers


def build_synthetic(folder: Path) -> Explorer:
    """The synthetic papers built in `folder` with the hash embedder (corpus "synth")."""
    data = folder / "synth.jsonl"
    data.write_text("\n".join(json.dumps(p) for p in synthetic_papers()) + "\n", "utf-8")
    return Explorer.build(data, name="synth", root=folder / "cache", embedder=HashEmbedder())


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Explorer:
    folder = tmp_path_factory.mktemp("tree")
    return build_synthetic(folder)


def truth(ex: Explorer, depth: int) -> np.ndarray:
    """Each paper's synthetic field (depth 1), topic (2) or subtopic (3)."""
    return np.array(["/".join(dict(p.extra)["label"].split("/")[:depth]) for p in ex.corpus])


def purity(found: np.ndarray, labels: np.ndarray) -> float:
    """Share of papers whose topic's most common label is theirs (noise left out)."""
    keep = found >= 0
    total = 0
    for c in np.unique(found[keep]):
        _, counts = np.unique(labels[found == c], return_counts=True)
        total += counts.max()
    return total / max(int(keep.sum()), 1)


def test_the_synthetic_corpus_gets_three_levels_that_nest(synth):
    t = synth.landscape().tree
    assert t.depth == 3 and t.default == 1
    counts = [len(level) for level in t.topics]
    assert counts[0] < counts[1] < counts[2], counts
    assert 3 <= counts[0] <= 8
    np.testing.assert_array_equal(t.levels[t.default], synth.landscape().clusters)
    for lv in (1, 2):  # every topic has exactly one parent, and its papers are all under it
        for topic in t.topics[lv]:
            ups = np.unique(t.levels[lv - 1][t.levels[lv] == topic.id])
            assert ups.tolist() == [topic.parent]
            assert topic.id in t.topic(lv - 1, topic.parent).children
    for lv in range(3):
        assert sum(x.size for x in t.topics[lv]) + t.noise(lv) == len(synth.corpus)
    # fields are the synthetic fields, the finest topics lie within one synthetic topic
    assert purity(t.levels[0], truth(synth, 1)) >= 0.9
    assert purity(t.levels[2], truth(synth, 2)) >= 0.9


def test_labels_say_what_sets_a_topic_apart_from_its_siblings(synth):
    t = synth.landscape().tree
    for lv in (1, 2):
        for topic in t.topics[lv]:
            parent = t.topic(lv - 1, topic.parent)
            mine = set(topic.label.split(" · "))
            assert topic.label and not mine & set(parent.label.split(" · ")), (topic, parent)
    # siblings differ in their first word
    for lv in (1, 2):
        for parent in t.topics[lv - 1]:
            firsts = [t.topic(lv, c).label.split(" · ")[0] for c in parent.children]
            assert len(set(firsts)) == len(firsts)


def test_the_tree_is_saved_and_read_back_and_a_flat_landscape_is_one_level(synth, tmp_path):
    land = replace(synth.landscape(), key=synth.landscape().settings.key("h"))
    saved = landscape.save(tmp_path / "land", land, "h")
    assert (saved / "levels.npy").exists()
    meta = json.loads((saved / "topics.json").read_text("utf-8"))
    assert [len(x) for x in meta["tree"]["levels"]] == [len(x) for x in land.tree.topics]
    back = landscape.load(saved, land.settings, "h")
    assert back is not None and back.tree == land.tree
    # a landscape saved before trees: no "tree", no levels.npy
    del meta["tree"]
    (saved / "topics.json").write_text(json.dumps(meta), "utf-8")
    (saved / "levels.npy").unlink()
    flat = landscape.load(saved, land.settings, "h")
    assert flat is not None and flat.tree.depth == 1
    assert [x.id for x in flat.tree.topics[0]] == [x.id for x in land.topics]
    np.testing.assert_array_equal(flat.tree.levels[0], land.clusters)


def test_the_tree_is_the_same_twice(synth):
    land = synth.landscape()
    again = tree.build(
        np.asarray(synth.vectors), land.coords, land.clusters, [p.text for p in synth.corpus]
    )
    assert again == land.tree


def test_topics_by_level_with_parents_and_children(synth):
    assert synth.topics() == synth.topics(level=1)
    assert [t.id for t in synth.topics()] == [t.id for t in synth.landscape().topics]
    top = synth.topics(level=0)
    assert all(t.parent is None and t.children and t.level == 0 for t in top)
    assert all(t.papers and not t.children for t in synth.topics(level=2))
    for bad in (3, 9, -1):
        with pytest.raises(ExplorerError, match=f"no topic level {bad}"):
            synth.topics(level=bad)


def test_search_and_related_take_a_topic_of_any_level(synth):
    t = synth.landscape().tree
    field, fine = t.topics[0][0], t.topics[2][-1]
    query = synth.corpus[fine.rows[0]].abstract
    for key, lv, tid in ((f"0.{field.id}", 0, field.id), (f"2.{fine.id}", 2, fine.id)):
        hits = synth.search(query, k=20, mode="dense", topic=key)
        assert hits and all(t.levels[lv][synth.corpus.position(h.paper.id)] == tid for h in hits)
    hits = synth.related(synth.corpus[fine.rows[0]].id, k=5, mode="dense", topic=f"2.{fine.id}")
    assert all(t.levels[2][synth.corpus.position(h.paper.id)] == fine.id for h in hits)
    mid = synth.topics()[0]  # a bare id is a topic of the default level
    hits = synth.search(query, k=5, mode="dense", topic=mid.id)
    assert all(t.levels[1][synth.corpus.position(h.paper.id)] == mid.id for h in hits)
    with pytest.raises(ExplorerError, match="no topic level 7"):
        synth.search(query, topic="7.0")
    with pytest.raises(ExplorerError, match="bad topic 'x.y'"):
        synth.search(query, topic="x.y")


def test_to_pandas_has_one_column_per_level(synth):
    pytest.importorskip("pandas")
    df = synth.to_pandas()
    t = synth.landscape().tree
    for lv in range(3):
        assert df[f"topic_id_{lv}"].tolist() == t.levels[lv].tolist()
        names = {x.id: x.label for x in t.topics[lv]}
        assert df[f"topic_{lv}"].tolist() == [names[int(c)] for c in t.levels[lv]]
    assert df["topic"].tolist() == df["topic_1"].tolist()


def cli(ex: Explorer, *args: str):
    env = {"EXPLORER_CACHE": str(ex.layout.root.parent)}
    return CliRunner().invoke(main, ["topics", "--corpus", ex.name, *args], env=env)


def test_cli_topics_by_level_and_as_a_tree(synth):
    t = synth.landscape().tree
    out = cli(synth, "--level", "0", "--json")
    assert out.exit_code == 0, out.output
    assert [x["id"] for x in json.loads(out.stdout)] == [x.id for x in t.topics[0]]
    out = cli(synth, "--tree", "--json")
    doc = json.loads(out.stdout)
    assert doc["default_level"] == 1 and len(doc["levels"]) == 3 and doc["noise"] == [0, 0, 0]
    assert [x["children"] for x in doc["levels"][0]] == [list(x.children) for x in t.topics[0]]
    out = cli(synth, "--tree")
    lines = out.stdout.splitlines()
    assert len(lines) == sum(len(x) for x in t.topics)
    assert lines[0].startswith("0.") and lines[1].startswith("    1.")
    out = cli(synth, "--level", "9")
    assert out.exit_code != 0 and "no topic level 9" in out.output
    assert len([x for x in out.output.splitlines() if x.strip()]) == 1


def test_cli_grown_since_lists_the_topics_with_new_papers(synth):
    out = cli(synth, "--grown-since", "2024-02-01", "--level", "0", "--json")
    found = json.loads(out.stdout)
    assert sum(x["new"] for x in found) == sum(p.date >= "2024-02-01" for p in synth.corpus)
    assert [x["new"] for x in found] == sorted((x["new"] for x in found), reverse=True)
    out = cli(synth, "--grown-since", "soon")
    assert out.exit_code != 0 and "bad date 'soon'" in out.output


def test_growth_places_new_papers_at_every_level(synth):
    land = synth.landscape()
    v = np.asarray(synth.vectors)
    n_old = len(v) - 30
    old = landscape.Landscape(
        land.coords[:n_old],
        land.clusters[:n_old],
        land.topics,
        land.settings,
        land.key,
        {},
        tree.Tree(land.tree.levels[:, :n_old], land.tree.topics, land.tree.default),
    )
    grown = landscape.extend(old, v, "h2")
    t = grown.tree
    assert t.depth == 3 and t.levels.shape == (3, len(v))
    np.testing.assert_array_equal(t.levels[:, :n_old], land.tree.levels[:, :n_old])
    for lv in (1, 2):  # new papers nest too
        up = {x.id: x.parent for x in t.topics[lv]}
        assert all(
            up[int(c)] == int(p) for c, p in zip(t.levels[lv], t.levels[lv - 1], strict=True)
        )
    assert sum(grown.extra["grown"][k] for k in grown.extra["grown"] if k.startswith("2.")) == 30
    # the new papers mostly land where the full build put them
    assert (t.levels[0, n_old:] == land.tree.levels[0, n_old:]).mean() >= 0.9
    # a growth build's report: the topics they joined, at the default level and the top one
    report = BuildReport("synth", len(v), len(v), 0, [], 30, n_old, False, 1.0, Path("."))
    report.add_growth(t, synth.corpus, 30)
    assert report.grown == 30 and report.growth() is not None
    for found, lv in ((report.grown_topics, 1), (report.grown_fields, 0)):
        assert {x["key"]: x["new"] for x in found} == {
            k: n for k, n in grown.extra["grown"].items() if k.startswith(f"{lv}.")
        }
        assert sum(x["new"] for x in found) + report.grown_noise == 30
        assert [x["new"] for x in found] == sorted((x["new"] for x in found), reverse=True)
        assert all(x["label"] == t.topic(lv, x["id"]).label for x in found)


def test_small_corpora_have_one_level(seed_vectors, seed_corpus):
    from explorer.maps import topics

    clusters = topics.cluster_vectors(seed_vectors, assign_noise=True)
    coords = topics.project(seed_vectors)
    t = tree.build(seed_vectors, coords, clusters, [p.text for p in seed_corpus])
    assert t.depth == 1 and t.default == 0
    assert all(x.parent is None and not x.children for x in t.topics[0])


def test_words_that_name_no_topic_are_stopped():
    for w in ("increasingly", "derive", "lower", "significantly", "highly", "effectively"):
        assert names_nothing(w), w
    for w in ("anomaly", "family", "assembly", "lower bounds", "robot", "supply"):
        assert not names_nothing(w), w


def test_parse_key_names_a_topic_at_a_level():
    assert tree.parse_key("0.3", 1) == (0, 3)
    assert tree.parse_key(7, 1) == (1, 7)
    with pytest.raises(ExplorerError, match="bad topic"):
        tree.parse_key("a", 1)


@pytest.mark.slow
def test_the_subset_tree_with_the_real_model(subset_explorer):
    """3,990 real papers, the real model: a few fields, ~10 topics, finer ones below them.
    Measured (5 UMAP seeds, docs/quality.md): 4-6 / 9-14 / 22-55 topics."""
    land = subset_explorer.landscape()
    t = land.tree
    counts = [len(x) for x in t.topics]
    assert t.depth == 3 and t.default == 1, counts
    assert 3 <= counts[0] <= 8 and 7 <= counts[1] <= 25 and counts[2] >= max(15, counts[1] + 5)
    cats = np.array([dict(p.extra)["label"] for p in subset_explorer.corpus])
    for cat in ("cs.GT", "cs.IT"):  # game theory and information theory are each one field
        _, n = np.unique(t.levels[0][cats == cat], return_counts=True)
        assert n.max() >= 0.7 * (cats == cat).sum(), cat
    for lv in (1, 2):
        for topic in t.topics[lv]:
            up = t.topic(lv - 1, topic.parent).label
            words = {w for term in up.split(" · ") for w in term.split()}
            assert not words & {w for term in topic.label.split(" · ") for w in term.split()}
    for level in t.topics:
        for topic in level:
            assert not any(names_nothing(term) for term in topic.label.split(" · ")), topic
