"""IR metrics of one ranked list, from the grades of the ranked papers ("gains").

Corpus-wide (a query's list ranks the whole corpus):
  R@k     relevant papers in the top k / all relevant papers of that query
  P@k     relevant papers in the top k / k
  nDCG@k  Σ gain_i / log2(i + 1) over the top k, divided by the same for the ideal order;
          gain = grade (1 without grades), as trec_eval does
  MRR     1 / rank of the first relevant paper within `depth` (0 if none)
  MAP     Σ over relevant ranks i ≤ depth of P@i, / min(relevant, depth) (so a perfect list is 1)

Pooled (CSFCube's protocol, Mysore et al. 2021: a query's list ranks only its judged pool):
  MAP      average precision over the whole ranked pool, relevant = grade ≥ 2
  NDCG%20  linear gains cut at ⌊20% of the pool⌋, ranks 1 and 2 undiscounted and rank i ≥ 2
           discounted by log2(i), normalised by the pool's ideal order
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


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


def pool_average_precision(grades: NDArray[np.floating], min_grade: float) -> float:
    """AP of a whole ranked pool (`grades` in rank order), relevant = grade ≥ `min_grade`:
    the mean of P@i over the relevant ranks i; 0 when the pool has nothing relevant."""
    rel = (np.asarray(grades, dtype=np.float64) >= min_grade).astype(np.float64)
    return average_precision(rel, int(rel.sum()))  # the whole pool is ranked: the same mean


def _dcg_flat_top2(gains: NDArray[np.floating]) -> float:
    g = np.asarray(gains, dtype=np.float64)
    if not g.size:
        return 0.0
    return float(g[0] + (g[1:] / np.log2(np.arange(2, g.size + 1))).sum())


def ndcg_share(grades: NDArray[np.floating], share: float = 0.2) -> float:
    """CSFCube's NDCG%20 of a whole ranked pool: cut at ⌊share × pool⌋, linear gains, ranks 1
    and 2 undiscounted, rank i ≥ 2 divided by log2(i); over the pool's ideal order."""
    g = np.asarray(grades, dtype=np.float64)
    k = int(share * g.size)
    best = _dcg_flat_top2(np.sort(g)[::-1][:k])
    return _dcg_flat_top2(g[:k]) / best if best > 0 else 0.0
