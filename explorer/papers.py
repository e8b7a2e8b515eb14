"""The data currency of explorer: `Paper`, `Hit` and `Corpus`.

Nothing else travels between the stages. `Paper.text` is the single place that decides what
gets embedded (and therefore what the vector cache is keyed on).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from explorer import ids
from explorer.text import clean_text


class ExplorerError(Exception):
    """A user-facing error: the message is one line that names the bad file, line or value."""


@dataclass(frozen=True)
class Paper:
    """One paper. Only `id`, `title` and `abstract` are required.

    The fields after `extra` come from reference-manager libraries (BibTeX, RIS, CSL-JSON,
    Zotero, EndNote; `explorer.readers`): `venue` (journal, book or proceedings), `keywords`,
    `url`, `doi` (lower-cased `10.…`, or a shortDOI `10/…` when the file gives no other),
    `cite_key` (the library's citation key, kept for writing the entry back), `no_abstract`
    (the entry had none: `abstract` is "" and `text` is the title and keywords) and `entry`
    (the record as the library wrote it, for writing it back: `("@format", "bibtex")`,
    `("@type", "article")`, then each field in file order, a repeated one repeated). They
    default to empty, and `to_dict` leaves out those that are, so that a corpus saved before
    them reads back the same and a paper with an abstract keeps its `text` and `text_hash`.
    """

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    et_al: bool = False  # the listing said "et al.": `authors` is not the whole list
    affiliations: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary first, arXiv style ("cs.CL", "stat.ML")
    date: str | None = None  # ISO "YYYY-MM-DD", or "YYYY-MM" / "YYYY" when only those are known
    has_code: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    venue: str | None = None
    keywords: tuple[str, ...] = ()
    url: str | None = None
    doi: str | None = None
    cite_key: str | None = None
    no_abstract: bool = False
    entry: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        """What is embedded: title and abstract, white space normalised; for a library entry
        without an abstract (`no_abstract`), its title and keywords ("Title. k1, k2")."""
        if self.no_abstract:
            words = clean_text(", ".join(self.keywords))
            return f"{clean_text(self.title)}. {words}" if words else clean_text(self.title)
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
        d["keywords"] = list(self.keywords)
        d["entry"] = [list(pair) for pair in self.entry]
        for name in _LIBRARY_FIELDS:  # left out when empty: saved corpora stay as they were
            if not d[name]:
                del d[name]
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
            venue=d.get("venue") or None,
            keywords=tuple(d.get("keywords") or ()),
            url=d.get("url") or None,
            doi=d.get("doi") or None,
            cite_key=d.get("cite_key") or None,
            no_abstract=bool(d.get("no_abstract", False)),
            entry=tuple((str(k), str(v)) for k, v in d.get("entry") or ()),
        )


_LIBRARY_FIELDS = ("venue", "keywords", "url", "doi", "cite_key", "no_abstract", "entry")


@dataclass(frozen=True)
class Hit:
    """A search result: a paper, its ranking score, its cosine to the query, its rank (1-based).

    `score` is what ranked the list, comparable only within it: the cosine (mode "dense"), the
    BM25 score ("lexical"), 0.8 × dense + 0.2 × BM25 ("hybrid") or 0.5 × dense + 0.3 ×
    sentence alignment + 0.2 × BM25 ("sentences", the default), each scaled to [0, 1] over the
    candidates (so the first hit often scores 1.000). `cosine` is the
    cosine similarity of the paper's vector and the query's, whatever the mode: comparable
    across queries and modes. `topic` is the label of the paper's topic on the corpus's map
    (None without a map). `to_dict` adds the paper's `url` where its id allows one.
    """

    paper: Paper
    score: float  # what ranked the list (see above)
    rank: int
    why: dict[str, Any] | None = field(default=None, compare=False)
    cosine: float | None = None  # cosine similarity to the query, whatever the mode
    topic: str | None = field(default=None, compare=False)  # its topic's label on the map

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
            "url": ids.url(p.id),
            "topic": self.topic,
            "abstract": p.abstract,
        }
        if self.why is not None:
            d["why"] = self.why
        return d


@dataclass
class ReadStats:
    """What a reader saw besides the papers it returned: reported in the build summary.

    `duplicate_ids`: the ids of records dropped for repeating an earlier paper's id (compared
    by `ids.key`); `merged_versions`: records that were another arXiv version of a paper read
    already (one paper kept, the latest version's); `dates_from_ids`: records without a date
    that took their arXiv id's month as one.

    Library files (BibTeX, RIS, CSL-JSON, Zotero, EndNote) add: `no_abstract`, entries kept
    without an abstract (flagged on the paper); `skipped_entries`, entries that could not be
    read (no title, a broken record), with `skipped_keys` naming the first few of each file
    ("FILE: KEY (why)"); `merges`, one per paper that absorbed others of the same identity
    (`{"kept": id, "merged": [ids or keys], "why": "doi" | "arxiv" | "title"}`, see
    `explorer.readers.identity`), `merged_entries` counting the entries absorbed."""

    rows: int = 0
    skipped_no_abstract: int = 0
    duplicate_ids: list[str] = field(default_factory=list)
    merged_versions: int = 0
    dates_from_ids: int = 0
    no_abstract: int = 0
    skipped_entries: int = 0
    skipped_keys: list[str] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def merged_entries(self) -> int:
        return sum(len(m["merged"]) for m in self.merges)

    def library(self) -> dict[str, Any]:
        """What reading library files did, for a build's report and `--json`: the counts, the
        merges and the skipped entries named; {} when no library file was read."""
        if not (self.merges or self.skipped_entries or self.no_abstract):
            return {}
        return {
            "merged": self.merged_entries,
            "merges": self.merges,
            "skipped": self.skipped_entries,
            "skipped_keys": self.skipped_keys,
            "no_abstract": self.no_abstract,
        }

    def merge(self, other: ReadStats) -> None:
        self.rows += other.rows
        self.skipped_no_abstract += other.skipped_no_abstract
        self.duplicate_ids.extend(other.duplicate_ids)
        self.merged_versions += other.merged_versions
        self.dates_from_ids += other.dates_from_ids
        self.no_abstract += other.no_abstract
        self.skipped_entries += other.skipped_entries
        self.skipped_keys.extend(other.skipped_keys)
        self.merges.extend(other.merges)


def library_summary(library: dict[str, Any] | None) -> str:
    """The build summary's words for `ReadStats.library()`: ", 6 duplicate entries merged, 1
    entry skipped (…), 81 without abstract (embedded from title and keywords)"."""
    if not library:
        return ""
    s, n = "", library["merged"]
    if n:
        s += f", {n} duplicate entr{'ies' if n != 1 else 'y'} merged"
    if n := library["skipped"]:
        shown = "; ".join(library["skipped_keys"][:2])
        s += f", {n} entr{'ies' if n != 1 else 'y'} skipped ({shown})"
    if n := library["no_abstract"]:
        s += f", {n} without abstract (embedded from title and keywords)"
    return s


def _latest(kept: Paper, other: Paper) -> Paper | None:
    """Which of two papers whose ids have one key stays: None when `other` is a duplicate (the
    same version, or neither names one: `kept` stays, reported), else the one of the higher
    arXiv version (`2309.03824v2` over `v1` over `2309.03824`)."""
    old, new = ids.version(kept.id) or 0, ids.version(other.id) or 0
    if old == new:
        return None
    return other if new > old else kept


class Corpus(Sequence[Paper]):
    """An ordered collection of papers with unique ids; duplicates are kept once.

    Ids are compared by `ids.key`: `2309.03824`, `arXiv:2309.03824` and `2309.03824v2` are one
    paper, and so are a DOI in upper and lower case. Versions of one arXiv id are one paper: the
    highest version written wins (an id without one counts as lower than any), whole (its id as
    written, text and fields), in the place where the paper first occurred; the others are
    counted in `stats.merged_versions`. Any other repeat (the same id again, or one version
    twice) is a duplicate: the first is kept and the repeat's id reported in
    `stats.duplicate_ids`.

    A corpus read back from its saved JSON Lines (`Corpus.saved`) parses each paper when it is
    first used, so that a command needing a few papers of 75,000 does not parse them all.
    """

    def __init__(self, papers: Iterable[Paper], stats: ReadStats | None = None) -> None:
        self.stats = stats if stats is not None else ReadStats()
        self._papers: list[Paper | None] = []
        self._index: dict[str, int] = {}
        self._lines: Sequence[str | bytes] = ()
        self._hash: str | None = None
        self._text_hashes: list[str] | None = None
        self._titles: list[str] | None = None
        self._source = "papers"  # what a saved corpus's lines came from, for its errors
        self._ids: list[str] = []  # a saved corpus's ids in order (checked as papers are parsed)
        kept: list[Paper] = []
        rows: dict[str, int] = {}  # key -> row
        for p in papers:
            key = ids.key(p.id)
            row = rows.get(key)
            if row is None:
                rows[key] = len(kept)
                kept.append(p)
                continue
            latest = _latest(kept[row], p)
            if latest is None:
                self.stats.duplicate_ids.append(p.id)
            else:
                self.stats.merged_versions += 1
                kept[row] = latest
        self._papers = list(kept)
        self._index = {p.id: i for i, p in enumerate(kept)}

    @classmethod
    def saved(
        cls,
        lines: Sequence[str | bytes],
        ids: Sequence[str],
        content_hash: str,
        titles: Sequence[str] | None = None,
        source: str = "papers.jsonl",
    ) -> Corpus:
        """A corpus from its saved JSON lines (one `Paper.to_dict` each), its ids in order and
        the content hash recorded when it was saved; papers are parsed on first use, and one
        whose id is not the recorded one raises ExplorerError naming `source`."""
        if len(lines) != len(ids):
            raise ExplorerError(
                f"{source} holds {len(lines)} papers, its index {len(ids)}; rebuild"
            )
        if titles is not None and len(titles) != len(ids):
            raise ExplorerError(f"{len(titles)} titles for the {len(ids)} papers of {source}")
        self = cls(())
        self._papers = [None] * len(ids)
        self._index = {pid: i for i, pid in enumerate(ids)}
        if len(self._index) != len(ids):
            raise ExplorerError(f"{source}: the index repeats paper ids; rebuild the corpus")
        self._lines, self._source, self._ids = lines, source, list(ids)
        self._hash = content_hash
        self._titles = list(titles) if titles is not None else None
        return self

    def _paper(self, i: int) -> Paper:
        p = self._papers[i]
        if p is None:
            try:
                p = Paper.from_dict(json.loads(self._lines[i]))
            except (ValueError, KeyError, TypeError) as e:
                raise ExplorerError(
                    f"{self._source} line {i + 1} is damaged ({e}); rebuild"
                ) from None
            if p.id != self._ids[i]:
                raise ExplorerError(
                    f"{self._source} line {i + 1} is {p.id!r}, "
                    f"its index says {self._ids[i]!r}; rebuild"
                )
            self._papers[i] = p
        return p

    def __len__(self) -> int:
        return len(self._papers)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._paper(j) for j in range(len(self._papers))[i]]
        return self._paper(range(len(self._papers))[i])  # negative and out-of-range like a list

    def __iter__(self) -> Iterator[Paper]:
        return (self._paper(i) for i in range(len(self._papers)))

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._index

    @property
    def ids(self) -> list[str]:
        return list(self._index)

    @property
    def titles(self) -> list[str]:
        if self._titles is None:
            self._titles = [p.title for p in self]
        return self._titles

    def position(self, paper_id: str) -> int:
        """Row of `paper_id`; raises ExplorerError naming the id when it is unknown."""
        try:
            return self._index[paper_id]
        except KeyError:
            raise ExplorerError(f"unknown paper id {paper_id!r}") from None

    def get(self, paper_id: str) -> Paper:
        return self._paper(self.position(paper_id))

    @property
    def text_hashes(self) -> list[str]:
        """Each paper's `text_hash`, in order (computed once: 75,000 take about 3 s)."""
        if self._text_hashes is None:
            self._text_hashes = [p.text_hash for p in self]
        return self._text_hashes

    @property
    def content_hash(self) -> str:
        """Changes whenever a paper is added, removed, reordered or its embedded text changes."""
        if self._hash is None:
            self._hash = self.prefix_hash(len(self))
        return self._hash

    def prefix_hash(self, n: int) -> str:
        """The content hash of the corpus of the first n papers (to recognise one it grew from)."""
        h = hashlib.sha256()
        for pid, th in zip(self.ids[:n], self.text_hashes[:n], strict=True):
            h.update(pid.encode("utf-8"))
            h.update(b"\0")
            h.update(th.encode("ascii"))
            h.update(b"\n")
        return h.hexdigest()

    def to_jsonl(self) -> str:
        return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in self)
