"""A researcher's library against a corpus: which library papers the corpus holds, and which
library papers each recommended paper is closest to.

Arrays and papers in, rows and explanations out; no model and no disk. `explorer.libraries`
reads and embeds a library; `Explorer.related(library=…)` ranks with it.

Identity is the readers' (`explorer.readers.identity`): a library paper is a corpus paper
when they share a DOI, an arXiv id (any version), or a folded title with the first author's
surname, the rule that merges a library's own duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.papers import Corpus, Hit, Paper
from explorer.readers.identity import identities

CLOSEST = 3  # library papers named per recommended paper


def match_rows(corpus: Corpus, papers: Sequence[Paper]) -> list[int | None]:
    """Each library paper's row in `corpus`: the first corpus paper that shares one of its
    identities (`explorer.readers.identity.identities`: DOI, arXiv id, or folded title with
    the first author's surname), or None."""
    seen: dict[str, int] = {}
    for row, p in enumerate(corpus):
        for k in sorted(identities(p)):
            seen.setdefault(k, row)
    return [next((seen[k] for k in sorted(identities(p)) if k in seen), None) for p in papers]


@dataclass(frozen=True)
class Library:
    """A library read against one corpus: its papers, and for each either its row in that
    corpus (`rows[i]`) or its own vector (`vectors[i]`, the corpus's model) and sentence vectors.

    `name` says where it came from (files or a corpus) for messages."""

    name: str
    papers: Corpus
    rows: tuple[int | None, ...]
    vectors: NDArray[np.float32]  # (m, d): every library paper's vector, matched ones too
    sentences: tuple[NDArray[np.float32], ...] | None  # per paper not in the corpus, in order
    corpus_hash: str  # of the corpus `rows` index

    @property
    def in_corpus(self) -> list[int]:
        """The rows of the library's papers that the corpus holds."""
        return [r for r in self.rows if r is not None]

    @property
    def outside(self) -> list[int]:
        """The library's own indexes of the papers the corpus does not hold."""
        return [i for i, r in enumerate(self.rows) if r is None]

    def describe(self) -> str:
        """One line: its size, how many the corpus holds, and how many had no abstract (and of
        those, how many take the corpus's paper, abstract and all)."""
        n, inside = len(self.papers), len(self.in_corpus)
        bare = [i for i, p in enumerate(self.papers) if p.no_abstract]
        line = f"library {self.name}: {n} papers, {inside} of them in the corpus (left out)"
        if bare:
            filled = sum(self.rows[i] is not None for i in bare)
            line += (
                f"; {len(bare)} without an abstract ({filled} read from the corpus's paper, "
                f"{len(bare) - filled} from their title)"
            )
        return line


def closest(
    library: Library, hit_vectors: NDArray[np.float32], top: int = CLOSEST
) -> list[list[dict[str, Any]]]:
    """Per hit, the `top` library papers most like it: [{"id", "title", "cosine"}…]."""
    if not len(hit_vectors):
        return []
    sims = np.asarray(hit_vectors, np.float32) @ library.vectors.T
    out = []
    for row in sims:
        best = np.lexsort((np.arange(len(row)), -row))[:top]
        out.append(
            [
                {
                    "id": library.papers[int(i)].id,
                    "title": library.papers[int(i)].title,
                    "cosine": round(float(row[i]), 6),
                }
                for i in best
            ]
        )
    return out


def library_why(
    hits: list[Hit], library: Library, vectors: NDArray[np.float32], corpus: Corpus
) -> list[Hit]:
    """`hits` with `why["library"]`: the library papers closest to each (kept beside an
    explanation's other keys)."""
    if not hits:
        return hits
    rows = [corpus.position(h.paper.id) for h in hits]
    near = closest(library, np.asarray(vectors[rows], np.float32))
    return [
        replace(h, why={**(h.why or {}), "library": n}) for h, n in zip(hits, near, strict=True)
    ]
