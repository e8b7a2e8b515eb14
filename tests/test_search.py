"""Related papers on the real seed corpus with the real model, through the Python API."""

from __future__ import annotations

import re

import numpy as np
import pytest

from explorer import Explorer, ExplorerError
from explorer.search.lookup import find_paper

GEMMA2 = "Gemma 2: Improving Open Language Models at a Practical Size"
GEMMA = "Gemma: Open Models Based on Gemini Research and Technology"
TOX_A = "Toxicity Detection: Does Context Really Matter?"
TOX_B = "Toxicity Detection can be Sensitive to the Conversational Context"


@pytest.fixture(scope="module")
def ex(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("api") / "cache", embedder=embedder)


def test_nearest_to_gemma_2_is_gemma(ex):
    hits = ex.related(GEMMA2, k=5)
    assert hits[0].paper.title == GEMMA
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(h.paper.title != GEMMA2 for h in hits)
    assert hits[0].score > 0.6


def test_the_two_toxicity_detection_papers_are_each_others_nearest(ex):
    assert ex.related(TOX_A, k=1)[0].paper.title == TOX_B
    assert ex.related(TOX_B, k=1)[0].paper.title == TOX_A


def test_related_scores_are_the_cosines_of_the_saved_vectors(ex):
    row = ex.corpus.position(ex.find(GEMMA2).paper.id)
    sims = np.asarray(ex.vectors) @ np.asarray(ex.vectors[row])
    sims[row] = -np.inf
    want = np.argsort(-sims)[:10]
    hits = ex.related(GEMMA2, k=10, mode="dense")  # the default, hybrid, fuses scores
    assert [ex.corpus.position(h.paper.id) for h in hits] == want.tolist()
    np.testing.assert_allclose([h.score for h in hits], sims[want], atol=1e-5)
    np.testing.assert_allclose([h.cosine for h in hits], sims[want], atol=1e-5)
    # In the default (hybrid) mode the ranking score is fused, but each hit's cosine is real.
    for h in ex.related(GEMMA2, k=10):
        assert h.cosine == pytest.approx(float(sims[ex.corpus.position(h.paper.id)]), abs=1e-5)


def test_free_text_and_a_whole_draft_abstract(ex):
    assert "Toxic" in ex.search("detecting toxic comments in conversations", k=1)[0].paper.title
    draft = (
        "We train a family of sparsely activated mixture-of-experts language models that scale "
        "to over a trillion parameters while using a fraction of the energy of dense models."
    )
    assert ex.search(draft, k=1)[0].paper.title.startswith("GLaM")


def test_reopening_needs_no_model_and_answers_the_same(ex):
    again = Explorer.open("seeds", root=ex.layout.root.parent)
    assert again._parts.embedder is None
    assert [h.paper.id for h in again.related(GEMMA2, k=5)] == [
        h.paper.id for h in ex.related(GEMMA2, k=5)
    ]
    assert again._parts.embedder is None, "related-by-id must not load the model"


def test_reopening_parses_only_the_papers_it_shows(ex):
    again = Explorer.open("seeds", root=ex.layout.root.parent)
    hits = again.related(GEMMA2, k=3, mode="dense")  # a title: found in titles.json
    parsed = {p.id for p in again.corpus._papers if p is not None}
    assert parsed == {again.find(GEMMA2).paper.id, *(h.paper.id for h in hits)}
    assert again.corpus.content_hash == ex.corpus.content_hash  # from the manifest, no parsing
    assert [p.to_dict() for p in again.corpus] == [p.to_dict() for p in ex.corpus]


def test_a_papers_file_out_of_step_with_its_index_is_refused(ex, tmp_path):
    import shutil

    root = tmp_path / "cache"
    shutil.copytree(ex.layout.root, root / "seeds")
    papers = root / "seeds" / ex.layout.generation / "papers.jsonl"
    lines = papers.read_text("utf-8").splitlines(keepends=True)
    papers.unlink()  # a committed file is hard-linked: replace it, never write through it
    papers.write_text("".join([lines[1], lines[0], *lines[2:]]), "utf-8")  # two rows swapped
    with pytest.raises(ExplorerError, match=r"papers.jsonl line 1 is '.*', its index says"):
        Explorer.open("seeds", root=root).related(ex.corpus[0].id, k=3)
    papers.unlink()
    papers.write_text("".join(lines[:-1]), "utf-8")  # one paper lost: its size says so on open
    with pytest.raises(
        ExplorerError,
        match=r"corpus 'seeds' is damaged: .*papers.jsonl has "
        r"changed since it was built; build it again",
    ):
        Explorer.open("seeds", root=root)


@pytest.mark.parametrize(
    "query, how, title",
    [
        ("gemma-2-improving-open-language-models", "id", GEMMA2),
        (GEMMA2.upper(), "title", GEMMA2),
        ("Gemma", "short title", GEMMA),  # the part before the colon, not "Gemma 2: …"
        ("Gemma 2", "short title", GEMMA2),
        ("gemma 2: improving open", "title prefix", GEMMA2),
        ("Toxicity Detection: Does Context Realy Matter", "closest title", TOX_A),
    ],
)
def test_find_paper_says_how_it_matched(seed_corpus, query, how, title):
    m = find_paper(seed_corpus, query)
    assert (m.how, m.paper.title) == (how, title)


def test_ambiguous_prefix_names_the_other_matches(seed_corpus):
    m = find_paper(seed_corpus, "Toxicity Detection")
    assert (m.how, m.paper.title) == ("short title", TOX_A)
    assert [p.title for p in m.others] == [TOX_B]
    assert m.describe().endswith(f"(also matched: {TOX_B})")


def test_bad_queries_are_refused_clearly(ex):
    with pytest.raises(ExplorerError, match="k must be a positive integer, got 0"):
        ex.related(GEMMA2, k=0)
    with pytest.raises(ExplorerError, match="k must be a positive integer, got -3"):
        ex.search("anything", k=-3)
    with pytest.raises(ExplorerError, match="empty query"):
        ex.search("  ")
    with pytest.raises(ExplorerError, match="no paper has the id or title 'zzzz qqqq'"):
        ex.related("zzzz qqqq")


def test_a_build_reports_each_stage(tmp_path, embedder, capsys):
    ex = Explorer.build(root=tmp_path / "cache", embedder=embedder, progress=True)
    err = capsys.readouterr().err
    stages = ["read", "embed", "index", "save", "lexical", "project", "cluster", "label", "map"]
    assert list(ex.report.extra["stages"]) == stages
    for name in stages:
        assert re.search(rf"^  {name}\b.*: \d+\.\ds \(peak \d+\.\d GB\)$", err, re.M), name
    assert "read 41 papers" in err
    # Built again: nothing but reading, the lexical index's load and the check of the map.
    again = Explorer.build(root=tmp_path / "cache", embedder=embedder, progress=True)
    assert list(again.report.extra["stages"]) == ["read", "lexical"]
    assert again.report.up_to_date
