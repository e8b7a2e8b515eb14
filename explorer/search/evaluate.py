"""How good are the rankings on *your* data: IR metrics per mode, from judgements or labels.

Relevance comes from a judgements file (query paper id, relevant paper id, optional grade;
CSV, TSV, TREC qrels or JSONL) or, as a proxy, from a label: papers sharing the query paper's
label ("category" = primary category, or a key of `Paper.extra`) count as relevant.

Metrics, for one query, over its ranked list (the query paper itself never in it):
  R@k     relevant papers in the top k / all relevant papers of that query
  P@k     relevant papers in the top k / k
  nDCG@k  Σ gain_i / log2(i + 1) over the top k, divided by the same for the ideal order;
          gain = grade (1 without grades), as trec_eval does
  MRR     1 / rank of the first relevant paper within `depth` (0 if none)
  MAP     Σ over relevant ranks i ≤ depth of P@i, / min(relevant, depth) (so a perfect list is 1)
and each is averaged over the queries.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer.papers import Corpus, ExplorerError
from explorer.search.query import MODES, check_k, check_mode, make_query, needs_lexical, rank_rows

if TYPE_CHECKING:
    from explorer.index.lexical import LexicalIndex
    from explorer.index.vectors import VectorIndex


DIVERSE = 0.7  # the MMR λ evaluated as "with diversity"
QUERY_KEYS = ("query", "query_id", "query-id", "qid", "source")
DOC_KEYS = (
    "relevant",
    "relevant_id",
    "doc",
    "doc_id",
    "docid",
    "corpus-id",
    "corpus_id",
    "pid",
    "target",
)
GRADE_KEYS = ("grade", "score", "relevance", "rel")


# -- metrics of one ranked list ---------------------------------------------------------------


def recall_at_k(gains: NDArray[np.floating], n_relevant: int, k: int) -> float:
    """Share of the query's `n_relevant` papers found in the top k of `gains` (ranked grades)."""
    return float((np.asarray(gains[:k]) > 0).sum() / n_relevant) if n_relevant else 0.0


def precision_at_k(gains: NDArray[np.floating], k: int) -> float:
    return float((np.asarray(gains[:k]) > 0).sum() / k)


def dcg(gains: NDArray[np.floating], k: int) -> float:
    g = np.asarray(gains[:k], dtype=np.float64)
    return float((g / np.log2(np.arange(2, len(g) + 2))).sum())


def ndcg_at_k(gains: NDArray[np.floating], ideal: NDArray[np.floating], k: int) -> float:
    """DCG of the ranked `gains` over DCG of the `ideal` gains (every relevant grade, any order)."""
    best = dcg(np.sort(np.asarray(ideal, dtype=np.float64))[::-1], k)
    return dcg(gains, k) / best if best > 0 else 0.0


def reciprocal_rank(gains: NDArray[np.floating]) -> float:
    hits = np.flatnonzero(np.asarray(gains) > 0)
    return 1.0 / (hits[0] + 1) if hits.size else 0.0


def average_precision(gains: NDArray[np.floating], n_relevant: int) -> float:
    """Mean of P@i at each relevant rank i of the list, over min(n_relevant, len(list))."""
    rel = np.asarray(gains) > 0
    if not n_relevant or not rel.any():
        return 0.0
    ranks = np.flatnonzero(rel) + 1
    precisions = np.arange(1, len(ranks) + 1) / ranks
    return float(precisions.sum() / min(n_relevant, len(rel)))


# -- relevance --------------------------------------------------------------------------------


@dataclass
class Judgements:
    """query id → {relevant id: grade > 0}; rows naming papers outside the corpus are counted."""

    relevant: dict[str, dict[str, float]] = field(default_factory=dict)
    skipped_unknown: int = 0

    def add(self, q: str, d: str, grade: float, corpus: Corpus | None) -> None:
        if corpus is not None and (q not in corpus or d not in corpus):
            self.skipped_unknown += 1
        elif grade > 0 and q != d:  # grade 0 = judged not relevant
            self.relevant.setdefault(q, {})[d] = max(grade, self.relevant.get(q, {}).get(d, 0.0))


