"""A researcher's library against a corpus: which library papers the corpus holds, and which
library papers each recommended paper is closest to.

Arrays and papers in, rows and explanations out; no model and no disk. `explorer.libraries`
reads and embeds a library; `Explorer.related(library=…)` ranks with it.

Identity (`same_paper_keys`): a library paper is a corpus paper when they share an id (by
`ids.key`: arXiv versions are one paper), a DOI or an arXiv id found in either's id or fields,
or the same normalised title with the same first author's surname (when both list authors).
Titles shorter than `MIN_TITLE_KEY` characters once normalised ("Introduction") match by id
only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer import ids
from explorer.papers import Corpus, Hit, Paper

MIN_TITLE_KEY = 16  # characters of a normalised title, below which titles do not identify
CLOSEST = 3  # library papers named per recommended paper

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def title_key(title: str) -> str:
    """A title as letters and digits only, accents and case folded: "Attention Is All You
    Need!" and "attention is all you need" are one key."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
    return _NOT_WORD.sub("", folded)


def surname(author: str) -> str:
    """The family name of "Given Family" or "Family, Given", folded like `title_key`."""
    name = author.split(",")[0] if "," in author else (author.split() or [""])[-1]
    return title_key(name)


def same_paper_keys(p: Paper) -> list[str]:
    """The keys under which `p` is the same paper as another: its id, DOIs and arXiv ids, and
    "title:T:S" (S: the first author's surname, "?" for a paper without authors)."""
    keys = [f"id:{ids.key(p.id)}"]
    for value in (p.id, *(v for _, v in p.extra)):
        if (doi := ids.doi(value)) is not None:
            keys.append(f"doi:{doi.casefold()}")
        if (arxiv := ids.arxiv_id(value)) is not None:
            keys.append(f"arxiv:{ids.key(arxiv)}")
    t = title_key(p.title)
    if len(t) >= MIN_TITLE_KEY:
        keys.append(f"title:{t}:{surname(p.authors[0]) if p.authors else '?'}")
    return list(dict.fromkeys(keys))


def match_rows(corpus: Corpus, papers: Sequence[Paper]) -> list[int | None]:
    """Each library paper's row in `corpus` (the same paper by `same_paper_keys`), or None.
    A title matches with the same first author's surname, or where either side lists none."""
    seen: dict[str, int] = {}
    for row, p in enumerate(corpus):
        keys = same_paper_keys(p)
        if keys[-1].startswith("title:"):  # any title, for a library paper without authors
            keys.append(keys[-1].rsplit(":", 1)[0] + ":*")
        for k in keys:
            seen.setdefault(k, row)
    out: list[int | None] = []
    for p in papers:
        keys = same_paper_keys(p)
        if keys[-1].startswith("title:"):
            base = keys[-1].rsplit(":", 1)[0]
            keys.append(base + (":?" if p.authors else ":*"))
        out.append(next((seen[k] for k in keys if k in seen), None))
    return out


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
        n, inside = len(self.papers), len(self.in_corpus)
        return f"library {self.name}: {n} papers, {inside} of them in the corpus (left out)"


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
