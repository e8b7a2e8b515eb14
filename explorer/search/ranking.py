"""Ranking arithmetic on arrays: filters, exact filtered top-k, Rocchio, fusion, MMR.

Pure functions: arrays (and a corpus, for filters) in, arrays out. No model, no disk.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from explorer.index.lexical import top_k
from explorer.index.vectors import VectorIndex
from explorer.papers import Corpus, ExplorerError

# Below this share of the corpus, a filtered dense search multiplies the allowed rows' vectors
# directly (exact, and it reads only those rows); above it, FAISS's selector scans everything.
BRUTE_FORCE_SHARE = 0.1
RRF_K = 60  # reciprocal-rank fusion's constant, as in Cormack et al. (2009) and most engines
# Rocchio's γ: how far negative examples push the query away (positives weigh 1). Classic
# Rocchio's 0.15 helped on the arXiv subset, as 0.25 did (within noise); 0.5 hurt
# (docs/quality.md, table E).
NEG_WEIGHT = 0.15

# Matched on the stripped text: leading and trailing `\s*` around optional parts backtrack
# cubically on a long run of spaces ("--year" followed by 2,000 spaces took 12 s).
_YEARS = re.compile(r"(\d{4})?\s*(?:(-|–|\.\.)\s*(\d{4})?)?")


def parse_years(text: str) -> tuple[int | None, int | None]:
    """ "2020-2024", "2020-", "-2024" or "2024" → (from, to), either end open (None)."""
    m = _YEARS.fullmatch((text or "").strip())
    if not m or not (m.group(1) or m.group(3)):
        raise ExplorerError(
            f"year range must look like 2020-2024, 2020-, -2024 or 2024, got {text!r}"
        )
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(3)) if m.group(3) else None
    if m.group(2) is None:
        hi = lo
    if lo is not None and hi is not None and lo > hi:
        raise ExplorerError(f"year range {text!r} ends before it starts")
    return lo, hi


def _fold(s: str) -> str:
    """Case- and accent-insensitive form, so that "muller" finds "Müller"."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)
    ).casefold()


