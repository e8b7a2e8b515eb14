"""The FAISS index against a numpy brute-force oracle, its folder format and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import oracle  # tests/helpers.py

from explorer.index.vectors import VectorIndex
from explorer.papers import ExplorerError


def unit_vectors(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("n,d,k", [(1, 8, 1), (97, 33, 10), (1013, 384, 17)])
def test_flat_search_equals_brute_force(n, d, k):
    vecs = unit_vectors(n, d, seed=n)
    queries = unit_vectors(13, d, seed=n + 1)
    index = VectorIndex.build(vecs, [f"p{i}" for i in range(n)], model_id="m", corpus_hash="h")
    scores, rows = index.search(queries, k)
    want_scores, want_rows = oracle(vecs, queries, min(k, n))
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)
    # Ties aside (none with random floats), the rows are the oracle's, in its order.
    np.testing.assert_array_equal(rows, want_rows)


def test_allowed_rows_are_filtered_inside_the_search():
    vecs = unit_vectors(500, 16, seed=3)
    allowed = np.zeros(500, dtype=bool)
    allowed[::50] = True  # 2% of the corpus: 10 rows
    index = VectorIndex.build(vecs, [str(i) for i in range(500)], model_id="m", corpus_hash="h")
    scores, rows = index.search(vecs[:3], 10, allowed=allowed)
    assert (rows >= 0).all(), "asking for 10 of 10 allowed rows must return 10"
    assert set(rows.ravel().tolist()) <= set(np.flatnonzero(allowed).tolist())
    want_scores, want_rows = oracle(vecs, vecs[:3], 10, allowed)
    np.testing.assert_array_equal(rows, want_rows)


def test_k_larger_than_the_corpus_returns_the_corpus():
    vecs = unit_vectors(5, 4, seed=0)
    index = VectorIndex.build(vecs, list("abcde"), model_id="m", corpus_hash="h")
    scores, rows = index.search(vecs[0], 50)
    assert sorted(rows[0].tolist()) == [0, 1, 2, 3, 4]


def test_saved_folder_describes_itself_and_round_trips(tmp_path):
    vecs = unit_vectors(20, 8, seed=1)
    ids = [f"id{i}" for i in range(20)]
    VectorIndex.build(vecs, ids, model_id="model-a", corpus_hash="c" * 64).save(tmp_path / "index")
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [
        "ids.json",
        "index.faiss",
        "meta.json",
    ]
    meta = json.loads((tmp_path / "index" / "meta.json").read_text())
    assert (meta["model_id"], meta["dim"], meta["count"], meta["kind"]) == (
        "model-a",
        8,
        20,
        "flat",
    )
    assert {"faiss", "numpy", "explorer", "python"} <= set(meta["versions"])
    loaded = VectorIndex.load(tmp_path / "index", model_id="model-a", corpus_hash="c" * 64)
    assert loaded.ids == ids
    np.testing.assert_array_equal(loaded.vectors(), vecs)
    # No temporary or old folders are left behind, even after a second save over the first.
    loaded.save(tmp_path / "index")
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_loading_against_another_model_or_corpus_is_refused_naming_both(tmp_path):
    vecs = unit_vectors(4, 8, seed=2)
    VectorIndex.build(vecs, list("abcd"), model_id="model-a", corpus_hash="a" * 64).save(
        tmp_path / "ix"
    )
    with pytest.raises(ExplorerError, match="built with model 'model-a', not 'model-b'"):
        VectorIndex.load(tmp_path / "ix", model_id="model-b")
    with pytest.raises(
        ExplorerError, match=r"another corpus \(hash aaaaaaaaaaaa, this corpus is bbbbbbbbbbbb\)"
    ):
        VectorIndex.load(tmp_path / "ix", corpus_hash="b" * 64)
    with pytest.raises(ExplorerError, match="no index at"):
        VectorIndex.load(tmp_path / "missing")


def test_a_swap_cut_between_its_renames_is_recovered(tmp_path):
    vecs = unit_vectors(4, 8, seed=2)
    VectorIndex.build(vecs, list("abcd"), model_id="m", corpus_hash="h").save(tmp_path / "ix")
    (tmp_path / "ix").rename(tmp_path / ".ix.old-123")  # the instant between the two renames
    assert VectorIndex.load(tmp_path / "ix").ids == list("abcd")


def test_hnsw_recall_against_the_exact_oracle_and_its_filters():
    vecs = unit_vectors(3000, 32, seed=7)
    queries = vecs[:50] + 0.05 * unit_vectors(50, 32, seed=8)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    ids = [str(i) for i in range(3000)]
    index = VectorIndex.build(vecs, ids, model_id="m", corpus_hash="h", kind="hnsw")
    assert index.meta.kind == "hnsw" and index.meta.params["M"] == 32
    _, rows = index.search(queries, 10)
    _, want = oracle(vecs, queries, 10)
    recall = np.mean(
        [len(set(r) & set(w)) / 10 for r, w in zip(rows.tolist(), want.tolist(), strict=True)]
    )
    assert recall >= 0.95, recall
    # A filter keeping 0.5% of the rows still returns k, and exactly the oracle's rows.
    allowed = np.zeros(3000, dtype=bool)
    allowed[::200] = True
    scores, rows = index.search(queries, 10, allowed=allowed)
    assert (rows >= 0).all()
    np.testing.assert_array_equal(rows, oracle(vecs, queries, 10, allowed)[1])
    # A loose filter (half the rows) stays on the graph: k rows, all allowed, high recall.
    half = np.arange(3000) % 2 == 0
    _, rows = index.search(queries, 10, allowed=half)
    _, want = oracle(vecs, queries, 10, half)
    assert (rows >= 0).all() and half[rows].all()
    assert (
        np.mean(
            [len(set(r) & set(w)) / 10 for r, w in zip(rows.tolist(), want.tolist(), strict=True)]
        )
        >= 0.9
    )


def test_auto_kind_is_exact_for_small_corpora_and_add_appends(tmp_path):
    vecs = unit_vectors(100, 8, seed=9)
    index = VectorIndex.build(vecs[:60], [str(i) for i in range(60)], model_id="m", corpus_hash="a")
    assert index.meta.kind == "flat"
    index.add(vecs[60:], [str(i) for i in range(60, 100)], corpus_hash="b")
    assert (len(index), index.meta.count, index.meta.corpus_hash) == (100, 100, "b")
    np.testing.assert_array_equal(index.search(vecs, 1)[1][:, 0], np.arange(100))
    with pytest.raises(ExplorerError, match="unknown index kind 'lsh'"):
        VectorIndex.build(
            vecs, [str(i) for i in range(100)], model_id="m", corpus_hash="h", kind="lsh"
        )
