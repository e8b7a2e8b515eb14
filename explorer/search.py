"""Related papers: to a paper (by id or title), to free text, ranked by cosine similarity.

Functions here take a corpus, an index and vectors and return `list[Hit]`; they never read
files or load models themselves (the `Explorer` facade hands them what they need).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from explorer.index import VectorIndex
from explorer.papers import Corpus, ExplorerError, Hit, Paper

_NORM = re.compile(r"[^0-9a-z]+")


def _norm(s: str) -> str:
    return _NORM.sub(" ", s.casefold()).strip()


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ExplorerError(f"k must be a positive integer, got {k!r}")
    return int(k)


@dataclass(frozen=True)
class Match:
    """Which paper a user's id-or-title argument was taken to mean, and how."""

    paper: Paper
    how: str  # "id", "title", "short title" (before a colon), "title prefix", "closest title"
    others: tuple[Paper, ...] = ()  # other papers that matched as well

    def describe(self) -> str:
        s = f"matched {self.how}: {self.paper.title} [{self.paper.id}]"
        if self.others:
            s += f" (also matched: {'; '.join(p.title for p in self.others[:3])})"
        return s


def find_paper(corpus: Corpus, query: str) -> Match:
    """Resolve an id, an exact title, a title prefix (e.g. "Gemma 2") or a near-miss title."""
    q = query.strip()
    if not q:
        raise ExplorerError("empty query: give a paper id or title")
    if q in corpus:
        return Match(corpus.get(q), "id")
    nq = _norm(q)
    titles = [_norm(p.title) for p in corpus]
    tiers = [
        ("title", [i for i, t in enumerate(titles) if t == nq]),
        # "Gemma" means "Gemma: Open Models…", not "Gemma 2: …": the part before a colon first
        ("short title", [i for i, p in enumerate(corpus) if _norm(p.title.split(":")[0]) == nq]),
        ("title prefix", [i for i, t in enumerate(titles) if nq and (t + " ").startswith(nq + " ")]),
    ]
    for t, (how, rows) in enumerate(tiers):
        if rows:
            best = min(rows, key=lambda i: len(titles[i]))
            # Everything else the words matched, in any tier, so the user sees the ambiguity.
            others = dict.fromkeys(i for _, r in tiers[t:] for i in r if i != best)
            return Match(corpus[best], how, tuple(corpus[i] for i in others))
    close = difflib.get_close_matches(nq, titles, n=4, cutoff=0.75)
    if close:
        rows = [titles.index(t) for t in close]
        return Match(corpus[rows[0]], "closest title", tuple(corpus[i] for i in rows[1:]))
    raise ExplorerError(
        f"no paper has the id or title {query!r}; for free text use `explorer search`"
    )


def hits_from(corpus: Corpus, scores: NDArray[np.float32], rows: NDArray[np.int64]) -> list[Hit]:
    """One query's (k,) scores and rows → hits, dropping FAISS's -1 padding."""
    out = []
    for s, r in zip(scores, rows):
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