@dataclass(frozen=True)
class Filters:
    """Which papers may be returned. Empty fields filter nothing; all given fields must hold.

    `categories` match any of a paper's categories, primary or cross-list (as arXiv's own
    listings do), case-insensitively; "cs" matches every "cs.*". Several categories: any of them.
    `author` is a case- and accent-insensitive substring of any author's name.
    `since` ("YYYY-MM-DD", "YYYY-MM" or "YYYY"): papers dated on or after it. A paper dated
    only to a month or a year passes when some day of it is on or after `since` (listed in June
    counts as new since June 10); a paper without a date never does.
    """

    years: tuple[int | None, int | None] | None = None
    categories: tuple[str, ...] = ()
    author: str | None = None
    ids: frozenset[str] | None = None
    since: str | None = None

    @classmethod
    def make(
        cls,
        years: str | tuple[int | None, int | None] | None = None,
        categories: str | Iterable[str] = (),
        author: str | None = None,
        ids: Iterable[str] | None = None,
        since: str | None = None,
    ) -> Filters:
        """Filters from user-facing values: years as text or a pair, one or more categories."""
        if isinstance(years, str):
            years = parse_years(years)
        cats = (categories,) if isinstance(categories, str) else tuple(categories)
        return cls(
            years,
            tuple(c.strip() for c in cats if c.strip()),
            author or None,
            frozenset(ids) if ids is not None else None,
            parse_since(since) if since is not None else None,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.years or self.categories or self.author or self.ids is not None or self.since
        )

    def describe(self) -> str:
        parts = []
        if self.years:
            lo, hi = self.years
            parts.append(f"year {lo or ''}-{hi or ''}" if lo != hi else f"year {lo}")
        if self.categories:
            parts.append("category " + " or ".join(self.categories))
        if self.author:
            parts.append(f"author ~ {self.author!r}")
        if self.ids is not None:
            parts.append(f"{len(self.ids)} chosen ids")
        if self.since:
            parts.append(f"dated {self.since} or later")
        return ", ".join(parts)

    def mask(self, corpus: Corpus) -> NDArray[np.bool_]:
        """(n,) bool: True where the paper passes every filter.

        A filter on a field that no paper of the corpus has (dates, categories, authors), an
        unknown category and an unknown id are errors that say what the corpus has: an empty
        result would look like an answer."""
        keep = np.ones(len(corpus), dtype=bool)
        if self.years:
            lo, hi = self.years
            years = [p.year for p in corpus]
            if all(y is None for y in years):
                raise ExplorerError(
                    "the year filter needs dates, and no paper of this corpus has a date or year"
                )
            keep &= np.array(
                [
                    y is not None and (lo is None or y >= lo) and (hi is None or y <= hi)
                    for y in years
                ],
                dtype=bool,
            )
        if self.categories:
            want = [c.casefold() for c in self.categories]
            _check_categories(corpus, self.categories)

            def ok(cats: Sequence[str]) -> bool:
                return any(
                    c.casefold() == w or c.casefold().startswith(w + ".")
                    for c in cats
                    for w in want
                )

            keep &= np.array([ok(p.categories) for p in corpus], dtype=bool)
        if self.author:
            if not any(p.authors for p in corpus):
                raise ExplorerError(
                    "the author filter needs authors, and no paper of this corpus lists any"
                )
            a = _fold(self.author)
            keep &= np.array([any(a in _fold(x) for x in p.authors) for p in corpus], dtype=bool)
        if self.ids is not None:
            unknown = sorted(i for i in self.ids if i not in corpus)
            if unknown:
                more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
                raise ExplorerError(
                    f"unknown paper ids in the id filter: {', '.join(unknown[:3])}{more}"
                )
            sel = np.zeros(len(corpus), dtype=bool)
            sel[[corpus.position(i) for i in self.ids]] = True
            keep &= sel
        if self.since:
            dates = [p.date for p in corpus]
            if all(d is None for d in dates):
                raise ExplorerError(
                    "the since filter needs dates, and no paper of this corpus has a date"
                )
            # "2026-06" runs to "2026-06-99" here: some day of it is on or after `since`
            keep &= np.array(
                [d is not None and (d + "-99-99"[len(d) - 4 :]) >= self.since for d in dates],
                dtype=bool,
            )
        return keep


_SINCE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def parse_since(text: str) -> str:
    """ "2026-06-01", "2026-06" or "2026" as the first day it names ("2026-06-01"); anything
    else is an error naming the value."""
    t = text.strip()
    if not _SINCE.fullmatch(t):
        raise ExplorerError(f"since must be a date, YYYY-MM-DD, YYYY-MM or YYYY; got {text!r}")
    full = t + "-01-01"[len(t) - 4 :]
    try:
        datetime.date.fromisoformat(full)
    except ValueError:
        raise ExplorerError(f"since must be a real date, got {text!r}") from None
    return full


def _check_categories(corpus: Corpus, wanted: Sequence[str]) -> None:
    """Every wanted category (or prefix: "cs") is one some paper has; else the closest ones."""
    have = Counter(c for p in corpus for c in p.categories)
    if not have:
        raise ExplorerError(
            "the category filter needs categories, and no paper of this corpus has one"
        )
    known = {c.casefold() for c in have} | {c.casefold().split(".")[0] for c in have}
    for w in wanted:
        if w.casefold() not in known:
            from rapidfuzz import process

            close = [c for c, _, _ in process.extract(w, list(have), limit=3)]
            raise ExplorerError(
                f"no paper has the category {w!r}; closest: {', '.join(close)} "
                f"(this corpus has {len(have)} categories)"
            )


