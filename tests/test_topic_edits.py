"""Topic edits (issue 26, item 5): rename, merge and move, kept in <corpus>/edits.json, applied on
every open, matched by their papers through growth builds and rebuilds, and from the CLI.

The ops' logic on a hand-made tree of two levels; the store, the API, builds and the CLI on the
synthetic corpus of tests/test_topic_tree.py (three levels, the hash embedder).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import HashEmbedder
from test_topic_tree import synthetic_papers

from explorer import Explorer, atomic
from explorer.cli import main
from explorer.maps import edits, edits_file
from explorer.maps.topics import Topic
from explorer.maps.tree import Tree
from explorer.papers import ExplorerError

IDS = [f"p{i}" for i in range(9)]


def small_tree() -> Tree:
    """Two fields (0.0: papers 0-3, 0.1: papers 4-7), four topics below (1.0: 0-1, 1.1: 2-3,
    1.2: 4-6, 1.3: 7), paper 8 noise at both levels."""
    levels = np.array([[0, 0, 0, 0, 1, 1, 1, 1, -1], [0, 0, 1, 1, 2, 2, 2, 3, -1]])
    top = (Topic(0, "alpha", 4, (0,), 0, None, (0, 1)), Topic(1, "beta", 4, (4,), 0, None, (2, 3)))
    low = (
        Topic(2, "beta one", 3, (4,), 1, 1, ()),
        Topic(0, "alpha one", 2, (0,), 1, 0, ()),
        Topic(1, "alpha two", 2, (2,), 1, 0, ()),
        Topic(3, "beta two", 1, (7,), 1, 1, ()),
    )
    return Tree(levels, (top, low), 1)


def test_rename_merge_and_move_keep_the_tree_nesting():
    t = small_tree()
    done = [
        edits.rename(t, IDS, "0.1", "  Beta field "),
        edits.merge(t, IDS, 0, "1.3"),  # an id at the default level (1), or LEVEL.ID
    ]
    got, why = edits.apply(t, IDS, done)
    assert why == [None, None]
    assert got.topic(0, 1).label == "Beta field" and got.topic(1, 0).label == "alpha one"
    # 1.3 (in field 1) merged into 1.0 (field 0): its paper joins 1.0 and field 0; 1.3 is gone
    assert got.levels[:, 7].tolist() == [0, 0] and [x.id for x in got.topics[1]] == [0, 2, 1]
    assert got.topic(1, 0).size == 3 and got.topic(0, 0).size == 5 and got.topic(0, 1).size == 3
    assert got.topic(0, 1).children == (2,) and got.noise(0) == got.noise(1) == 1
    # A paper moved to a field joins its biggest topic below it.
    moved, why = edits.apply(t, IDS, [*done, edits.move(t, IDS, 4, "0.0")])
    assert why[-1] is None and moved.levels[:, 4].tolist() == [0, 0]
    assert moved.topic(1, 0).size == 4  # 1.0, field 0's biggest topic since the merge
    # A noise paper moved into a topic joins it and its field.
    found, _ = edits.apply(t, IDS, [edits.move(t, IDS, 8, "1.1")])
    assert found.levels[:, 8].tolist() == [0, 1] and found.noise(1) == 0


def test_bad_edits_are_one_line_errors_naming_the_value():
    t = small_tree()
    for make, match in [
        (lambda: edits.rename(t, IDS, "1.9", "x"), "no topic 9 at level 1"),
        (lambda: edits.rename(t, IDS, "7.0", "x"), "no topic level 7"),
        (lambda: edits.rename(t, IDS, "x.y", "x"), "bad topic 'x.y'"),
        (lambda: edits.rename(t, IDS, 0, "  "), "bad label '  '"),
        (lambda: edits.rename(t, IDS, 0, "x" * 201), "give 1 to 200 characters"),
        (lambda: edits.merge(t, IDS, "1.2", 2), "cannot merge topic 1.2 into itself"),
        (lambda: edits.merge(t, IDS, "0.1", "1.2"), "different levels"),
        (lambda: edits.move(t, IDS, 0, "1.0"), "'p0' is already in topic 1.0"),
    ]:
        with pytest.raises(ExplorerError, match=match) as e:
            make()
        assert "\n" not in str(e.value)


def test_edits_follow_their_papers_when_topics_are_renumbered():
    t = small_tree()
    rename = edits.rename(t, IDS, "1.2", "mine")
    # A rebuild numbers the topics otherwise: 1.2's papers are now topic 0, with one more.
    levels = np.array([[1, 1, 1, 1, 0, 0, 0, 0, 0], [2, 2, 3, 3, 0, 0, 0, 0, 1]])
    low = tuple(Topic(i, f"t{i}", 1, (), 1, 0 if i < 2 else 1) for i in range(4))
    top = (Topic(0, "f0", 5, (), 0, None, (0, 1)), Topic(1, "f1", 4, (), 0, None, (2, 3)))
    rebuilt = Tree(levels, (top, low), 1)
    got, why = edits.apply(rebuilt, IDS, [rename])
    assert why == [None] and got.topic(1, 0).label == "mine"
    # Papers scattered so that no topic is half of it any more: not kept, and said why.
    scattered = Tree(np.array([[0] * 9, [0, 0, 1, 1, 2, 3, 4, 4, 5]]), (top[:1], low), 1)
    _, why = edits.apply(scattered, IDS, [rename])
    assert why[0] is not None and "topic 1.2 is no longer on the map" in why[0]


def test_a_big_topic_is_recorded_by_a_sample_and_still_found():
    n = 5_000
    levels = np.array([[0] * 3_000 + [1] * 2_000])
    ids = [f"q{i}" for i in range(n)]
    t = Tree(levels, ((Topic(0, "a", 3_000, (0,)), Topic(1, "b", 2_000, (3_000,))),), 0)
    e = edits.rename(t, ids, 0, "big")
    assert len(e["topic"]["papers"]) == edits.SAMPLE and e["topic"]["count"] == 3_000
    assert edits.apply(t, ids, [e])[0].topic(0, 0).label == "big"


# -- the store, the API, builds and the CLI on a synthetic corpus of three levels --------------


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edits")
    papers = synthetic_papers()
    first, whole = folder / "first.jsonl", folder / "whole.jsonl"
    # the growth adds a few papers of every subtopic
    later = {i for i in range(len(papers)) if i % 35 == 34}
    first.write_text("".join(json.dumps(p) + "\n" for i, p in enumerate(papers) if i not in later))
    order = [p for i, p in enumerate(papers) if i not in later]
    order += [papers[i] for i in sorted(later)]  # appended: a growth build places them
    whole.write_text("".join(json.dumps(p) + "\n" for p in order))
    return first, whole


def build(path, root, **options):
    return Explorer.build(path, name="synth", root=root, embedder=HashEmbedder(), **options)


def test_edits_are_applied_on_open_and_kept_through_growth_and_rebuild(data, tmp_path, capsys):
    first, whole = data
    root = tmp_path / "cache"
    ex = build(first, root)
    assert ex.landscape().tree.depth == 3
    a, b, c = ex.topics()[:3]
    ex.rename_topic(a.key, "My own label")
    ex.merge_topics(a.id, b.key)
    paper = ex.corpus[c.rows[0]]
    ex.move_paper(paper.title, a.key)  # a paper by its title
    assert [e["op"] for e in ex.topic_edits()] == ["rename", "merge", "move"]
    saved = json.loads((root / "synth" / "edits.json").read_text())
    assert saved["version"] == 1 and len(saved["edits"]) == 3

    def check(x: Explorer) -> None:
        top = x.topics()[0]
        assert top.label == "My own label" and top.size >= a.size + b.size + 1
        assert all(t.label != b.label for t in x.topics())
        df = x.to_pandas()
        row = x.corpus.position(paper.id)
        assert df["topic"][row] == "My own label" and df[f"topic_{x.landscape().tree.default}"][
            row
        ] == ("My own label")
        assert paper.id in x._parts.in_topic(top.key, None)  # the topic filter
        assert "My own label" in x.figure().to_json()
        assert all(e["not_kept"] is None for e in x.topic_edits())

    check(Explorer.open("synth", root=root))
    grown = build(whole, root)
    assert grown.landscape().extra["placed"] == 36
    check(grown)
    check(Explorer.open("synth", root=root))
    rebuilt = build(whole, root, rebuild=True)
    assert rebuilt.landscape().extra.get("placed", 0) == 0
    check(rebuilt)
    assert rebuilt.report is not None and rebuilt.report.extra["edits_not_kept"] == []
    assert "My own label" in rebuilt.layout.map_html.read_text("utf-8")  # the build's map
    # An edit whose topic no rebuild can find (its papers are gone) is listed, not guessed.
    made = edits_file.read(rebuilt.layout)
    lost = {**made[0], "topic": {"key": "1.0", "papers": ["gone-1", "gone-2"], "count": 2}}
    edits_file.write(rebuilt.layout, [*made, lost])
    again = build(whole, root, rebuild=True)
    assert again.report is not None and len(again.report.extra["edits_not_kept"]) == 1
    assert "edit 3 not kept: rename 1.0" in capsys.readouterr().err
    assert again.topic_edits()[3]["not_kept"].endswith("topic 1.0 is no longer on the map")
    assert again.undo_edit(3)["topic"]["papers"] == ["gone-1", "gone-2"]
    check(Explorer.open("synth", root=root))


@pytest.fixture(scope="module")
def built(data, tmp_path_factory):
    """The corpus's cache (one build for the tests below); each test starts with no edits."""
    root = tmp_path_factory.mktemp("built") / "cache"
    build(data[0], root)
    return root


