"""A map for millions: UMAP fitted on a sample with the rest placed, and a thinned page.

The thresholds (sampled.SAMPLE_FIT_MIN, SAMPLE_SIZE, PAGE_POINT_LIMIT) are lowered here so that
a few thousand points take seconds; assertions hold with margins on any processor."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from explorer.maps import landscape, sampled, topics
from explorer.maps.figure import map_figure
from explorer.maps.page import to_html
from explorer.papers import Paper


def clustered(
    n: int = 2400, k: int = 6, d: int = 32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around k well-separated centres, and each one's true cluster."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    x = rng.normal(size=(k, d))[truth] * 1.0 + 0.3 * rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


@pytest.fixture(scope="module")
def fits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, truth = clustered()
    return x, truth, topics.project(x), sampled.project_sampled(x, sample_size=600)


def test_a_sample_fit_places_every_point_and_is_deterministic(fits) -> None:
    x, _, _, coords = fits
    assert coords.shape == (len(x), 2) and np.isfinite(coords).all()
    again = sampled.project_sampled(x, sample_size=600)
    np.testing.assert_array_equal(coords, again)
    other = sampled.project_sampled(x, sample_size=600, seed=7)
    assert not np.array_equal(coords, other), "the seed chooses the sample and the layout"
    rows = sampled.sample_rows(len(x), 600, 42)
    assert len(set(rows.tolist())) == 600 and (np.diff(rows) > 0).all()


def test_a_sample_fit_agrees_with_the_full_fit_and_keeps_clusters_together(fits) -> None:
    _, truth, full, coords = fits
    ref, got = topics.cluster(full, assign_noise=True), topics.cluster(coords, assign_noise=True)
    assert adjusted_rand_score(ref, got) > 0.8
    for c in np.unique(truth):
        counts = np.bincount(got[truth == c] + 1)
        assert counts.max() >= 0.9 * counts.sum(), f"true cluster {c} split: {counts}"


def test_compute_fits_on_a_sample_above_the_threshold_and_clusters_every_point(
    fits, monkeypatch, tmp_path
) -> None:
    x, truth, _, _ = fits
    texts = [f"paper about subject{c} and thing{c}" for c in truth]
    monkeypatch.setattr(sampled, "SAMPLE_FIT_MIN", 2000)
    monkeypatch.setattr(sampled, "SAMPLE_SIZE", 600)
    land = landscape.compute(x, texts, landscape.Settings(), "h")
    assert land.extra["sample_fit"] == 600 and land.coords.shape == (len(x), 2)
    assert len(land.clusters) == len(x) and (land.clusters >= 0).all()
    assert sum(t.size for t in land.topics) == len(x)
    landscape.save(tmp_path / "land", land, "h")
    back = landscape.load(tmp_path / "land", landscape.Settings(), "h")
    assert back is not None and back.extra["sample_fit"] == 600
    np.testing.assert_array_equal(back.coords, land.coords)
    monkeypatch.setattr(sampled, "SAMPLE_FIT_MIN", 10_000)  # below it: a full fit, as before
    small = landscape.compute(x[:300], texts[:300], landscape.Settings(), "h")
    assert "sample_fit" not in small.extra


def dense_and_sparse(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """3 dense topics of 2,000 points and 40 lone points far from them (topic 3 and noise)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    dense = np.vstack([c + 0.3 * rng.normal(size=(2000, 2)) for c in centres])
    sparse = rng.uniform(10, 30, size=(40, 2))
    labels = np.r_[np.repeat([0, 1, 2], 2000), np.full(20, 3), np.full(20, -1)]
    return np.vstack([dense, sparse]), labels


def test_thinning_keeps_every_topic_and_the_sparse_points_within_the_limit() -> None:
    xy, labels = dense_and_sparse()
    keep = sampled.thin(xy, labels, 1000)
    assert len(keep) <= 1000 and len(keep) >= 990
    assert set(labels[keep].tolist()) == set(labels.tolist())
    assert set(range(6000, 6040)) <= set(keep.tolist()), "sparse points are all kept"
    np.testing.assert_array_equal(keep, sampled.thin(xy, labels, 1000))
    assert not np.array_equal(keep, sampled.thin(xy, labels, 1000, seed=3))
    tiny = sampled.thin(xy, labels, 5)  # fewer slots than groups: a point of every topic first
    assert len(tiny) == 5 and set(labels[tiny].tolist()) == {-1, 0, 1, 2, 3}


def test_thinning_never_runs_at_or_below_the_limit() -> None:
    xy, labels = dense_and_sparse()
    np.testing.assert_array_equal(sampled.thin(xy, labels, len(xy)), np.arange(len(xy)))
    assert sampled.page_rows(xy, labels, len(xy)) is None


def test_the_page_of_a_big_map_says_how_many_points_it_shows() -> None:
    xy, labels = dense_and_sparse()
    papers = [Paper(id=f"p{i}", title=f"title {i}", abstract="") for i in range(len(xy))]
    names = {0: "alpha", 1: "beta", 2: "gamma", 3: "delta"}
    fig = map_figure(xy, papers, labels, names, title="big", point_limit=1000, highlight={7: 0.9})
    drawn = [i for tr in fig.data if tr.customdata is not None for i in tr.customdata]
    assert 990 <= len(drawn) <= 1001 and "p7" in drawn, "a highlighted paper is always drawn"
    assert f"{len(drawn):,} of 6,040 papers shown" in fig.layout.title.text
    assert any(tr.name == "alpha (2000)" for tr in fig.data), "legend counts count every paper"
    assert f"{len(drawn):,} of 6,040 papers shown" in to_html(fig)
    whole = map_figure(xy[:900], papers[:900], labels[:900], names, title="t", point_limit=1000)
    assert whole.layout.title.text == "t"


def test_the_real_subset_fitted_on_a_sample_keeps_the_full_fits_topics(
    subset_explorer, monkeypatch
) -> None:
    """The 3,990-paper arXiv subset with the real model: a fit on 1,500 of its papers, the rest
    placed, finds topics close to the full fit's, through landscape.compute's own path."""
    ex = subset_explorer
    x = np.asarray(ex.vectors, dtype=np.float32)
    texts = [p.text for p in ex.corpus]
    full = landscape.compute(x, texts, landscape.Settings(), "h")
    monkeypatch.setattr(sampled, "SAMPLE_FIT_MIN", 1000)
    monkeypatch.setattr(sampled, "SAMPLE_SIZE", 1500)
    part = landscape.compute(x, texts, landscape.Settings(), "h")
    assert part.extra["sample_fit"] == 1500 and np.isfinite(part.coords).all()
    assert adjusted_rand_score(full.clusters, part.clusters) > 0.3  # measured 0.54
    assert len(part.topics) >= 0.5 * len(full.topics)
