"""Outputs for people who script: DataFrames of papers and hits, topics that hold papers."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from fakes import HashEmbedder  # tests/fakes.py

from explorer import Explorer, ExplorerError, hits_frame
from explorer.maps import landscape

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def ex(tmp_path_factory) -> Explorer:
    root = tmp_path_factory.mktemp("frames") / "cache"
    return Explorer.build(root=root, embedder=HashEmbedder(), settings={"clusterer": "map"})


def test_every_paper_as_a_row_with_its_place_and_topic(ex):
    df = ex.to_pandas()
    land = ex.landscape()
    assert list(df["id"]) == list(ex.corpus.ids)
    assert list(df.columns[:8]) == [
        "id", "title", "authors", "year", "date", "categories", "url", "abstract",
    ]  # fmt: skip
    assert str(df["year"].dtype) == "Int64"
    assert df["year"].tolist() == [p.year for p in ex.corpus]
    assert np.array_equal(df[["x", "y"]].to_numpy(np.float32), np.asarray(land.coords))
    names = land.label_names
    for row in df.itertuples():
        assert row.topic_id == land.clusters[row.Index]
        assert row.topic == (names[row.topic_id] if row.topic_id >= 0 else None)
    assert ex.to_pandas(with_map=False).shape == (41, 8)


def test_hits_as_a_frame_best_first(ex):
    hits = ex.related("Gemma 2", k=7)
    df = hits_frame(hits)
    assert list(df["rank"]) == list(range(1, 8))
    assert list(df["id"]) == [h.paper.id for h in hits]
    assert list(df["score"]) == [h.score for h in hits]
    assert hits_frame([]).empty


def test_topics_hold_their_central_papers(ex):
    for t in ex.topics():
        assert [p.id for p in t.papers] == [ex.corpus[r].id for r in t.rows]
        assert t.to_dict()["papers"][0] == {"id": t.papers[0].id, "title": t.papers[0].title}


def test_without_pandas_a_one_line_error(ex, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ExplorerError, match=r"^pandas is not installed: pip install pandas"):
        ex.to_pandas()


def test_each_hit_names_its_topic_from_the_saved_map(ex, tmp_path, monkeypatch):
    df = ex.to_pandas().set_index("id")
    hits = ex.related("Gemma 2", k=10) + ex.search("toxic comments", k=5)
    assert all(h.topic == df.loc[h.paper.id, "topic"] for h in hits)
    assert any(h.topic for h in hits)
    assert all(h.to_dict()["topic"] == h.topic for h in hits)
    # Opened afresh, the labels come from disk; a query never lays out a map.
    again = Explorer.open(ex.name, root=ex.layout.root.parent)
    again._parts.embedder = ex._parts.embedder

    def no_layout(*a, **kw):
        raise AssertionError("a query laid out a map")

    monkeypatch.setattr(landscape, "compute", no_layout)
    assert [h.topic for h in again.related("Gemma 2", k=10)] == [h.topic for h in hits[:10]]
    monkeypatch.undo()
    bare = Explorer.build(root=tmp_path / "c", embedder=HashEmbedder(), with_map=False)
    hit = bare.related("Gemma 2", k=3)[0]
    assert hit.topic is None and hit.to_dict()["topic"] is None
    assert bare._parts.land is None and not bare.layout.landscape.exists()
