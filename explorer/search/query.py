"""Related papers: to papers (by id or title), to free text; dense, lexical or hybrid ranking.

Functions here take a corpus, an index and vectors and return `list[Hit]`; they never read
files or load models themselves (the `Explorer` facade hands them what they need).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from explorer.index.lexical import LexicalIndex, top_k
from explorer.index.sentences import SentenceVectors
from explorer.index.vectors import VectorIndex
from explorer.papers import Corpus, ExplorerError, Hit
from explorer.search import ranking


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ExplorerError(f"k must be a positive integer, got {k!r}")
    return int(k)


def hits_from(corpus: Corpus, scores: NDArray[np.float32], rows: NDArray[np.int64]) -> list[Hit]:
    """One query's (k,) scores and rows → hits, dropping FAISS's -1 padding."""
    out: list[Hit] = []
    for s, r in zip(scores, rows, strict=True):
        if r >= 0:
            out.append(Hit(corpus[int(r)], float(s), len(out) + 1))
    return out


def nearest(
    corpus: Corpus,
    index: VectorIndex,
    query: NDArray[np.float32],
    k: int,
    *,
    exclude: list[int] | None = None,
) -> list[Hit]:
    """Top-k papers by cosine to `query` (d,), never returning the rows in `exclude`."""
    k = check_k(k)
    allowed = None
    if exclude:
        allowed = np.ones(len(index), dtype=bool)
        allowed[exclude] = False
    scores, rows = index.search(query[None, :], k, allowed=allowed)
    return hits_from(corpus, scores[0], rows[0])


# -- ranking with modes, several examples, filters and diversity ------------------------------

# Chosen by measurement (docs/quality.md): on CSFCube's expert judgements "sentences" scores
# above hybrid (MAP 0.451 vs 0.443, NDCG%20 0.601 vs 0.595; +0.008 ± 0.006 over 17 pairs, so
# within noise), ties it on arXiv same-category relevance (P@10 0.606 vs 0.608) and finds a
# paper by its title as often or more (found@1 1.000 vs 0.997). Hybrid's weighted sum with dense
# at 0.8 had tied dense on arXiv and beaten it on known items; RRF and lower dense weights lost.
DEFAULT_MODE = "sentences"
FUSION = "weighted"
FUSION_WEIGHT = 0.8  # dense share of the weighted sum
POOL_MIN = 100  # candidates per list for fusion and MMR re-ranking
# How several positive examples combine (see `make_query`). "blend" by measurement
# (docs/quality.md): finding an author's held-out paper from their others, it beats the mean
# (MRR +0.040 ± 0.012, recall@10 +0.035 ± 0.022), and it ties the mean on 3 examples of one
# topic (P@10 +0.000 ± 0.007), where "max" alone loses (−0.026 ± 0.011) though it wins more on
# authors (recall@10 +0.060 ± 0.026).
COMBINES = ("mean", "max", "blend")
DEFAULT_COMBINE = "blend"
# Mode "sentences": the weights of dense, sentence alignment and BM25, each min-max scaled over
# the candidates. The best on CSFCube-dev of the weights that keep arXiv's same-category P@10
# (hybrid's 0.8 : 0.2 between meaning and words, the alignment taking 3/8 of the meaning).
# CSFCube alone prefers BM25-heavy weights ((0.0, 0.3, 0.7): MAP 0.459 in sample, 0.448 cross-
# validated), which lose 0.04 P@10 on arXiv: not shipped (docs/quality.md).
ALIGN_WEIGHTS = (0.5, 0.3, 0.2)


Ranked = tuple[NDArray[np.floating], NDArray[np.int64]]


@dataclass(frozen=True)
class _Request:
    """What a mode's rank function gets: the indexes, the query, how many candidates, which rows
    may be returned, and the fusion (hybrid's alone)."""

    index: VectorIndex
    vectors: NDArray[np.float32]
    lexical: LexicalIndex | None
    query: Query
    pool: int
    allowed: NDArray[np.bool_] | None
    fusion: str
    weight: float
    sentences: SentenceVectors | None = None


def _dense(r: _Request) -> Ranked:
    q = r.query
    if q.examples is None:
        return ranking.dense_top(r.index, r.vectors, q.dense, r.pool, r.allowed)
    # several examples, "max" or "blend": the union of each example's top list and the mean's,
    # scored by `dense_scores` (exact for max: its best are in their best example's list)
    deep = max(r.pool, POOL_MIN)
    rows = np.unique(
        np.concatenate(
            [
                ranking.dense_top(r.index, r.vectors, e, deep, r.allowed)[1]
                for e in (*q.examples, q.dense)
            ]
        )
    )
    scores = q.dense_scores(np.asarray(r.vectors[rows], np.float32))
    order = np.lexsort((rows, -scores))[: r.pool]
    return scores[order], rows[order]


def _lexical(r: _Request) -> Ranked:
    assert r.lexical is not None and r.query.lexical is not None
    return r.lexical.search(r.query.lexical, r.pool, allowed=r.allowed)


def _candidates(
    r: _Request,
) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.float32]]:
    """The union of the dense and the lexical top lists (sorted rows, so that ties in a fusion
    go to the lower row), with each candidate's dense and BM25 scores."""
    assert r.lexical is not None and r.query.lexical is not None
    full_lex = r.lexical.scores(r.query.lexical)
    _, d_rows = _dense(r)
    keep = np.arange(len(r.index)) if r.allowed is None else np.flatnonzero(r.allowed)
    _, l_rows = top_k(full_lex[keep], keep, r.pool)
    cand = np.union1d(d_rows, l_rows).astype(np.int64)
    dense = r.query.dense_scores(np.asarray(r.vectors[cand], np.float32))
    return cand, dense, full_lex[cand]


