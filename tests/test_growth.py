"""Adding papers to a built corpus: only they are embedded, appended, and placed on the map;
the build says which topics they joined."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from explorer import Explorer, ExplorerError, Paper
from explorer.building import BuildReport
from explorer.cli import main
from explorer.index.sentences import paper_sentences
from explorer.maps.topics import Topic
from explorer.maps.tree import Tree
from explorer.storage import seed_file


def split_seed(tmp_path, n_first: int):
    """The seed corpus as JSON Lines: the first n papers, and the whole of it."""
    from explorer import read_corpus

    papers = list(read_corpus(seed_file(), listing_year=2026))
    first, whole = tmp_path / "first.jsonl", tmp_path / "whole.jsonl"
    for path, rows in ((first, papers[:n_first]), (whole, papers)):
        path.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in rows), encoding="utf-8")
    return first, whole


def test_added_papers_are_embedded_alone_and_placed_without_moving_old_points(tmp_path, embedder):
    first, whole = split_seed(tmp_path, 35)
    root = tmp_path / "cache"
    small = Explorer.build(first, name="lab", root=root, embedder=embedder)
    before = small.landscape()
    calls = embedder.calls
    grown = Explorer.build(whole, name="lab", root=root, embedder=embedder)
    # only the 6 new papers reach the model, once each: their sentences come from that pass
    assert embedder.calls - calls == 6
    assert len(grown.layout.sentences.exists() and grown._parts.sentences.of(40)) == len(
        paper_sentences(grown.corpus[40])
    )
    assert grown.report is not None and grown.report.embedded == 6
    after = grown.landscape()
    np.testing.assert_array_equal(after.coords[:35], before.coords)
    np.testing.assert_array_equal(after.clusters[:35], before.clusters)
    assert [t.label for t in after.topics if t.id in before.label_names] == [
        before.label_names[t.id] for t in after.topics if t.id in before.label_names
    ]
    assert after.extra["placed"] == 6 and after.coords.shape == (41, 2)
    assert sum(t.size for t in after.topics) == int((after.clusters >= 0).sum())
    # The index grew in place and answers for old and new papers alike.
    assert len(grown.index) == 41 and grown.index.ids[:35] == small.index.ids
    new_id = grown.corpus[40].id
    assert grown.related(new_id, k=3, mode="dense")[0].paper.id != new_id
    # A reopened corpus serves the grown map as it is (no re-layout).
    again = Explorer.open("lab", root=root).landscape()
    np.testing.assert_array_equal(again.coords, after.coords)


def test_rebuild_lays_the_map_out_afresh(tmp_path, embedder):
    first, whole = split_seed(tmp_path, 35)
    root = tmp_path / "cache"
    Explorer.build(first, name="lab", root=root, embedder=embedder)
    fresh = Explorer.build(whole, name="lab", root=root, embedder=embedder, rebuild=True)
    land = fresh.landscape()
    assert land.extra.get("placed", 0) == 0
    scratch = Explorer.build(whole, name="other", root=root, embedder=embedder).landscape()
    np.testing.assert_array_equal(land.coords, scratch.coords)


def test_a_changed_paper_is_not_growth(tmp_path, embedder):
    first, whole = split_seed(tmp_path, 35)
    root = tmp_path / "cache"
    Explorer.build(first, name="lab", root=root, embedder=embedder)
    rows = [json.loads(line) for line in whole.read_text().splitlines()]
    rows[0]["abstract"] += " Revised."
    whole.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # Another file that changes a paper built from the first one replaces the corpus's
    # papers: that needs saying (explorer.sources), and then it is laid out afresh.
    with pytest.raises(ExplorerError, match="would replace its papers: add --replace"):
        Explorer.build(whole, name="lab", root=root, embedder=embedder)
    land = Explorer.build(whole, name="lab", root=root, embedder=embedder, replace=True)
    assert land.landscape().extra.get("placed", 0) == 0, "an edit means a fresh layout"


# Papers plainly on one of the seed corpus's topics: toxic comments and their detection.
TOXICITY = [
    (
        "Detecting Toxic Comments in Online Discussions with Context-Aware Classifiers",
        "Toxic comments drive users away from online discussions, and moderators rely on "
        "toxicity detection models to flag them. We study whether toxicity classifiers improve "
        "when they read the parent comment of a post, and release a dataset of comments "
        "annotated for toxicity with and without their conversational context.",
    ),
    (
        "Hate Speech and Toxicity Detection Datasets: Annotator Disagreement and Bias",
        "Toxicity detection datasets are labelled by crowd annotators who often disagree on "
        "whether a post is toxic or abusive. We analyse annotator disagreement across hate "
        "speech and toxic language datasets and show that toxicity classifiers trained on "
        "majority labels are biased against some groups of users.",
    ),
    (
        "Moderating Online Conversations: A Benchmark for Toxic Language Detection",
        "Content moderation on social media platforms depends on automatic detection of toxic, "
        "insulting and threatening comments. We present a benchmark of user comments from news "
        "sites and Wikipedia talk pages labelled for toxicity, and compare toxicity detection "
        "models, from fine-tuned transformers to prompted language models.",
    ),
    (
        "Rephrasing Toxic Posts into Civil Ones for Healthier Online Discussions",
        "Online platforms remove toxic posts, but authors rarely learn how to say the same thing "
        "civilly. We train a model that rewrites toxic comments into civil ones while keeping "
        "their content, and use a toxicity classifier to check that the rewritten comments are "
        "no longer toxic.",
    ),
]
ADDED_ON = "2026-11-02"  # after every seed paper's date


def toxicity_papers(path):
    rows = [
        {"id": f"tox-{i}", "title": t, "abstract": a, "date": ADDED_ON, "categories": ["cs.CL"]}
        for i, (t, a) in enumerate(TOXICITY)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def toxicity_topic(ex: Explorer) -> str:
    """The key of the topic (at the map's own level) holding the seed's toxicity papers."""
    tree = ex.landscape().tree
    rows = [
        i
        for i, p in enumerate(ex.corpus)
        if "toxic" in p.title.lower() and not p.id.startswith("tox-")  # the seed's own
    ]
    assert len(rows) >= 2
    ids, counts = np.unique(tree.levels[tree.default][rows], return_counts=True)
    return f"{tree.default}.{int(ids[np.argmax(counts)])}"


def test_a_growth_build_reports_the_topics_its_new_papers_joined(tmp_path, embedder):
    _, whole = split_seed(tmp_path, 41)
    added, root = toxicity_papers(tmp_path / "added.jsonl"), tmp_path / "cache"
    first = Explorer.build(whole, name="lab", root=root, embedder=embedder)
    assert first.report is not None and first.report.growth() is None
    assert (first.report.grown, first.report.grown_topics) == (0, [])
    grown = Explorer.build([whole, added], name="lab", root=root, embedder=embedder)
    report = grown.report
    assert report is not None and report.grown == 4 and report.grown_since == ADDED_ON
    # the four papers on toxicity join the topic of the seed's toxicity papers, all of them
    assert report.grown_topics[0]["key"] == toxicity_topic(grown)
    assert report.grown_topics[0]["new"] == 4 and len(report.grown_topics) == 1
    assert sum(t["new"] for t in report.grown_topics) + report.grown_noise == 4
    tree = grown.landscape().tree
    for t in report.grown_topics:  # each names its topic as the map has it
        topic = tree.topic(t["level"], t["id"])
        assert (t["label"], t["size"]) == (topic.label, topic.size)
    assert report.grown_fields == []  # 45 papers: one level, the map's own topics
    # Laid out afresh, nothing was placed: nothing grew.
    again = Explorer.build([whole, added], name="lab", root=root, embedder=embedder, rebuild=True)
    assert again.report is not None and again.report.growth() is None
    assert again.report.grown_topics == [] and again.report.to_dict()["grown_topics"] == []


def test_explorer_build_prints_which_topics_grew(tmp_path, embedder, monkeypatch):
    monkeypatch.setattr("explorer.building.Embedder", lambda *a, **k: embedder)
    _, whole = split_seed(tmp_path, 41)
    added, cache = toxicity_papers(tmp_path / "added.jsonl"), tmp_path / "cache"

    def run(*args: str):
        out = CliRunner().invoke(main, list(args), env={"EXPLORER_CACHE": str(cache)})
        assert out.exit_code == 0, out.output
        return out

    made = run("build", str(whole), "--corpus", "lab")
    assert "grew:" not in made.output
    grown = run("build", str(whole), str(added), "--corpus", "lab", "--json")
    report = json.loads(grown.stdout)
    key = toxicity_topic(Explorer.open("lab", root=cache))
    assert [(t["key"], t["new"]) for t in report["grown_topics"]] == [(key, 4)]
    assert report["grown"] == 4 and report["output"] == report["map_path"]
    label = report["grown_topics"][0]["label"]
    lines = grown.stderr.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith("lab: 45 papers"))
    assert lines[summary + 1] == (  # right after the summary
        f'grew: 1 topic by 4 new papers; most: "{label}" +4 '
        f"(explorer topics --corpus lab --grown-since {ADDED_ON} lists them)"
    ), grown.stderr
    # the command it names lists that topic, +4
    listed = run("topics", "--corpus", "lab", "--grown-since", ADDED_ON, "--json")
    assert [(t["id"], t["new"]) for t in json.loads(listed.stdout)] == [(int(key[2:]), 4)]
    assert "grew:" not in run("build", "--corpus", "lab").output  # up to date: nothing new


def test_new_papers_in_no_topic_are_counted_as_noise(tmp_path):
    def topic(level: int, tid: int, size: int, parent=None, children=()):
        return Topic(
            tid, f"t{level}.{tid}", size, (), level=level, parent=parent, children=children
        )

    # 6 old papers, then 5 new: 3 in finer topic 1 (field 0), 1 in topic 0 (field 0), 1 noise
    levels = np.array([[0, 0, 0, 1, 1, -1, 0, 0, 0, -1, 0], [0, 1, 1, 2, 2, -1, 1, 1, 1, -1, 0]])
    tree = Tree(
        levels,
        (
            (topic(0, 0, 7, children=(1, 0)), topic(0, 1, 2, children=(2,))),
            (topic(1, 1, 5, parent=0), topic(1, 0, 2, parent=0), topic(1, 2, 2, parent=1)),
        ),
        default=1,
    )
    papers = [
        Paper(f"p{i}", f"t{i}", "a", date=f"2026-0{1 + i // 6}-0{1 + i % 3}") for i in range(11)
    ]
    report = BuildReport("c", 11, 11, 0, [], 5, 6, False, 1.0, tmp_path)
    report.add_growth(tree, papers, 5)  # a list of papers does for a corpus here
    assert (report.grown, report.grown_noise, report.grown_since) == (5, 1, "2026-02-01")
    assert [(t["key"], t["new"]) for t in report.grown_topics] == [("1.1", 3), ("1.0", 1)]
    assert [(t["key"], t["new"], t["label"]) for t in report.grown_fields] == [("0.0", 4, "t0.0")]
    line = report.growth()
    assert line == (
        'grew: 2 topics by 5 new papers; most: "t1.1" +3, "t1.0" +1; 1 in no topic '
        "(explorer topics --corpus c --grown-since 2026-02-01 lists them)"
    )
    assert report.growth(top=1) is not None and '"t1.1" +3, …;' in report.growth(top=1)