def _pick(names: Sequence[str], keys: Sequence[str]) -> int | None:
    low = [n.strip().lower() for n in names]
    return next((low.index(k) for k in keys if k in low), None)


def _grade(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExplorerError(f"{where}: grade {value!r} is not a number") from None


def read_judgements(path: str | Path, corpus: Corpus | None = None) -> Judgements:
    """Read relevance judgements: JSONL objects, or CSV/TSV/TREC-qrels rows.

    Columns are found by header name (query/query_id/qid, relevant/doc_id/corpus-id, grade/score)
    or, without a header, by position: query, relevant[, grade]; four columns are TREC qrels
    (query, iteration, document, grade). Errors name the file and line.
    """
    path = Path(path)
    out = Judgements()
    try:
        lines = path.read_text("utf-8").splitlines()
    except FileNotFoundError:
        raise ExplorerError(f"judgements file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ExplorerError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        for no, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{no}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ExplorerError(f"{where}: invalid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ExplorerError(f"{where}: expected a JSON object")
            qi, di, gi = (
                _pick(list(obj), QUERY_KEYS),
                _pick(list(obj), DOC_KEYS),
                _pick(list(obj), GRADE_KEYS),
            )
            if qi is None or di is None:
                raise ExplorerError(
                    f"{where}: needs a query id ({QUERY_KEYS[0]}) and a relevant id ({DOC_KEYS[0]})"
                )
            vals = list(obj.values())
            out.add(
                str(vals[qi]), str(vals[di]), 1.0 if gi is None else _grade(vals[gi], where), corpus
            )
        return out
    delim = "," if path.suffix.lower() == ".csv" else "\t"
    rows = [
        (no, r)
        for no, r in enumerate(csv.reader(lines, delimiter=delim), 1)
        if any(c.strip() for c in r)
    ]
    if delim == "\t":  # TREC qrels separate by spaces
        rows = [(no, r[0].split() if len(r) == 1 else r) for no, r in rows]
    if not rows:
        raise ExplorerError(f"{path}: no judgements")
    qi, di, gi = (
        _pick(rows[0][1], QUERY_KEYS),
        _pick(rows[0][1], DOC_KEYS),
        _pick(rows[0][1], GRADE_KEYS),
    )
    header = qi is not None and di is not None
    for no, r in rows[1:] if header else rows:
        where = f"{path}:{no}"
        if not header:  # by position: query, relevant[, grade]; four columns are TREC qrels
            qi, di, gi = (0, 2, 3) if len(r) == 4 else (0, 1, 2 if len(r) >= 3 else None)
        assert qi is not None and di is not None
        if len(r) <= max(qi, di, gi or 0):
            raise ExplorerError(
                f"{where}: expected a query id and a relevant id, got {len(r)} column(s)"
            )
        grade = 1.0 if gi is None else _grade(r[gi].strip(), where)
        out.add(r[qi].strip(), r[di].strip(), grade, corpus)
    return out


def labels_of(corpus: Corpus, label: str) -> list[str | None]:
    """Each paper's label: "category" = primary category, else the `Paper.extra` key."""
    if label in ("category", "primary_category"):
        values = [p.primary_category for p in corpus]
    else:
        values = [dict(p.extra).get(label) for p in corpus]
    if not any(values):
        keys = sorted({k for p in corpus for k, _ in p.extra})
        raise ExplorerError(
            f"no paper has the label {label!r}; use 'category' or one of: "
            f"{', '.join(keys) or '(no extra fields)'}"
        )
    return values


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> str:
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
) -> EvalReport:
    """Rank every query paper's corpus by each mode (and with MMR λ = `diverse`); average metrics.

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
    lex = lexical() if any(needs_lexical(m) for m in modes) else None
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
        query = make_query(vectors, lex, corpus, positives=[row])
        for (mode, lam), acc in sums.items():
            _, rows = rank_rows(index, vectors, lex, query, depth, mode=mode, diverse=lam, **extra)
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