def _hybrid(r: _Request) -> Ranked:
    """Fusion of both over the union of their top lists."""
    cand, dense, lex = _candidates(r)
    fused = ranking.fuse(dense, lex, method=r.fusion, weight=r.weight)
    order = np.lexsort((cand, -fused))
    return fused[order], cand[order]


def _sentences(r: _Request) -> Ranked:
    """Hybrid's candidates re-ranked with sentence alignment: a weighted sum of the min-max
    scaled dense, alignment and BM25 scores (`ALIGN_WEIGHTS`). Several examples: each
    candidate's best alignment to any one of them."""
    assert r.sentences is not None and r.query.sentences
    cand, dense, lex = _candidates(r)
    align = np.max([r.sentences.align(q, cand) for q in r.query.sentences], axis=0)
    fused = ranking.fuse_weighted((dense, align, lex), ALIGN_WEIGHTS)
    order = np.lexsort((cand, -fused))
    return fused[order], cand[order]


@dataclass(frozen=True)
class Mode:
    """One ranking mode, as `mode=NAME` and `--mode NAME` offer it. `lexical`: it needs the
    BM25 index (loaded on first use); `pooled`: it ranks a pool of at least POOL_MIN candidates
    before cutting to k. A new mode is one row of `RANKERS` plus its `rank` function."""

    name: str
    what: str
    lexical: bool
    pooled: bool
    rank: Callable[[_Request], Ranked]
    sentences: bool = False  # it needs the sentence vectors (loaded on first use)


RANKERS: tuple[Mode, ...] = (
    Mode("dense", "cosine of the vectors", lexical=False, pooled=False, rank=_dense),
    Mode("lexical", "BM25 over the words", lexical=True, pooled=False, rank=_lexical),
    Mode("hybrid", "both, fused", lexical=True, pooled=True, rank=_hybrid),
    Mode(
        "sentences",
        "hybrid's candidates re-ranked by aligning their sentences with the query's",
        lexical=True,
        pooled=True,
        rank=_sentences,
        sentences=True,
    ),
)
_MODE = {m.name: m for m in RANKERS}
MODES = tuple(_MODE)


def needs_lexical(mode: str | None) -> bool:
    """Whether ranking in `mode` (None: the default) uses the BM25 index."""
    return _MODE[check_mode(mode)].lexical


def needs_sentences(mode: str | None) -> bool:
    """Whether ranking in `mode` (None: the default) uses the sentence vectors."""
    return _MODE[check_mode(mode)].sentences


def modes_help() -> str:
    """The modes, for a command's help: "dense (cosine of the vectors), …"."""
    return ", ".join(f"{m.name} ({m.what})" for m in RANKERS)


def check_mode(mode: str | None) -> str:
    mode = DEFAULT_MODE if mode is None else mode
    if mode not in MODES:
        raise ExplorerError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


