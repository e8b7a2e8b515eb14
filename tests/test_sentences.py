"""Sentence vectors: the store, alignment against a brute-force oracle, mode "sentences", queries
by part of a paper, max-over-examples; on random arrays and on the seed corpus's real model."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import Explorer, ExplorerError
from explorer.embed import late
from explorer.index.sentences import SentenceVectors, flatten, paper_sentences
from explorer.papers import Corpus, Paper
from explorer.search import query as Q
from explorer.search.query import make_query, rank_rows
from explorer.search.ranking import fuse_weighted


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def random_store(counts: list[int], d: int = 16, seed: int = 0) -> SentenceVectors:
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    vecs = unit(rng.normal(size=(int(offsets[-1]), d)))
    return SentenceVectors.make(vecs, offsets, corpus_hash="h", model_id="m")


def test_alignment_equals_a_brute_force_oracle():
    counts = [3, 1, 7, 2, 5, 1, 4]
    store = random_store(counts)
    query = unit(np.random.default_rng(1).normal(size=(4, 16)))
    rows = [6, 0, 2, 2, 5]  # any order, repeats allowed
    got = store.align(query, rows)
    for r, g in zip(rows, got, strict=True):
        cand = store.of(r)
        want = np.mean([max(float(q @ c) for c in cand) for q in query])
        assert g == pytest.approx(want, abs=1e-5)
    assert store.align(query, []).shape == (0,)


def test_store_round_trip_and_stale_or_damaged_stores_are_refused(tmp_path):
    store = random_store([2, 3, 1])
    store.save(tmp_path / "s")
    back = SentenceVectors.load(tmp_path / "s", corpus_hash="h", model_id="m")
    assert back.offsets.tolist() == [0, 2, 5, 6]
    np.testing.assert_array_equal(back.of(1), store.of(1))
    assert back.vectors.dtype == np.float16  # half the bytes of float32
    with pytest.raises(ExplorerError, match="of another corpus"):
        SentenceVectors.load(tmp_path / "s", corpus_hash="other")
    with pytest.raises(ExplorerError, match="of another model"):
        SentenceVectors.load(tmp_path / "s", model_id="other")
    (tmp_path / "s" / "offsets.npy").unlink()
    with pytest.raises(ExplorerError, match="offsets.npy is missing"):
        SentenceVectors.load(tmp_path / "s")


def test_a_paper_splits_into_its_title_then_its_sentences():
    one, two = "We study a method, e.g. ours, at scale.", "It beats every baseline we tried!"
    p = Paper("a", "A Title", f"{one} {two}")
    assert paper_sentences(p) == ["A Title", one, two]
    flat, offsets = flatten(Corpus([p, Paper("b", "B", "Only one sentence here.")]))
    assert offsets.tolist() == [0, 3, 5] and flat[3:] == ["B", "Only one sentence here."]


# -- on the seed corpus, with the real model --------------------------------------------------

GEMMA2 = "gemma-2-improving-open-language-models"


@pytest.fixture(scope="module")
def ex(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("sent") / "cache", embedder=embedder)


def test_the_build_keeps_every_papers_sentence_vectors(ex):
    store = ex._parts.sentences
    assert len(store) == len(ex.corpus)
    for row in (0, 17, 40):
        sents = paper_sentences(ex.corpus[row])
        vecs = store.of(row)
        assert len(vecs) == len(sents)
        # the stored vector is the one pass's for that sentence (float16: within 1e-3): its
        # tokens' states in the paper's own pass (explorer.embed.late), not the sentence alone
        paper = ex.corpus[row]
        one = ex._parts.model.embed_late([paper.text], [late.spans(paper.text, sents)])
        assert np.all(np.sum(vecs * one.spans, axis=1) > 0.999)
        alone = ex.embed([sents[-1]])[0]
        assert float(vecs[-1] @ alone) < 0.99  # made in context: not the sentence embedded alone
    assert store.meta["method"] == "late-1"


def test_sentence_mode_is_the_weighted_fusion_over_hybrids_candidates(ex):
    vectors, lex, store = np.asarray(ex.vectors), ex._parts.lexical, ex._parts.sentences
    row = ex.corpus.position(GEMMA2)
    q = make_query(vectors, lex, ex.corpus, positives=[row], sentences=store)
    scores, rows = rank_rows(ex.index, vectors, lex, q, 40, mode="sentences", sentences=store)
    assert row not in rows and len(rows) == 40  # every other paper is a candidate here
    cand = np.sort(rows)
    want = fuse_weighted(
        (
            vectors[cand] @ vectors[row],
            store.align(store.of(row), cand),
            lex.scores(q.lexical)[cand],
        ),
        Q.ALIGN_WEIGHTS,
    )
    # the same scores, row by row (BLAS may round the last bit differently per call) …
    oracle = dict(zip(cand.tolist(), want, strict=True))
    np.testing.assert_allclose(scores, [oracle[int(r)] for r in rows], atol=1e-6)
    # … best first
    assert np.all(np.diff(scores) <= 0)


def test_query_by_picked_sentences_ranks_by_those_sentences_only(ex):
    row = ex.corpus.position(GEMMA2)
    sents = ex.sentences_of(GEMMA2)
    assert len(sents) == 5 and sents[2].startswith("We also train the 2B and 9B models")
    hits = ex.related(GEMMA2, sentences=[3], mode="dense", k=40)
    # oracle: the cosine of every other paper to that one stored sentence vector
    v = ex._parts.sentences.of(row)[1 + 2]  # the title is the store's first sentence
    v = v / np.linalg.norm(v)
    sims = np.asarray(ex.vectors) @ v
    sims[row] = -np.inf
    want = [ex.corpus[int(i)].id for i in np.argsort(-sims, kind="stable")[:40]]
    assert [h.paper.id for h in hits] == want
    # about distillation, that sentence finds the distillation paper first
    assert "Distillation" in ex.related(GEMMA2, sentences=[3], k=1)[0].paper.title
    with pytest.raises(ExplorerError, match="sentence 9 out of range: .* has 5 abstract sentences"):
        ex.related(GEMMA2, sentences=[9])
    with pytest.raises(ExplorerError, match="picked from one example paper; got 2"):
        ex.related(GEMMA2, "GLaM", sentences=[1])


def test_max_over_examples_equals_a_brute_force_oracle(ex):
    a, b = ex.corpus.position(GEMMA2), ex.corpus.position(ex.find("GLaM").paper.id)
    hits = ex.related(GEMMA2, "GLaM", mode="dense", combine="max", k=39)
    vec = np.asarray(ex.vectors)
    sims = np.maximum(vec @ vec[a], vec @ vec[b])
    sims[[a, b]] = -np.inf
    want = [ex.corpus[int(i)].id for i in np.argsort(-sims, kind="stable")[:39]]
    assert [h.paper.id for h in hits] == want
    # blend: half the best example's cosine, half the cosine to their (Rocchio) mean
    mean = vec[a] + vec[b]
    mean /= np.linalg.norm(mean)
    blend = 0.5 * np.maximum(vec @ vec[a], vec @ vec[b]) + 0.5 * (vec @ mean)
    blend[[a, b]] = -np.inf
    got = [h.paper.id for h in ex.related(GEMMA2, "GLaM", mode="dense", k=10)]  # the default
    assert got == [ex.corpus[int(i)].id for i in np.argsort(-blend, kind="stable")[:10]]
    with pytest.raises(ExplorerError, match="combine must be one of mean, max, blend, got 'sum'"):
        ex.related(GEMMA2, "GLaM", combine="sum")


def test_the_explained_sentence_pair_is_the_best_aligned_pair(ex):
    row = ex.corpus.position(GEMMA2)
    hit = ex.related(GEMMA2, k=1, mode="sentences", explain=True)[0]
    other = ex.corpus.position(hit.paper.id)
    store = ex._parts.sentences
    sims = store.of(row) @ store.of(other).T
    i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
    pair = hit.why["sentences"]
    assert pair["a"] == paper_sentences(ex.corpus[row])[i]
    assert pair["b"] == paper_sentences(ex.corpus[other])[j]
    assert pair["similarity"] == pytest.approx(float(sims[i, j]), abs=1e-3)


def test_a_corpus_built_without_sentences_ranks_by_hybrid_and_says_why(tmp_path, embedder):
    root = tmp_path / "cache"
    ex = Explorer.build(root=root, embedder=embedder, with_map=False, sentences=False)
    assert not ex.layout.sentences.exists() and ex.default_mode == "hybrid"
    assert [h.paper.id for h in ex.related(GEMMA2, k=5)] == [
        h.paper.id for h in ex.related(GEMMA2, k=5, mode="hybrid")
    ]
    for call in (
        lambda: ex.related(GEMMA2, mode="sentences"),
        lambda: ex.related(GEMMA2, sentences=[1]),
    ):
        with pytest.raises(ExplorerError, match=r"built without sentence vectors \(--no-sent"):
            call()
    assert "sentences" not in {r["mode"] for r in ex.evaluate(label="category", k=5).rows}
    # the choice stays with the corpus; asking again for them makes them from the vector cache
    again = Explorer.build(root=root, embedder=embedder, with_map=False)
    assert again.report is not None and again.report.up_to_date
    back = Explorer.build(root=root, embedder=embedder, with_map=False, sentences=True)
    assert back.layout.sentences.exists() and back.default_mode == "sentences"
    assert len(Explorer.open(root=root)._parts.sentences) == len(ex.corpus)
