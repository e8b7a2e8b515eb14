"""The data currency of explorer: `Paper`, `Hit` and `Corpus`.

Nothing else travels between the stages. `Paper.text` is the single place that decides what
gets embedded (and therefore what the vector cache is keyed on).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


class ExplorerError(Exception):
    """A user-facing error: the message is one line that names the bad file, line or value."""


_WS = re.compile(r"\s+")


def clean_text(s: str) -> str:
    """Collapse arXiv's hard line breaks and runs of white space into single spaces."""
    return _WS.sub(" ", s).strip()


@dataclass(frozen=True)
class Paper:
    """One paper. Only `id`, `title` and `abstract` are required."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    et_al: bool = False  # the listing said "et al.": `authors` is not the whole list
    affiliations: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary first, arXiv style ("cs.CL", "stat.ML")
    date: str | None = None  # ISO "YYYY-MM-DD" (or "YYYY" when only the year is known)
    has_code: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        """What is embedded: title and abstract, white space normalised."""
        return f"{clean_text(self.title)}. {clean_text(self.abstract)}"

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date and self.date[:4].isdigit() else None

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["authors"] = list(self.authors)
        d["affiliations"] = list(self.affiliations)
        d["categories"] = list(self.categories)
        d["extra"] = dict(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Paper:
        return cls(
            id=d["id"],
            title=d["title"],
            abstract=d["abstract"],
            authors=tuple(d.get("authors") or ()),
            et_al=bool(d.get("et_al", False)),
            affiliations=tuple(d.get("affiliations") or ()),
            categories=tuple(d.get("categories") or ()),
            date=d.get("date"),
            has_code=bool(d.get("has_code", False)),
            extra=tuple(sorted((d.get("extra") or {}).items())),
        )


@dataclass(frozen=True)
class Hit:
    """A search result: a paper, its ranking score, its cosine to the query, its rank (1-based)."""

    paper: Paper
    score: float  # what the ranking used: cosine (dense), BM25 (lexical) or the fused score
    rank: int
    why: dict[str, Any] | None = field(default=None, compare=False)
    cosine: float | None = None  # cosine similarity to the query, whatever the mode

    def to_dict(self) -> dict[str, Any]:
        p = self.paper
        d: dict[str, Any] = {
            "rank": self.rank,
            "id": p.id,
            "title": p.title,
            "score": round(float(self.score), 6),
            "cosine": None if self.cosine is None else round(float(self.cosine), 6),
            "authors": list(p.authors),
            "year": p.year,
            "categories": list(p.categories),
        }
        if self.why is not None:
            d["why"] = self.why
        return d


@dataclass
class ReadStats:
    """What a reader saw besides the papers it returned: reported in the build summary."""

    rows: int = 0
    skipped_no_abstract: int = 0
    duplicate_ids: list[str] = field(default_factory=list)

    def merge(self, other: ReadStats) -> None:
        self.rows += other.rows
        self.skipped_no_abstract += other.skipped_no_abstract
        self.duplicate_ids.extend(other.duplicate_ids)


class Corpus(Sequence[Paper]):
    """An ordered collection of papers with unique ids; duplicates are kept once (the first)."""

    def __init__(self, papers: Iterable[Paper], stats: ReadStats | None = None) -> None:
        self.stats = stats if stats is not None else ReadStats()
        self._papers: list[Paper] = []
        self._index: dict[str, int] = {}
        for p in papers:
            if p.id in self._index:
                self.stats.duplicate_ids.append(p.id)
                continue
            self._index[p.id] = len(self._papers)
            self._papers.append(p)

    def __len__(self) -> int:
        return len(self._papers)

    def __getitem__(self, i):  # type: ignore[override]
        return self._papers[i]

    def __iter__(self) -> Iterator[Paper]:
        return iter(self._papers)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._index

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self._papers]

    def position(self, paper_id: str) -> int:
        """Row of `paper_id`; raises ExplorerError naming the id when it is unknown."""
        try:
            return self._index[paper_id]
        except KeyError:
            raise ExplorerError(f"unknown paper id {paper_id!r}") from None

    def get(self, paper_id: str) -> Paper:
        return self._papers[self.position(paper_id)]

    @property
    def content_hash(self) -> str:
        """Changes whenever a paper is added, removed, reordered or its embedded text changes."""
        h = hashlib.sha256()
        for p in self._papers:
            h.update(p.id.encode("utf-8"))
            h.update(b"\0")
            h.update(p.text_hash.encode("ascii"))
            h.update(b"\n")
        return h.hexdigest()

    def to_jsonl(self) -> str:
        return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in self._papers)