@pytest.fixture
def fresh(built):
    ex = Explorer.open("synth", root=built)
    edits_file.path(ex.layout).unlink(missing_ok=True)
    return ex


def test_a_failed_write_leaves_the_old_file(fresh, monkeypatch):
    ex = fresh
    ex.rename_topic(0, "kept")
    file = edits_file.path(ex.layout)
    before = file.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        ex.rename_topic(1, "lost")
    monkeypatch.undo()
    assert file.read_bytes() == before
    assert [p.name for p in file.parent.iterdir() if p.name.startswith(".edits")] == []
    assert Explorer.open("synth", root=ex.layout.root.parent).topics()[0].label == "kept"
    # A damaged file (or one of a later version) is a one-line error naming it, never a guess.
    for text, match in [
        ("{bad", "cannot read the topic edits"),
        ('{"version": 9, "edits": []}', "version 9"),
    ]:
        file.write_text(text)
        with pytest.raises(ExplorerError, match=match):
            Explorer.open("synth", root=ex.layout.root.parent).topics()


def test_cli_round_trip(fresh, monkeypatch):
    ex = fresh
    monkeypatch.setenv("EXPLORER_CACHE", str(ex.layout.root.parent))
    a, b = ex.topics()[:2]
    paper = ex.corpus[b.rows[0]].id
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(main, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    assert ok("topics", "-c", "synth", "rename", a.key, "Renamed here").startswith("rename")
    assert ok("topics", "merge", "-c", "synth", str(a.id), b.key).startswith("merge")
    assert ok("topics", "move", "-c", "synth", paper, "0.0").startswith("move")
    listed = json.loads(ok("topics", "--json", "-c", "synth"))  # the listing, as before
    assert listed[0]["label"] == "Renamed here" and listed[0]["size"] >= a.size + b.size - 1
    assert "Renamed here" in ok("topics", "-c", "synth", "--tree")
    shown = ok("topics", "edits", "-c", "synth")
    assert shown.splitlines()[0].startswith("  0  rename") and "merge" in shown
    assert len(json.loads(ok("topics", "edits", "-c", "synth", "--json"))) == 3
    assert ok("topics", "undo", "-c", "synth").startswith("undone: move")
    assert ok("topics", "undo", "-c", "synth", "0").startswith("undone: rename")
    for args, match in [
        (("rename", "1.999", "x"), "no topic 999 at level 1"),
        (("rename", "0", ""), "bad label ''"),
        (("merge", "1.0", "1.0"), "into itself"),
        (("merge", "0.0", "1.0"), "different levels"),
        (("move", "no such paper at all", "1.0"), "no such paper at all"),
        (("undo", "7"), "no edit 7"),
    ]:
        result = run(main, ["topics", *args[:1], "-c", "synth", *args[1:]])
        assert result.exit_code == 1 and match in result.output, result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_the_app_takes_edits_only_with_edit(fresh):
    from fastapi.testclient import TestClient

    from explorer.web.app import create_app

    a, b = fresh.topics()[:2]
    body = {"op": "rename", "topic": a.key, "label": "From the page"}
    shut = TestClient(create_app(fresh), base_url="http://127.0.0.1")
    got = shut.post("/api/topics/edit", json=body)
    assert got.status_code == 403 and "explorer serve --edit" in got.json()["error"]
    assert fresh.topic_edits() == []
    client = TestClient(create_app(fresh, edit=True), base_url="http://127.0.0.1")
    before = client.get("/api/info").json()
    assert client.post("/api/topics/edit", json=body).json()["edits"] == 1
    after = client.get("/api/info").json()
    assert "From the page" in json.dumps(after) and "From the page" not in json.dumps(before)
    merged = client.post("/api/topics/edit", json={"op": "merge", "topic": a.key, "other": b.key})
    assert merged.status_code == 200
    labels = set(json.loads(client.get("/api/points").content)["topic"])
    assert b.id not in labels or b.id == a.id
    bad = client.post("/api/topics/edit", json={"op": "merge", "topic": a.key, "other": a.key})
    assert bad.status_code == 400 and "into itself" in bad.json()["error"]
    bad = client.post("/api/topics/edit", json={"op": "rename", "topic": "1.999", "label": "x"})
    assert bad.status_code in (400, 404) and "no topic 999" in bad.json()["error"]


def test_a_map_written_after_an_edit_is_a_view_never_the_builds_map(fresh):
    build_map = fresh.layout.map_html.read_bytes()
    fresh.rename_topic(0, "Shown on the map")
    path = fresh.write_map()
    assert path.parent == fresh.layout.views and "Shown on the map" in path.read_text("utf-8")
    assert fresh.layout.map_html.read_bytes() == build_map
