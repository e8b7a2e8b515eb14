"""Explanations a person can check: shared words really in both abstracts, real sentence pairs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from explorer import Explorer
from explorer.index.sentences import paper_sentences
from explorer.search.explain import shared_terms
from explorer.text import split_sentences

TOX_A = "Toxicity Detection: Does Context Really Matter?"
TOX_B = "Toxicity Detection can be Sensitive to the Conversational Context"


def test_sentences_do_not_end_at_abbreviations_initials_or_decimals():
    text = (
        "Prior work (Smith et al. 2020) used e.g. BERT and i.e. encoders, cf. Fig. 2 for details. "
        "We reach 93.5% accuracy with GPT-3.5! Does it transfer to other domains? "
        "J. Doe thinks that it does.\nYes."
    )
    assert split_sentences(text) == [
        "Prior work (Smith et al. 2020) used e.g. BERT and i.e. encoders, cf. Fig. 2 for details.",
        "We reach 93.5% accuracy with GPT-3.5!",
        "Does it transfer to other domains?",
        "J. Doe thinks that it does. Yes.",  # a piece too short to stand alone joins its neighbour
    ]
    assert split_sentences("") == []
    assert split_sentences("One sentence without a stop") == ["One sentence without a stop"]


@pytest.fixture(scope="module")
def ex(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("why") / "cache", embedder=embedder)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()))


def test_shared_terms_are_words_both_abstracts_contain(ex):
    a, b = (ex.corpus.position(ex.find(t).paper.id) for t in (TOX_A, TOX_B))
    pa, pb = ex.corpus[a], ex.corpus[b]
    terms = shared_terms(ex._parts.lexical, a, b, pa.text, pb.text)
    got = [t["term"] for t in terms]
    assert "toxicity" in got[:3] and "context" in got
    for t in got:
        assert t in words(pa.text) and t in words(pb.text), t
    weights = [t["weight"] for t in terms]
    assert weights == sorted(weights, reverse=True)
    assert not {"we", "the", "paper", "propose", "does"} & set(got)  # no boilerplate


def test_best_sentence_pair_is_real_and_its_similarity_checks_out(ex, embedder):
    why = ex.explain(TOX_A, TOX_B)
    pair = why["sentences"]
    # a sentence of each (the title counts: it is the store's first sentence of a paper)
    assert pair["a"] in paper_sentences(ex.find(TOX_A).paper)
    assert pair["b"] in paper_sentences(ex.find(TOX_B).paper)
    # its similarity is that of the two sentences' stored vectors (the one pass's)
    store = ex._parts.sentences
    ra, rb = (ex.corpus.position(ex.find(t).paper.id) for t in (TOX_A, TOX_B))
    ia = paper_sentences(ex.corpus[ra]).index(pair["a"])
    ib = paper_sentences(ex.corpus[rb]).index(pair["b"])
    want = float(store.of(ra)[ia] @ store.of(rb)[ib])
    assert pair["similarity"] == pytest.approx(want, abs=1e-3)
    assert "context" in pair["a"].lower() and "context" in pair["b"].lower()
    assert why["example"] == {"id": ex.find(TOX_A).paper.id, "title": TOX_A}
    assert why["similarity"] == pytest.approx(
        float(
            np.asarray(ex.vectors[ex.corpus.position(ex.find(TOX_A).paper.id)])
            @ np.asarray(ex.vectors[ex.corpus.position(ex.find(TOX_B).paper.id)])
        ),
        abs=1e-3,
    )


def test_every_hit_is_explained_against_its_closest_example(ex):
    hits = ex.related("Gemma 2", TOX_A, k=6, explain=True)
    assert all(h.why is not None for h in hits)
    for h in hits:
        w = h.why
        assert w["example"]["title"] in (
            "Gemma 2: Improving Open Language Models at a Practical Size",
            TOX_A,
        )
        assert w["sentences"]["b"] in paper_sentences(h.paper)
        assert h.to_dict()["why"] is w
    tox = next(h for h in hits if h.paper.title == TOX_B)
    assert tox.why["example"]["title"] == TOX_A


def test_free_text_queries_are_explained_too(ex):
    hits = ex.search("toxic comments in online conversations", k=2, explain=True)
    w = hits[0].why
    assert w["example"] == {"text": "toxic comments in online conversations"}
    assert w["sentences"]["a"] == "toxic comments in online conversations"
    assert {t["term"] for t in w["shared_terms"]} <= words(hits[0].paper.text)
