"""Filters, exact filtered ranking, Rocchio, fusion, MMR: oracles on arrays, behaviour on seeds."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import Explorer, ExplorerError
from explorer.index.lexical import LexicalIndex
from explorer.index.sentences import SentenceVectors
from explorer.index.vectors import VectorIndex
from explorer.papers import Corpus, Paper
from explorer.search.query import MODES, Query, make_query, rank_rows
from explorer.search.ranking import Filters, dense_top, fuse, mmr, parse_years, ranks, rocchio

TOX_A = "Toxicity Detection: Does Context Really Matter?"
WIKICONV = (
    "WikiConv: A Corpus of the Complete Conversational History of a Large Online "
    "Collaborative Community"
)
EX_MACHINA = "Ex Machina: Personal Attacks Seen at Scale"
CONSTRUCTIVE = "Classifying Constructive Comments"


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


# -- pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("2020-2024", (2020, 2024)),
        ("2020-", (2020, None)),
        ("-2024", (None, 2024)),
        ("2024", (2024, 2024)),
        (" 2019 .. 2021 ", (2019, 2021)),
        ("2020–2022", (2020, 2022)),
    ],
)
def test_year_ranges(text, want):
    assert parse_years(text) == want


@pytest.mark.parametrize("text", ["", "-", "20-24", "2024-2020", "last year"])
def test_bad_year_ranges_are_refused(text):
    with pytest.raises(ExplorerError, match="year range"):
        parse_years(text)


def test_rrf_and_weighted_fusion_by_hand():
    dense = np.array([0.9, 0.5, 0.7])  # ranks 1, 3, 2
    lex = np.array([1.0, 3.0, 2.0])  # ranks 3, 1, 2
    np.testing.assert_allclose(
        fuse(dense, lex, method="rrf"), [1 / 61 + 1 / 63, 1 / 63 + 1 / 61, 1 / 62 + 1 / 62]
    )
    # min-max: dense → [1, 0, 0.5], lexical → [0, 1, 0.5]
    np.testing.assert_allclose(fuse(dense, lex, method="weighted", weight=0.75), [0.75, 0.25, 0.5])
    assert ranks(np.array([0.2, 0.9, 0.2])).tolist() == [2, 1, 3]


def test_rocchio_one_example_is_itself_and_negatives_push_away():
    rng = np.random.default_rng(0)
    v = unit(rng.normal(size=(3, 8)))
    np.testing.assert_allclose(rocchio(v[:1]), v[0], atol=1e-6)
    q = rocchio(v[:1], v[1:2])
    assert q @ v[1] < v[0] @ v[1]
    np.testing.assert_allclose(np.linalg.norm(q), 1.0, atol=1e-6)
    with pytest.raises(ExplorerError, match="cancel out"):
        rocchio(v[:1], v[:1], gamma=1.0)


def test_mmr_with_lambda_one_is_the_plain_ranking_and_lower_lambda_diversifies():
    rel = np.array([1.0, 0.99, 0.5, 0.2])
    v = unit(np.array([[1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32))
    assert mmr(rel, v, 4, 1.0).tolist() == [0, 1, 2, 3]
    assert mmr(rel, v, 2, 0.5).tolist() == [0, 2]  # the near-duplicate of #0 waits
    with pytest.raises(ExplorerError, match="between 0 and 1"):
        mmr(rel, v, 2, 1.5)


# -- exact filtered search on a larger random corpus ---------------------------------------------

WORDS = [f"w{i}" for i in range(400)]


@pytest.fixture(scope="module")
def big():
    """5,003 random papers (odd size on purpose): vectors, index, BM25 over random words."""
    rng = np.random.default_rng(7)
    n = 5003
    vectors = unit(rng.normal(size=(n, 32)))
    texts = [" ".join(rng.choice(WORDS, size=30)) for _ in range(n)]
    years = rng.integers(2000, 2025, size=n)
    corpus = Corpus(Paper(f"p{i}", f"t{i}", texts[i], date=str(years[i])) for i in range(n))
    index = VectorIndex.build(vectors, corpus.ids, model_id="random", corpus_hash="x")
    lex = LexicalIndex.build([p.text for p in corpus], corpus_hash="x")
    return corpus, vectors, index, lex


@pytest.mark.parametrize("share", [0.01, 0.05, 0.5, 1.0])  # brute force below 10%, FAISS above
def test_filtered_dense_top_k_equals_a_brute_force_oracle(big, share):
    corpus, vectors, index, _ = big
    rng = np.random.default_rng(1)
    allowed = rng.random(len(corpus)) < share
    q = vectors[17]
    scores, rows = dense_top(index, vectors, q, 10, allowed)
    sims = vectors @ q
    sims[~allowed] = -np.inf
    want = np.argsort(-sims, kind="stable")[:10]
    assert rows.tolist() == want.tolist()
    np.testing.assert_allclose(scores, sims[want], atol=1e-5)


@pytest.fixture(scope="module")
def big_sentences(big) -> SentenceVectors:
    """1 to 8 random sentence vectors for each of `big`'s papers."""
    rng = np.random.default_rng(8)
    counts = rng.integers(1, 9, size=len(big[0]))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    vecs = unit(rng.normal(size=(int(offsets[-1]), 32)))
    return SentenceVectors.make(vecs, offsets, corpus_hash="x", model_id="random")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("diverse", [None, 0.5])
