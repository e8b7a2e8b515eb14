"""How good are the rankings on *your* data: IR metrics per mode, from judgements or labels.

Relevance comes from a judgements file (query paper id, relevant paper id, optional grade and
facet; CSV, TSV, TREC qrels or JSONL; see `judgements.py`) or, as a proxy, from a label:
papers sharing the query paper's label ("category" = primary category, or a key of
`Paper.extra`) count as relevant.

Two protocols (metrics in `metrics.py`, each averaged over the queries):
- corpus-wide: each query paper ranks the whole corpus (itself left out);
- pooled, CSFCube's: each (query, facet) pair ranks only its judged pool; MAP and NDCG%20 as
  the collection defines them. A judgements file with a facet column is pooled by default.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer.papers import Corpus, ExplorerError
from explorer.search.judgements import Judgements, labels_of, read_judgements
from explorer.search.metrics import (
    average_precision,
    ndcg_at_k,
    ndcg_share,
    pool_average_precision,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)
from explorer.search.query import (
    MODES,
    check_k,
    check_mode,
    make_query,
    needs_lexical,
    needs_sentences,
    rank_rows,
)

if TYPE_CHECKING:
    from explorer.index.lexical import LexicalIndex
    from explorer.index.sentences import SentenceVectors
    from explorer.index.vectors import VectorIndex


DIVERSE = 0.7  # the MMR λ evaluated as "with diversity"
POOL_MIN_GRADE = 2.0  # CSFCube: grades 2 and 3 are relevant, 0 and 1 are not

# -- the evaluation loop ----------------------------------------------------------------------


@dataclass
class EvalReport:
    relevance: str
    queries: int
    k: int
    depth: int
    rows: list[dict[str, Any]]
    clusters: dict[str, Any] | None = None
    skipped_unknown: int = 0
    seconds: float = 0.0
    protocol: str = "corpus"  # or "pooled": each query ranks its judged pool (CSFCube)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> str:
        if self.protocol == "pooled":
            cols = ["MAP", "NDCG%20", f"R@{self.k}", f"P@{self.k}", "MRR"]
            keys = ["map", "ndcg_pct", "recall", "precision", "mrr"]
        else:
            cols = [f"R@{self.k}", f"P@{self.k}", f"nDCG@{self.k}", "MRR", f"MAP@{self.depth}"]
            keys = ["recall", "precision", "ndcg", "mrr", "map"]
        lines = [f"{'mode':<14}" + "".join(f"{c:>10}" for c in cols)]
        for r in self.rows:
            lines.append(f"{r['mode']:<14}" + "".join(f"{r[key]:>10.4f}" for key in keys))
        if self.clusters:
            c = self.clusters
            lines.append(
                f"clusters ({c['method']}): {c['clusters']} clusters, "
                f"V-measure {c['v_measure']:.3f}, ARI {c['ari']:.3f}"
            )
        return "\n".join(lines)


def configs(modes: Sequence[str], diverse: float | None) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = [(m, None) for m in modes]
    if diverse is not None:
        out += [(m, diverse) for m in modes]
    return out


def evaluate(
    corpus: Corpus,
    index: VectorIndex,
    vectors: NDArray[np.float32],
    lexical: Callable[[], LexicalIndex],
    *,
    sentences: Callable[[], SentenceVectors] | None = None,
    topics: Callable[[], NDArray[np.intp]] | None = None,
    corpus_name: str = "corpus",
    judgements: str | Path | None = None,
    label: str | None = None,
    k: int = 10,
    depth: int = 100,
    modes: Sequence[str] = MODES,
    diverse: float | None = DIVERSE,
    queries: int = 1000,
    seed: int = 0,
    clusters: bool = True,
    fusion: str | None = None,
    weight: float | None = None,
    pooled: bool | None = None,
) -> EvalReport:
    """Rank every query paper's corpus by each mode (and with MMR λ = `diverse`); average metrics.

    `pooled` (default: when the judgements file has a facet column) ranks each (query, facet)
    pair's judged pool instead, by CSFCube's protocol (grade ≥ 2 relevant; MAP and NDCG%20).

    At most `queries` query papers, drawn with `seed` when there are more. With a `label`, also
    V-measure and ARI of `explorer.maps.topics`' clusters against the labels
    (`clusters=False`: skip). The parts are the corpus's: `lexical` and `topics` (the
    clusters, one per paper) are called only when a mode or the label needs them.
    """
    if (judgements is None) == (label is None):
        raise ExplorerError("give either a judgements file or a label to evaluate against")
    check_k(k)
    for name, value in (("depth", depth), ("queries", queries)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ExplorerError(f"{name} must be a positive integer, got {value!r}")
    if depth < k:
        raise ExplorerError(f"depth ({depth}) must be at least k ({k})")
    modes = [check_mode(m) for m in modes]
    t0 = time.perf_counter()
    labels: list[str | None] | None = None
    skipped = 0
    if judgements is not None:
        j = read_judgements(judgements, corpus)
        if not j.relevant:
            raise ExplorerError(
                f"{judgements}: no judgement names two papers of corpus {corpus_name!r}"
            )
        qids = sorted(j.relevant)
        skipped = j.skipped_unknown
        relevance = f"judgements in {Path(judgements).name}"
        if j.faceted if pooled is None else pooled:
            parts = _parts(modes, lexical, sentences)
            report = _pooled(corpus, index, vectors, parts, j, k, modes, diverse, relevance)
            report.seconds = round(time.perf_counter() - t0, 1)
            return report
    elif pooled:
        raise ExplorerError("pooled evaluation needs a judgements file (its pools are ranked)")
    else:
        assert label is not None
        labels = labels_of(corpus, label)
        counts: dict[str, int] = {}
        for v in labels:
            if v is not None:
                counts[v] = counts.get(v, 0) + 1
        qids = [
            p.id for p, v in zip(corpus, labels, strict=True) if v is not None and counts[v] > 1
        ]
        relevance = f"same {label}"
    rng = np.random.default_rng(seed)
    if len(qids) > queries:
        qids = [qids[i] for i in sorted(rng.choice(len(qids), queries, replace=False))]
    label_arr = (
        np.array([v if v is not None else "" for v in labels]) if labels is not None else None
    )
    lex, store = _parts(modes, lexical, sentences)
    vectors = np.asarray(vectors, dtype=np.float32)
    sums = {c: np.zeros(5) for c in configs(modes, diverse)}
    # Hybrid's fusion and its dense weight, for measuring alternatives (default: search's own).
    extra: dict[str, Any] = {
        key: v for key, v in (("fusion", fusion), ("weight", weight)) if v is not None
    }
    for qid in qids:
        row = corpus.position(qid)
        if label_arr is not None:
            grade_of = (label_arr == label_arr[row]).astype(np.float64)
            grade_of[row] = 0.0
            ideal = grade_of[grade_of > 0]
        else:
            grade_of = np.zeros(len(corpus))
            for d, g in j.relevant[qid].items():
                grade_of[corpus.position(d)] = g
            ideal = np.array(list(j.relevant[qid].values()))
        n_rel = int((ideal > 0).sum())
        query = make_query(vectors, lex, corpus, positives=[row], sentences=store)
        for (mode, lam), acc in sums.items():
            _, rows = rank_rows(
                index, vectors, lex, query, depth, mode=mode, diverse=lam, sentences=store, **extra
            )
            g = grade_of[rows]
            acc += [
                recall_at_k(g, n_rel, k),
                precision_at_k(g, k),
                ndcg_at_k(g, ideal, k),
                reciprocal_rank(g),
                average_precision(g, n_rel),
            ]
    table = []
    for (mode, lam), acc in sums.items():
        m = acc / max(len(qids), 1)
        name = mode if lam is None else f"{mode}+mmr{lam:g}"
        table.append(
            {
                "mode": name,
                "diverse": lam,
                "recall": m[0],
                "precision": m[1],
                "ndcg": m[2],
                "mrr": m[3],
                "map": m[4],
            }
        )
    report = EvalReport(relevance, len(qids), k, depth, table, skipped_unknown=skipped)
    if labels is not None and clusters and topics is not None:
        report.clusters = cluster_scores(topics(), labels)
    report.seconds = round(time.perf_counter() - t0, 1)
    return report


def _parts(
    modes: Sequence[str],
    lexical: Callable[[], LexicalIndex],
    sentences: Callable[[], SentenceVectors] | None,
) -> tuple[LexicalIndex | None, SentenceVectors | None]:
    """The BM25 index and the sentence vectors, loaded only when a mode needs them."""
    lex = lexical() if any(needs_lexical(m) for m in modes) else None
    want = any(needs_sentences(m) for m in modes)
    if want and sentences is None:
        raise ExplorerError("mode 'sentences' needs the corpus's sentence vectors")
    return lex, sentences() if want and sentences is not None else None


def _pooled(
    corpus: Corpus,
    index: VectorIndex,
    vectors: NDArray[np.float32],
    parts: tuple[LexicalIndex | None, SentenceVectors | None],
    j: Judgements,
    k: int,
    modes: Sequence[str],
    diverse: float | None,
    relevance: str,
) -> EvalReport:
    """CSFCube's protocol: each (query, facet) pair ranks its judged pool, the whole of it."""
    lex, store = parts
    vectors = np.asarray(vectors, dtype=np.float32)
    pairs = sorted(j.pools)
    sums = {c: np.zeros(6) for c in configs(modes, diverse)}
    for q, facet in pairs:
        pool = j.pools[(q, facet)]
        rows = np.array([corpus.position(d) for d in pool], dtype=np.int64)
        grade_of = np.zeros(len(corpus))
        grade_of[rows] = list(pool.values())
        allowed = np.zeros(len(corpus), dtype=bool)
        allowed[rows] = True
        relevant = grade_of * (grade_of >= POOL_MIN_GRADE)
        n_rel = int((relevant > 0).sum())
        query = make_query(vectors, lex, corpus, positives=[corpus.position(q)], sentences=store)
        for (mode, lam), acc in sums.items():
            _, ranked = rank_rows(
                index,
                vectors,
                lex,
                query,
                len(rows),
                mode=mode,
                diverse=lam,
                allowed=allowed,
                sentences=store,
            )
            g = grade_of[ranked]
            acc += [
                pool_average_precision(g, POOL_MIN_GRADE),
                ndcg_share(g),
                recall_at_k(relevant[ranked], n_rel, k),
                precision_at_k(relevant[ranked], k),
                reciprocal_rank(relevant[ranked]),
                ndcg_at_k(g, g, k),
            ]
    table = []
    for (mode, lam), acc in sums.items():
        m = acc / max(len(pairs), 1)
        keys = ("map", "ndcg_pct", "recall", "precision", "mrr", "ndcg")
        name = mode if lam is None else f"{mode}+mmr{lam:g}"
        table.append({"mode": name, "diverse": lam, **dict(zip(keys, m.tolist(), strict=True))})
    return EvalReport(
        relevance + " (pooled: each query ranks its judged papers)",
        len(pairs),
        k,
        max(len(p) for p in j.pools.values()),
        table,
        skipped_unknown=j.skipped_unknown,
        protocol="pooled",
    )


def cluster_scores(found: NDArray[np.intp], labels: Sequence[str | None]) -> dict[str, Any]:
    """V-measure and adjusted Rand index of the map's topics `found` (n,) against `labels`,
    over the papers that have a label (papers in no topic, if any, count as one more class)."""
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    keep = np.array([v is not None for v in labels])
    truth = [v for v in labels if v is not None]
    return {
        "method": "the map's topics (UMAP 2-D + HDBSCAN, settings in landscape/topics.json)",
        "clusters": int(found.max() + 1),
        "v_measure": float(v_measure_score(truth, found[keep])),
        "ari": float(adjusted_rand_score(truth, found[keep])),
    }
