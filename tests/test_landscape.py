"""The landscape of the real seed corpus through the API: saved, reused, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import Explorer
from explorer.maps import landscape
from explorer.maps.landscape import Settings

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
    vkey = landscape.view_key(other.corpus.content_hash, other.manifest["model_id"])
    assert (other.layout.views / one_off.key(vkey)[:16]).is_dir()
    reopened = Explorer.open("seeds", root=root)
    assert reopened.settings == Settings() and reopened.landscape().settings == Settings()
    np.testing.assert_array_equal(reopened.landscape().clusters, own.clusters)
    assert Explorer.build(root=root, embedder=embedder).report.up_to_date
    # Changing the corpus's own settings is explicit, and recorded.
    changed = Explorer.build(root=root, embedder=embedder, settings=one_off)
    assert not changed.report.up_to_date and changed.manifest["settings"]["min_cluster_size"] == 4
    assert Explorer.open("seeds", root=root).landscape().settings == one_off
    # The viewed settings became the corpus's own without laying the map out again.
    assert "project" not in changed.report.extra["stages"]
    np.testing.assert_array_equal(changed.landscape().clusters, land.clusters)


def test_another_model_never_keeps_the_old_models_map(tmp_path, embedder, torch_embedder):
    """A rebuild with another backend (other vectors) lays the map out again: nothing made
    from the old vectors is reused, the one-off views included."""
    root = tmp_path / "c4"
    first = Explorer.build(root=root, embedder=torch_embedder)
    first.landscape(Settings(min_cluster_size=4))  # a view, from the float32 vectors
    again = Explorer.build(root=root, embedder=embedder)
    assert again.manifest["model_id"] != first.manifest["model_id"]
    assert "project" in again.report.extra["stages"]
    fresh = landscape.compute(
        np.asarray(again.vectors), [p.text for p in again.corpus], Settings(), "x"
    )
    np.testing.assert_array_equal(again.landscape().coords, fresh.coords)
    view = again.landscape(Settings(min_cluster_size=4))
    want = landscape.compute(
        np.asarray(again.vectors), [p.text for p in again.corpus], Settings(min_cluster_size=4), "x"
    )
    np.testing.assert_array_equal(view.coords, want.coords)


def test_an_interrupt_right_after_the_commit_keeps_the_committed_generation(
    tmp_path, embedder, monkeypatch
):
    """Ctrl-C between the manifest's replace and the end of `commit`: the generation the
    manifest now names is the corpus, and must not be deleted as a half-built one."""
    from explorer import building, generations, storage

    def commit_then_interrupt(staged, manifest):
        generations.commit(staged, manifest)
        raise KeyboardInterrupt

    monkeypatch.setattr(building, "commit", commit_then_interrupt)
    root = tmp_path / "c5"
    with pytest.raises(KeyboardInterrupt):
        Explorer.build(root=root, embedder=embedder, with_map=False)
    layout = storage.Layout(root / "seeds")
    manifest = generations.read_manifest(layout)
    assert manifest is not None
    layout = storage.Layout.of(layout.root, manifest)
    assert generations.verify(layout, manifest, full=True) is None
    assert len(Explorer.open("seeds", root=root).related("Gemma 2", k=3)) == 3