def test_a_filter_keeping_one_percent_still_returns_k(big, big_sentences, mode, diverse):
    corpus, vectors, index, lex = big
    keep = {f"p{i}" for i in range(0, len(corpus), 100)}  # 51 papers: 1%
    allowed = Filters(ids=frozenset(keep)).mask(corpus)
    query = make_query(vectors, lex, corpus, positives=[3, 5], sentences=big_sentences)
    opts = {"mode": mode, "allowed": allowed, "diverse": diverse, "sentences": big_sentences}
    _, rows = rank_rows(index, vectors, lex, query, 10, **opts)
    assert len(rows) == 10 and len(set(rows.tolist())) == 10
    assert all(corpus[int(r)].id in keep for r in rows)
    assert 3 not in rows and 5 not in rows
    # and asking for more than pass the filter returns exactly those that pass
    _, rows = rank_rows(index, vectors, lex, query, 80, **opts)
    assert sorted(corpus[int(r)].id for r in rows) == sorted(keep)


def test_a_year_filter_ranks_exactly_like_filtering_a_full_ranking(big):
    corpus, vectors, index, lex = big
    allowed = Filters.make(years="2003-2004").mask(corpus)
    assert 0 < allowed.sum() < len(corpus) * 0.1
    query = Query(vectors[0], lex.query_vector([corpus[0].text]), exclude=(0,))
    for mode in ("dense", "lexical"):
        _, filtered = rank_rows(index, vectors, lex, query, 15, mode=mode, allowed=allowed)
        _, full = rank_rows(index, vectors, lex, query, len(corpus) - 1, mode=mode)
        assert filtered.tolist() == [r for r in full.tolist() if allowed[r]][:15]


# -- filters on real papers -------------------------------------------------------------------


def test_filters_on_the_seed_corpus(seed_corpus):
    def ids(**kw):
        return {
            p.id
            for p, keep in zip(seed_corpus, Filters.make(**kw).mask(seed_corpus), strict=True)
            if keep
        }

    assert ids(years="2016") == {
        "ex-machina-personal-attacks-seen-at",
        "network-traffic-obfuscation-and-automated-internet",
    }
    assert all(seed_corpus.get(i).year in (2020, 2021) for i in ids(years="2020-2021"))
    assert ids(categories="cs.HC") == {p.id for p in seed_corpus if "cs.HC" in p.categories}
    assert ids(categories=["stat"]) == {
        "limitations-of-pinned-auc-for-measuring"
    }  # "stat" = stat.*
    assert ids(categories="CS.hc") == ids(categories="cs.HC")
    assert "knns-of-semantic-encodings-for-rating" in ids(author="leo laugier")  # Léo, any case
    assert ids(author="Gemma Team") == {
        "gemma-2-improving-open-language-models",
        "gemma-open-models-based-on-gemini",
    }
    assert ids(ids=["ex-machina-personal-attacks-seen-at"], years="2016") == {
        "ex-machina-personal-attacks-seen-at"
    }
    with pytest.raises(ExplorerError, match="unknown paper ids in the id filter: nope"):
        Filters.make(ids=["nope"]).mask(seed_corpus)


