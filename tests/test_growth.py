"""Adding papers to a built corpus: only they are embedded, appended, and placed on the map."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer import Explorer, ExplorerError
from explorer.index.sentences import paper_sentences
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
