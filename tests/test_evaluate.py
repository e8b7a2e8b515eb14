"""IR metrics against hand-computed values; judgement files; the per-mode evaluation loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer import Explorer, ExplorerError
from explorer.papers import Corpus, Paper
from explorer.search.judgements import read_judgements
from explorer.search.metrics import (
    average_precision,
    dcg,
    ndcg_at_k,
    ndcg_share,
    pool_average_precision,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)

# A ranked list of 5 with relevant papers at ranks 1 and 3; the query has 3 relevant in all.
G = np.array([1, 0, 1, 0, 0], dtype=float)


def test_binary_metrics_by_hand():
    assert recall_at_k(G, 3, 5) == 2 / 3
    assert recall_at_k(G, 3, 2) == 1 / 3
    assert precision_at_k(G, 5) == 2 / 5
    assert precision_at_k(G, 2) == 1 / 2
    assert reciprocal_rank(G) == 1.0
    assert reciprocal_rank(np.array([0, 0, 1.0])) == 1 / 3
    assert reciprocal_rank(np.zeros(4)) == 0.0
    # AP: precision at ranks 1 and 3 = 1 and 2/3, over min(3 relevant, 5 ranked)
    assert average_precision(G, 3) == pytest.approx((1 + 2 / 3) / 3)
    # only 2 ranked, 3 relevant: normalised by 2 (a perfect list of 2 scores 1)
    assert average_precision(np.array([1.0, 1.0]), 3) == 1.0
    assert average_precision(np.zeros(3), 3) == 0.0


def test_ndcg_by_hand_binary_and_graded():
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal (3 relevant) = 1 + 1/log2(3) + 1/log2(4)
    assert dcg(G, 5) == pytest.approx(1.5)
    assert ndcg_at_k(G, np.ones(3), 5) == pytest.approx(1.5 / (1.5 + 1 / math.log2(3)))
    # graded: ranked gains 1, 3, 0 against ideal 3, 1 (gain = grade, as trec_eval)
    got = ndcg_at_k(np.array([1.0, 3.0, 0.0]), np.array([1.0, 3.0]), 3)
    assert got == pytest.approx((1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3)))
    assert ndcg_at_k(np.array([3.0, 1.0]), np.array([1.0, 3.0]), 2) == 1.0
    assert ndcg_at_k(G, np.zeros(0), 5) == 0.0


def test_csfcube_metrics_by_hand():
    """CSFCube's MAP (relevant = grade ≥ 2, over the whole pool) and NDCG%20 (cut at ⌊20%⌋ of
    the pool, ranks 1 and 2 undiscounted, linear gains), computed by hand on a pool of 10."""
    ranked = np.array([1, 3, 0, 2, 0, 0, 3, 0, 0, 2], dtype=float)
    # relevant (≥ 2) at ranks 2, 4, 7, 10: P = 1/2, 2/4, 3/7, 4/10
    assert pool_average_precision(ranked, 2) == pytest.approx((1 / 2 + 2 / 4 + 3 / 7 + 4 / 10) / 4)
    assert pool_average_precision(ranked, 4) == 0.0
    # k = ⌊0.2 × 10⌋ = 2: DCG = 1 + 3 (rank 2 undiscounted); ideal = 3 + 3
    assert ndcg_share(ranked) == pytest.approx(4 / 6)
    # pool of 15 → k = 3: DCG = 1 + 3 + 0/log2(3); ideal = 3 + 3 + 2/log2(3)
    longer = np.concatenate([ranked, np.zeros(5)])
    assert ndcg_share(longer) == pytest.approx(4 / (6 + 2 / math.log2(3)))
    assert ndcg_share(np.sort(ranked)[::-1]) == 1.0
    assert ndcg_share(np.zeros(10)) == 0.0


def test_faceted_judgements_keep_pools_with_zero_grades(tmp_path):
    corpus = Corpus(Paper(i, f"title {i}", "abstract") for i in ("q", "a", "b", "c"))
    text = (
        "query_id\tfacet\tcandidate_id\trelevance_0to3\n"
        "q\tmethod\ta\t3\nq\tmethod\tb\t0\nq\tresult\tc\t1\nq\tresult\tzz\t2\n"
    )
    j = read_judgements(write(tmp_path, "qrels.tsv", text), corpus)
    assert j.faceted
    assert j.pools == {("q", "method"): {"a": 3.0, "b": 0.0}, ("q", "result"): {"c": 1.0}}
    assert j.relevant == {"q": {"a": 3.0, "c": 1.0}}
    assert j.skipped_unknown == 1


@pytest.fixture
def corpus() -> Corpus:
    return Corpus(Paper(i, f"title {i}", "abstract") for i in ("a", "b", "c", "d"))


def write(tmp_path, name: str, text: str):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "name, text",
    [
        ("j.csv", "query_id,doc_id,grade\na,b,2\na,c,1\nd,a,1\n"),
        ("j.tsv", "a\tb\t2\na\tc\t1\nd\ta\t1\n"),
        ("j.qrels", "a 0 b 2\na 0 c 1\nd 0 a 1\n"),  # TREC qrels, space separated
        ("j.tsv", "query-id\tcorpus-id\tscore\na\tb\t2\na\tc\t1\nd\ta\t1\n"),  # BEIR's header
        (
            "j.jsonl",
            '{"query": "a", "relevant": "b", "grade": 2}\n{"query": "a", "relevant": "c"}\n'
            '\n{"qid": "d", "doc_id": "a"}\n',
        ),
    ],
)
def test_judgement_files_in_every_format(tmp_path, corpus, name, text):
    j = read_judgements(write(tmp_path, name, text), corpus)
    assert j.relevant == {"a": {"b": 2.0, "c": 1.0}, "d": {"a": 1.0}}
    assert j.skipped_unknown == 0


def test_judgements_skip_unknown_papers_and_zero_grades(tmp_path, corpus):
    j = read_judgements(write(tmp_path, "j.csv", "a,b\na,zz\nyy,b\na,c,0\nb,b\n"), corpus)
    assert j.relevant == {"a": {"b": 1.0}}
    assert j.skipped_unknown == 2


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("j.csv", "query,doc,grade\na,b,high\n", r"j\.csv:2: grade 'high' is not a number"),
        ("j.jsonl", '{"query": "a", "relevant": "b"}\n{oops\n', r"j\.jsonl:2: invalid JSON"),
        ("j.jsonl", '{"query": "a"}\n', r"j\.jsonl:1: needs a query id"),
        ("j.tsv", "a\tb\nc\n", r"j\.tsv:2: expected a query id and a relevant id, got 1 column"),
        ("j.csv", "", r"j\.csv: no judgements"),
    ],
)
def test_bad_judgement_files_name_file_and_line(tmp_path, corpus, name, text, message):
    with pytest.raises(ExplorerError, match=message):
        read_judgements(write(tmp_path, name, text), corpus)


def test_missing_judgement_file(tmp_path):
    with pytest.raises(ExplorerError, match="does not exist"):
        read_judgements(tmp_path / "nope.csv")


# -- the loop on the real seed corpus ------------------------------------------------------------


@pytest.fixture(scope="module")
def ex(tmp_path_factory, embedder) -> Explorer:
    return Explorer.build(root=tmp_path_factory.mktemp("eval") / "cache", embedder=embedder)


def test_judgements_made_from_dense_top_hits_score_dense_perfectly(ex, tmp_path):
    lines = ["query,relevant"]
    for p in list(ex.corpus)[:10]:
        top = ex.related(p.id, k=1, mode="dense")[0]
        lines.append(f"{p.id},{top.paper.id}")
    path = write(tmp_path, "j.csv", "\n".join(lines) + "\n")
    r = ex.evaluate(path, k=1, depth=5, diverse=None)
    rows = {row["mode"]: row for row in r.rows}
    assert r.queries == 10 and set(rows) == {"dense", "lexical", "hybrid", "sentences"}
    assert (
        rows["dense"]["mrr"] == 1.0
        and rows["dense"]["recall"] == 1.0
        and rows["dense"]["ndcg"] == 1.0
    )
    assert rows["lexical"]["mrr"] <= 1.0


def test_pooled_protocol_ranks_only_the_pool(ex, tmp_path):
    """A CSFCube-style file (a facet column): each pair ranks its judged pool of 10 papers.
    Grading a pool's dense order 3, 3, 2, 0… makes dense perfect (MAP and NDCG%20 = 1), and
    reversing the grades makes it as bad as a pool can be, which the hand formulas give."""
    papers = list(ex.corpus)
    lines = ["query_id\tfacet\tcandidate_id\trelevance_0to3"]
    for q, facet in ((papers[0], "method"), (papers[5], "result")):
        pool = [p.id for p in papers[10:20]]
        order = [h.paper.id for h in ex.related(q.id, k=10, mode="dense", ids=pool)]
        assert sorted(order) == sorted(pool)  # the filter hands back the whole pool
        grades = [3, 3, 2] + [0] * 7
        for pid, g in zip(order, grades if facet == "method" else grades[::-1], strict=True):
            lines.append(f"{q.id}\t{facet}\t{pid}\t{g}")
    path = write(tmp_path, "qrels.tsv", "\n".join(lines) + "\n")
    r = ex.evaluate(path, k=5, diverse=None, modes=("dense", "hybrid"))
    assert r.protocol == "pooled" and r.queries == 2
    dense = next(row for row in r.rows if row["mode"] == "dense")
    # reversed: relevant at ranks 8, 9, 10 → AP = (1/8 + 2/9 + 3/10) / 3; NDCG%20 (k = 2) = 0
    assert dense["map"] == pytest.approx((1 + (1 / 8 + 2 / 9 + 3 / 10) / 3) / 2)
    assert dense["ndcg_pct"] == pytest.approx((1 + 0) / 2)
    assert r.table().splitlines()[0].split() == ["mode", "MAP", "NDCG%20", "R@5", "P@5", "MRR"]
    # the same file ranked corpus-wide is the other protocol, on request
    assert ex.evaluate(path, k=5, diverse=None, modes=("dense",), pooled=False).protocol == (
        "corpus"
    )


def test_category_proxy_gives_every_mode_with_and_without_diversity(ex):
    r = ex.evaluate(label="category", k=5, clusters=False)
    assert [row["mode"] for row in r.rows] == [
        "dense",
        "lexical",
        "hybrid",
        "sentences",
        "dense+mmr0.7",
        "lexical+mmr0.7",
        "hybrid+mmr0.7",
        "sentences+mmr0.7",
    ]
    for row in r.rows:
        for key in ("recall", "precision", "ndcg", "mrr", "map"):
            assert 0.0 <= row[key] <= 1.0
    # singleton categories (cs.IR, cs.NI, stat.ML: one paper each) have nothing to find
    assert r.queries == 41 - 3
    assert r.table().splitlines()[0].split() == ["mode", "R@5", "P@5", "nDCG@5", "MRR", "MAP@100"]


def test_clusters_are_scored_against_labels(ex):
    r = ex.evaluate(label="category", k=5, queries=5, modes=("dense",), diverse=None)
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    found = ex.landscape().clusters  # the topics the map shows, not a clustering of its own
    truth = [p.primary_category for p in ex.corpus]
    assert r.clusters is not None and r.clusters["clusters"] == int(found.max() + 1)
    assert r.clusters["v_measure"] == v_measure_score(truth, found)
    assert r.clusters["ari"] == adjusted_rand_score(truth, found)


def test_evaluation_mistakes_are_one_line_errors(ex, tmp_path):
    with pytest.raises(ExplorerError, match="either a judgements file or a label"):
        ex.evaluate()
    with pytest.raises(ExplorerError, match="no paper has the label 'nope'; use 'category'"):
        ex.evaluate(label="nope")
    with pytest.raises(ExplorerError, match="no judgement names two papers of corpus 'seeds'"):
        ex.evaluate(write(tmp_path, "j.csv", "x,y\n"))
    with pytest.raises(ExplorerError, match="queries must be a positive integer, got 0"):
        ex.evaluate(label="category", queries=0)