def test_a_category_filter_matches_cross_lists():
    corpus = Corpus(
        [
            Paper("a", "A", "x", categories=("cs.LG", "cs.CL")),
            Paper("b", "B", "y", categories=("cs.CL",)),
            Paper("c", "C", "z", categories=("cs.LG",)),
        ]
    )
    assert Filters.make(categories="cs.CL").mask(corpus).tolist() == [True, True, False]


# -- several examples, negatives, filters through the API ----------------------------------------


@pytest.fixture(scope="module")
def ex(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("rank") / "cache", embedder=embedder)


def titles(hits):
    return [h.paper.title for h in hits]


def test_examples_are_never_returned(ex):
    examples = ["Gemma 2", TOX_A, "GLaM"]
    for mode in MODES:
        got = titles(ex.related(*examples, negatives=[CONSTRUCTIVE], k=38, mode=mode))
        assert len(got) == 37  # 41 papers, 4 examples
        assert not {ex.find(e).paper.title for e in examples + [CONSTRUCTIVE]} & set(got)


def test_a_negative_example_pushes_its_neighbours_down(ex):
    plain = titles(ex.related(TOX_A, k=6, mode="dense"))
    pushed = titles(ex.related(TOX_A, negatives=[CONSTRUCTIVE], k=6, mode="dense"))
    assert CONSTRUCTIVE in plain and CONSTRUCTIVE not in pushed
    # WikiConv (a comment corpus, cosine 0.59 to the negative) was above Ex Machina; now below.
    assert plain.index(WIKICONV) < plain.index(EX_MACHINA)
    assert pushed.index(WIKICONV) > pushed.index(EX_MACHINA)


def test_two_examples_find_what_both_are_about(ex):
    # Gemma 2 (open LLMs) + a toxicity paper: the mixture finds both families near the top.
    got = titles(ex.related("Gemma 2", TOX_A, k=4, mode="dense"))
    assert any("Gemma" in t or "Gemini" in t for t in got)
    assert any("Toxic" in t for t in got)


def test_free_text_examples_and_filters_through_the_api(ex):
    hits = ex.related(
        texts=["toxic comments in online conversations"],
        k=3,
        years="2020-2021",
        categories="cs.CL",
        mode="hybrid",
    )
    assert len(hits) == 3 and all(h.paper.year in (2020, 2021) for h in hits)
    assert any("Toxic" in t for t in titles(hits))
    hits = ex.search("language models", k=5, author="gemma team")
    assert sorted(titles(hits)) == sorted(ex.find(t).paper.title for t in ("Gemma", "Gemma 2"))


def test_mmr_lambda_one_equals_the_plain_ranking_on_seeds(ex):
    for mode in MODES:
        assert titles(ex.related("Gemma 2", k=8, mode=mode, diverse=1.0)) == titles(
            ex.related("Gemma 2", k=8, mode=mode)
        )


def test_default_mode_single_example_still_answers_like_before(ex):
    assert ex.related("Gemma 2", k=1)[0].paper.title.startswith("Gemma:")
    with pytest.raises(
        ExplorerError, match="mode must be one of dense, lexical, hybrid, sentences"
    ):
        ex.related("Gemma 2", mode="fuzzy")
    with pytest.raises(ExplorerError, match="both a positive and a negative"):
        ex.related("Gemma 2", negatives=["Gemma 2"])
    with pytest.raises(ExplorerError, match="at least one example"):
        ex.related()
    with pytest.raises(ExplorerError, match="examples are ids or titles, got 5; pass k=… by name"):
        ex.related("Gemma 2", 5)  # type: ignore[arg-type]