def dense_top(
    index: VectorIndex,
    vectors: NDArray[np.float32],
    query: NDArray[np.float32],
    k: int,
    allowed: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Exact top-k by inner product of `query` (d,) over the allowed rows: (scores, rows) (k',).

    k' = min(k, allowed rows): a filter never shortens the list below what passes it.
    """
    n = len(index)
    if allowed is not None and allowed.sum() <= BRUTE_FORCE_SHARE * n:
        rows = np.flatnonzero(allowed)
        sims = np.asarray(vectors[rows], dtype=np.float32) @ query.astype(np.float32)
        return top_k(sims, rows, k)
    scores, rows = index.search(query[None, :], k, allowed=allowed)
    good = rows[0] >= 0
    return scores[0][good], rows[0][good].astype(np.int64)


def rocchio(
    positives: NDArray[np.float32],
    negatives: NDArray[np.float32] | None = None,
    gamma: float = NEG_WEIGHT,
) -> NDArray[np.float32]:
    """One query (d,) from positive (p, d) and negative (m, d) examples, L2-normalised.

    q = mean(positives) − γ · mean(negatives) (Rocchio, 1971, without an original query).
    One positive and no negative gives that vector back, so single-paper scores stay cosines.
    """
    pos = np.asarray(positives, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[0] == 0:
        raise ExplorerError("give at least one positive example")
    q = pos.mean(axis=0)
    if negatives is not None and len(negatives):
        q = q - gamma * np.asarray(negatives, dtype=np.float64).mean(axis=0)
    norm = np.linalg.norm(q)
    if norm < 1e-9:
        raise ExplorerError("the positive and negative examples cancel out; drop some negatives")
    return (q / norm).astype(np.float32)


def ranks(scores: NDArray[np.floating]) -> NDArray[np.int64]:
    """1-based rank of each score (m,), best = 1, ties broken by position (stable)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    r = np.empty(len(order), dtype=np.int64)
    r[order] = np.arange(1, len(order) + 1)
    return r


def _minmax(x: NDArray[np.floating]) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    span = x.max() - x.min() if x.size else 0.0
    return (x - x.min()) / span if span > 0 else np.ones_like(x)


def fuse(
    dense: NDArray[np.floating],
    lexical: NDArray[np.floating],
    *,
    method: str = "rrf",
    weight: float = 0.5,
) -> NDArray[np.float64]:
    """Fused score of m candidates from their dense (m,) and lexical (m,) scores.

    "rrf": Σ 1 / (RRF_K + rank) over the two rankings of the candidates (scale-free);
    "weighted": weight · minmax(dense) + (1 − weight) · minmax(lexical) over the candidates.
    """
    if method == "rrf":
        return 1.0 / (RRF_K + ranks(dense)) + 1.0 / (RRF_K + ranks(lexical))
    if method == "weighted":
        return fuse_weighted((dense, lexical), (weight, 1.0 - weight))
    raise ExplorerError(f"fusion must be 'rrf' or 'weighted', got {method!r}")


def fuse_weighted(
    scores: Sequence[NDArray[np.floating]], weights: Sequence[float]
) -> NDArray[np.float64]:
    """Σ weight_i · minmax(scores_i) over the candidates: any number of score lists (m,)."""
    out = np.zeros(len(scores[0]), dtype=np.float64)
    for s, w in zip(scores, weights, strict=True):
        out += w * _minmax(s)
    return out


def mmr(
    relevance: NDArray[np.floating], vectors: NDArray[np.float32], k: int, lam: float
) -> NDArray[np.int64]:
    """Maximal marginal relevance (Carbonell & Goldstein, 1998): k positions into the m candidates.

    Picks, one at a time, argmax λ · rel(i) − (1 − λ) · max_{j picked} cos(i, j), with
    `relevance` (m,) min-max scaled to [0, 1] so that λ trades like for like with cosines, and
    `vectors` (m, d) L2-normalised. λ = 1 is the plain ranking; smaller λ favours papers unlike
    those above.
    """
    if not 0.0 <= lam <= 1.0:
        raise ExplorerError(f"diversity λ must be between 0 and 1, got {lam}")
    rel = _minmax(relevance)
    m = len(rel)
    k = min(k, m)
    v = np.asarray(vectors, dtype=np.float32)
    chosen: list[int] = []
    max_sim = np.full(m, -np.inf)  # max cosine to anything chosen so far
    free = np.ones(m, dtype=bool)
    for _ in range(k):
        penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
        gain = np.where(free, lam * rel - (1.0 - lam) * penalty, -np.inf)
        best = int(np.argmax(gain))  # first of equals: λ = 1 keeps the input order on ties
        chosen.append(best)
        free[best] = False
        max_sim = np.maximum(max_sim, v @ v[best])
    return np.asarray(chosen, dtype=np.int64)
