"""One identity per paper across library files: who is the same paper, and what is kept.

`identities(paper)` are the keys a paper is known by:
- `doi:10.…` for its DOI (lower-cased; a shortDOI `doi:10/…` too, and both where the record
  gives the long one beside it: `extra["short_doi"]`), and its id's DOI;
- `arxiv:2309.03824` for its arXiv id (version dropped), from its id or `extra["arxiv"]`;
- `title:<folded title>|<first author's folded surname>`: the title's letters and digits,
  lower-cased and ASCII-folded, with the surname, so that a preprint and its published
  version meet whatever their years; with no author, `title:<title>||<year>`.

`merge_library(papers)` joins papers that share a key (transitively) into one, where the key
allows (`_compatible`: a DOI or arXiv id needs titles that share half their words; a title
needs no two different published DOIs and the same year, unless one is a preprint). Of a group
the published version is the base (not an arXiv/bioRxiv preprint: an id or DOI of those, a
`report`/`unpublished`/`preprint` entry type, or an arXiv venue), then the one with an
abstract, a DOI, the most fields; its blanks are filled from the others (the longest
abstract, the longest author list, the first date, venue, URL, DOI and key found), and an
arXiv id among them is kept in `extra["arxiv"]`. Each group is one `ReadStats.merges` record
(`{"kept": id, "merged": [ids or keys], "why": "doi" | "arxiv" | "title"}`). Ids made from
titles that two different papers share get `-2`, `-3`.

`merge_library` works on papers read from library files (`Paper.entry` set); others pass
through in place, as `Corpus` keeps them. The same keys serve to tell whether a paper of a
big corpus is already in a library (`identities`, `same_paper`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from explorer import ids
from explorer.papers import Paper
from explorer.readers.library import fold, made_id, surname

__all__ = ["identities", "merge_library", "same_paper"]

_PREPRINT_TYPES = {"unpublished", "preprint", "manuscript"}
_ARXIV_TYPES = {"report", "misc", "online", "article", "document", "gen", "rprt", "webpage"}
_PREPRINT_PREFIXES = ("10.1101/", "10.48550/", "10.21203/", "10.20944/", "10.31234/")
_MIN_TITLE = 12  # a folded title shorter than this needs its year too ("Introduction")


def _year(p: Paper) -> str:
    return (p.date or "")[:4]


def identities(p: Paper) -> set[str]:
    """The keys `p` is known by (see the module's docstring)."""
    keys = set()
    extra = dict(p.extra)
    for value in (p.doi, extra.get("short_doi"), ids.doi(p.id)):
        if value:
            keys.add("doi:" + value.lower())
    for value in (ids.arxiv_id(p.id), extra.get("arxiv")):
        if value:
            keys.add("arxiv:" + value)
    title = fold(p.title)
    if title:
        first = surname(p.authors[0]) if p.authors else ""
        if first and len(title) >= _MIN_TITLE:
            keys.add(f"title:{title}|{first}")
        else:
            keys.add(f"title:{title}|{first}|{_year(p)}")
    return keys


def same_paper(a: Paper, b: Paper) -> bool:
    """Whether two papers share an identity."""
    return bool(identities(a) & identities(b))


def _is_preprint(p: Paper) -> bool:
    kind = dict(p.extra).get("type", "").lower()
    venue = (p.venue or "").lower()
    arxiv = ids.arxiv_id(p.id) is not None or "arxiv" in dict(p.extra)
    return (
        (arxiv and (kind in _ARXIV_TYPES or kind in _PREPRINT_TYPES or not p.venue))
        or (p.doi or "").startswith(_PREPRINT_PREFIXES)
        or kind in _PREPRINT_TYPES
        or any(name in venue for name in ("arxiv", "biorxiv", "medrxiv", "ssrn"))
    )


def _richness(p: Paper) -> tuple[int, ...]:
    filled = sum(bool(x) for x in (p.authors, p.date, p.venue, p.keywords, p.url, p.doi))
    return (not _is_preprint(p), bool(p.abstract), bool(p.doi), filled, len(p.abstract))


def _combine(group: list[Paper]) -> tuple[Paper, Paper]:
    """One paper from a group of the same identity (the rules are the module's docstring),
    and the member it was made from."""
    base = max(group, key=_richness)  # max keeps the first of equals: file order
    others = [p for p in group if p is not base]

    def first(name: str) -> Any:
        value = getattr(base, name)
        return value or next((v for p in others if (v := getattr(p, name))), value)

    abstract = base.abstract or max((p.abstract for p in group), key=len)
    authors = base.authors or max((p.authors for p in group), key=len)
    extra = dict(base.extra)
    for p in others:
        for k, v in p.extra:
            extra.setdefault(k, v)
    arxiv = next(
        (a for p in group if (a := ids.arxiv_id(p.id) or dict(p.extra).get("arxiv"))), None
    )
    if arxiv and ids.arxiv_id(base.id) is None:
        extra["arxiv"] = arxiv
    doi = first("doi")
    date = first("date")
    made = ids.doi(base.id) is None and ids.arxiv_id(base.id) is None  # an id from the title
    pid = (doi or arxiv or made_id(authors, date, base.title)) if made else base.id
    return base, dataclasses.replace(
        base,
        id=pid,
        abstract=abstract,
        authors=authors,
        date=date,
        venue=first("venue"),
        keywords=first("keywords"),
        url=first("url"),
        doi=doi,
        cite_key=first("cite_key"),
        no_abstract=not abstract,
        extra=tuple(sorted(extra.items())),
    )


def _words(p: Paper) -> set[str]:
    return set(fold(p.title).split())


def _published_doi(p: Paper) -> str | None:
    d = p.doi
    return d if d and not d.startswith(_PREPRINT_PREFIXES) and not d.startswith("10/") else None


def _compatible(a: Paper, b: Paper, by_title: bool) -> bool:
    """Whether a shared key joins `a` and `b`. A DOI or arXiv id: when their titles share
    half their words (a book's DOI on each of its chapters joins nothing). A title: when they
    name no two different published DOIs, and their years agree (or one has none, or one is
    a preprint: a preprint and its published version differ in year)."""
    if not by_title:
        wa, wb = _words(a), _words(b)
        return not wa or not wb or len(wa & wb) * 2 >= min(len(wa), len(wb))
    da, db = _published_doi(a), _published_doi(b)
    if da and db and da != db:
        return False
    ya, yb = _year(a), _year(b)
    return not ya or not yb or ya == yb or _is_preprint(a) or _is_preprint(b)


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _why(group: list[Paper]) -> str:
    sets = [identities(p) for p in group]
    shared = set.union(*[a & b for i, a in enumerate(sets) for b in sets[i + 1 :]] or [set()])
    for kind in ("doi", "arxiv"):
        if any(k.startswith(kind + ":") for k in shared):
            return kind
    return "title"


def merge_library(papers: Sequence[Paper]) -> tuple[list[Paper], list[dict[str, Any]]]:
    """The papers with each library paper's duplicates merged into its first place, and one
    record per merge (see the module's docstring). Non-library papers pass through."""
    lib = [i for i, p in enumerate(papers) if p.entry]
    if not lib:
        return list(papers), []
    union = _Union(len(lib))
    owner: dict[str, int] = {}
    for n, i in enumerate(lib):
        for key in sorted(identities(papers[i])):
            m = owner.get(key)
            if m is None:
                owner[key] = n
            elif _compatible(papers[lib[m]], papers[i], key.startswith("title:")):
                union.join(m, n)
    groups: dict[int, list[int]] = {}
    for n in range(len(lib)):
        groups.setdefault(union.find(n), []).append(n)
    merges: list[dict[str, Any]] = []
    out: dict[int, Paper | None] = {}
    for root, members in groups.items():
        group = [papers[lib[n]] for n in members]
        base, kept = _combine(group) if len(group) > 1 else (group[0], group[0])
        out[lib[root]] = kept
        for n in members[1:]:
            out[lib[n]] = None
        if len(group) > 1:
            merged = [p.cite_key or p.id for p in group if p is not base]
            merges.append({"kept": kept.id, "merged": merged, "why": _why(group)})
    result: list[Paper] = []
    for i, p in enumerate(papers):
        if i in out:
            q = out[i]
            if q is not None:
                result.append(q)
        else:
            result.append(p)
    return _unique_ids(result, merges), merges


def _unique_ids(papers: list[Paper], merges: Iterable[dict[str, Any]]) -> list[Paper]:
    """Library papers whose ids repeat get `-2`, `-3`: ids made from titles; and a DOI that
    two papers of different titles share (a book's DOI on its chapters) stays the first's,
    the others get an id made from their title."""
    seen: set[str] = set()
    renamed: dict[str, str] = {}
    out = []
    for p in papers:
        pid = p.id
        if p.entry and ids.key(pid) in seen and (ids.doi(pid) or ids.arxiv_id(pid)):
            pid = made_id(p.authors, p.date, p.title)
        if p.entry and ids.key(pid) in seen:
            n = 2
            while ids.key(f"{pid}-{n}") in seen:
                n += 1
            renamed.setdefault(pid, f"{pid}-{n}")
            p = dataclasses.replace(p, id=f"{pid}-{n}")
        elif pid != p.id:
            renamed.setdefault(p.id, pid)
            p = dataclasses.replace(p, id=pid)
        seen.add(ids.key(p.id))
        out.append(p)
    for m in merges:
        m["kept"] = renamed.get(m["kept"], m["kept"])
    return out