@dataclass(frozen=True)
class Query:
    """What to rank by: a dense query (d,), a lexical one (n_terms,) or None, rows to leave out."""

    dense: NDArray[np.float32]
    lexical: NDArray[np.float32] | None = None
    exclude: tuple[int, ...] = ()
    sentences: tuple[NDArray[np.float32], ...] = ()  # per positive example, (m_i, d)
    # combine "max" or "blend": the positive examples (p, d), the negatives' mean (d,) or None
    examples: NDArray[np.float32] | None = None
    against: NDArray[np.float32] | None = None
    combine: str = "mean"

    def dense_scores(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """The dense score of candidate vectors (m, d): the cosine to `dense` (Rocchio); with
        several examples combined by "max", the best example's cosine minus γ × the cosine to
        the negatives' mean; "blend": the average of the two."""
        mean = vectors @ self.dense
        if self.examples is None:
            return mean
        s = (vectors @ self.examples.T).max(axis=1)
        if self.against is not None:
            s = s - ranking.NEG_WEIGHT * (vectors @ self.against)
        return (s if self.combine == "max" else 0.5 * s + 0.5 * mean).astype(np.float32)


def make_query(
    vectors: NDArray[np.float32],
    lexical: LexicalIndex | None,
    corpus: Corpus,
    *,
    positives: Sequence[int] = (),
    negatives: Sequence[int] = (),
    pos_vectors: NDArray[np.float32] | None = None,
    neg_vectors: NDArray[np.float32] | None = None,
    pos_texts: Sequence[str] = (),
    neg_texts: Sequence[str] = (),
    sentences: SentenceVectors | None = None,
    pos_sentences: Sequence[NDArray[np.float32]] = (),
    combine: str = "mean",
) -> Query:
    """Rocchio on both sides: example rows of the corpus and embedded free texts (m, d).

    The dense query is mean(positives) − γ·mean(negatives), normalised; the lexical one is the
    same combination of each example's normalised term counts. Example rows are left out.
    With `sentences` (the corpus's store), each positive row's sentence vectors, then each free
    text's `pos_sentences` (m_i, d), are the query's sentences (mode "sentences").
    `combine`: "max" scores a candidate's dense side by its best example's cosine instead of
    the cosine to the mean (a reading list spans topics, and its mean may match none of
    them); "blend" by the average of the two.
    """
    if combine not in COMBINES:
        raise ExplorerError(f"combine must be one of {', '.join(COMBINES)}, got {combine!r}")
    d = vectors.shape[1]
    pv = [np.asarray(vectors[list(positives)], np.float32)] if positives else []
    nv = [np.asarray(vectors[list(negatives)], np.float32)] if negatives else []
    if pos_vectors is not None:
        pv.append(np.asarray(pos_vectors, np.float32).reshape(-1, d))
    if neg_vectors is not None:
        nv.append(np.asarray(neg_vectors, np.float32).reshape(-1, d))
    pos = np.concatenate(pv) if pv else np.zeros((0, d), np.float32)
    neg = np.concatenate(nv) if nv else None
    dense = ranking.rocchio(pos, neg)
    lex = None
    if lexical is not None:
        p_txt = [corpus[r].text for r in positives] + list(pos_texts)
        n_txt = [corpus[r].text for r in negatives] + list(neg_texts)
        wts = [1.0 / len(p_txt)] * len(p_txt)
        if n_txt:
            wts += [-ranking.NEG_WEIGHT / len(n_txt)] * len(n_txt)
        lex = lexical.query_vector(p_txt + n_txt, wts)
    sents: tuple[NDArray[np.float32], ...] = ()
    if sentences is not None:
        sents = (*(sentences.of(r) for r in positives), *pos_sentences)
    examples = against = None
    if combine != "mean" and len(pos) > 1:
        examples = pos
        against = None if neg is None else ranking.rocchio(neg)
    exclude = tuple(dict.fromkeys([*positives, *negatives]))
    return Query(dense, lex, exclude, sents, examples, against, combine)


def rank_rows(
    index: VectorIndex,
    vectors: NDArray[np.float32],
    lexical: LexicalIndex | None,
    query: Query,
    k: int,
    *,
    mode: str | None = None,
    allowed: NDArray[np.bool_] | None = None,
    diverse: float | None = None,
    fusion: str = FUSION,
    weight: float = FUSION_WEIGHT,
    sentences: SentenceVectors | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The ranking itself: (scores (k',), rows (k',)), best first, k' = min(k, allowed rows).

    The mode's `rank` (see `RANKERS`): dense: cosine; lexical: BM25; hybrid: fusion of both.
    Filters (`allowed`, (n,) bool) apply inside each search, before anything is cut.
    `diverse` = λ re-ranks a pool of candidates by maximal marginal relevance.
    """
    mode = check_mode(mode)
    k = check_k(k)
    n = len(index)
    if query.exclude:
        allowed = np.ones(n, dtype=bool) if allowed is None else allowed.copy()
        allowed[list(query.exclude)] = False
    ranker = _MODE[mode]
    pool = k if diverse is None and not ranker.pooled else max(POOL_MIN, 3 * k)
    if ranker.lexical and (lexical is None or query.lexical is None):
        raise ExplorerError(f"mode {mode!r} needs the lexical index")
    if ranker.sentences and (sentences is None or not query.sentences):
        raise ExplorerError(f"mode {mode!r} needs the sentence vectors")
    scores, rows = ranker.rank(
        _Request(index, vectors, lexical, query, pool, allowed, fusion, weight, sentences)
    )
    out = np.asarray(scores, np.float64)
    if diverse is not None and len(rows):
        pick = ranking.mmr(out, np.asarray(vectors[rows], np.float32), k, float(diverse))
        out, rows = out[pick], rows[pick]
    return out[:k], rows[:k]


def ranked(
    corpus: Corpus,
    index: VectorIndex,
    vectors: NDArray[np.float32],
    lexical: LexicalIndex | None,
    query: Query,
    k: int,
    **options: object,
) -> list[Hit]:
    """`rank_rows` as hits (options: mode, allowed, diverse, fusion, weight, sentences)."""
    scores, rows = rank_rows(index, vectors, lexical, query, k, **options)  # type: ignore[arg-type]
    # The fused score ranks; the cosine to the (combined) query is what a person can interpret.
    cosines: NDArray[np.float32] | list[float] = (
        np.asarray(vectors[rows], np.float32) @ query.dense if len(rows) else []
    )
    return [
        Hit(corpus[int(r)], float(s), i + 1, cosine=float(c))
        for i, (s, r, c) in enumerate(zip(scores, rows, cosines, strict=True))
    ]
