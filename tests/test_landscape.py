"""The landscape of the real seed corpus through the API: saved, reused, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import Explorer
from explorer.landscape import Settings

TOXICITY = [
    "Toxicity Detection: Does Context Really Matter?",
    "Toxicity Detection can be Sensitive to the Conversational Context",
    "Civil Rephrases Of Toxic Texts With Self-Supervised Transformers",
    "Ex Machina: Personal Attacks Seen at Scale",
    "Six Attributes of Unhealthy Conversation",
]


@pytest.fixture(scope="module")
def ex(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("land") / "cache", embedder=embedder)


def test_toxicity_papers_share_one_topic_and_gemma_papers_are_neighbours(ex):
    land = ex.landscape()
    rows = {p.title: i for i, p in enumerate(ex.corpus)}
    assert len({int(land.clusters[rows[t]]) for t in TOXICITY}) == 1
    assert land.clusters[rows[TOXICITY[0]]] >= 0
    gemma = land.coords[rows["Gemma: Open Models Based on Gemini Research and Technology"]]
    gemma2 = land.coords[rows["Gemma 2: Improving Open Language Models at a Practical Size"]]
    typical = np.median(np.linalg.norm(land.coords - land.coords.mean(axis=0), axis=1))
    assert np.linalg.norm(gemma - gemma2) < typical


def test_the_build_saved_the_landscape_and_reuses_it(ex):
    saved = ex.layout.landscape / "topics.json"
    assert saved.exists() and ex.layout.map_html.exists()
    mtime = saved.stat().st_mtime_ns
    again = Explorer.open("seeds", root=ex.layout.root.parent).landscape()
    assert saved.stat().st_mtime_ns == mtime, "an unchanged corpus must not be laid out again"
    np.testing.assert_array_equal(again.coords, ex.landscape().coords)


def test_same_settings_give_the_same_map_from_scratch(ex, tmp_path, embedder):
    fresh = Explorer.build(root=tmp_path / "c2", embedder=embedder, with_map=False)
    assert not fresh.layout.landscape.exists()
    np.testing.assert_array_equal(fresh.landscape().coords, ex.landscape().coords)
    np.testing.assert_array_equal(fresh.landscape().clusters, ex.landscape().clusters)


def test_other_settings_are_a_one_off_view_that_never_sticks(tmp_path, embedder):
    root = tmp_path / "c3"
    other = Explorer.build(root=root, embedder=embedder)
    own = other.landscape()
    assert (own.clusters >= 0).all(), "by default no paper is left without a topic"
    one_off = Settings(assign_noise=False, min_cluster_size=4)
    land = other.landscape(one_off)
    assert land.settings == one_off
    assert (other.layout.views / one_off.key(other.corpus.content_hash)[:16]).is_dir()
    reopened = Explorer.open("seeds", root=root)
    assert reopened.settings == Settings() and reopened.landscape().settings == Settings()
    np.testing.assert_array_equal(reopened.landscape().clusters, own.clusters)
    assert Explorer.build(root=root, embedder=embedder).report.up_to_date
    # Changing the corpus's own settings is explicit, and recorded.
    changed = Explorer.build(root=root, embedder=embedder, settings=one_off)
    assert not changed.report.up_to_date and changed.manifest["settings"]["min_cluster_size"] == 4
    assert Explorer.open("seeds", root=root).landscape().settings == one_off
