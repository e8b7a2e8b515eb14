"""RIS out: one record per paper, `TY  - ` to `ER  - `.

A paper read from a RIS file is written back as it was read: its type and every tag and value
in order (a repeated tag repeated), then the fields explorer knows that it lacks (an abstract
or DOI from a merged version). Other papers: `TY` from their record's kind (JOUR, CPAPER,
BOOK, CHAP, THES, RPRT, ELEC, else GEN), `TI`, `AU` per author ("Family, Given"), `PY`,
`DA` (`YYYY/MM/DD/`), `T2` (venue), `AB`, `KW` per keyword, `DO`, `UR`, `AN` (`arXiv:…`),
`ID` (the citation key). A value is one line (line breaks become spaces), so that no value
can start a tag or end the record; a tag that is not two capitals or digits is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from explorer import ids
from explorer.papers import Paper
from explorer.references.common import arxiv_of, kind, split_name

__all__ = ["to_ris"]

_TYPES = {
    "article": "JOUR", "inproceedings": "CPAPER", "book": "BOOK", "incollection": "CHAP",
    "thesis": "THES", "report": "RPRT", "webpage": "ELEC",
}  # fmt: skip
_TAG = re.compile(r"[A-Z][A-Z0-9]")


def _line(value: str) -> str:
    return " ".join(value.split())


def _plain(p: Paper) -> list[tuple[str, str]]:
    tags = [("TI", p.title)]
    for name in p.authors:
        given, family = split_name(name)
        tags.append(("AU", f"{family}, {given}" if given else family))
    if p.year is not None:
        tags.append(("PY", str(p.year)))
    if p.date and len(p.date) == 10:
        tags.append(("DA", p.date.replace("-", "/") + "/"))
    if p.venue:
        tags.append(("T2", p.venue))
    if p.abstract:
        tags.append(("AB", p.abstract))
    tags += [("KW", k) for k in p.keywords or p.categories]
    d = p.doi or ids.doi(p.id)
    if d:
        tags.append(("DO", d))
    url = p.url if p.entry else (p.url or ids.url(p.id))
    if url:
        tags.append(("UR", url))
    a = arxiv_of(p)
    if a:
        tags.append(("AN", f"arXiv:{a}"))
    if p.cite_key:
        tags.append(("ID", p.cite_key))
    return tags


def _record(p: Paper) -> str:
    head = dict(p.entry[:2]) if p.entry else {}
    if head.get("@format") == "ris":
        ty = head.get("@type") or "GEN"
        tags = list(p.entry[2:])
        have = {t for t, _ in tags}
        same = {"AB": ("AB", "N2"), "DO": ("DO",), "TI": ("TI", "T1"), "T2": ("T2", "JO", "JF")}
        for tag, value in _plain(p):
            if tag in ("AB", "DO", "TI", "T2") and not have & set(same[tag]):
                tags.append((tag, value))
    else:
        ty = _TYPES.get(kind(p), "GEN")
        tags = _plain(p)
    ty = ty if re.fullmatch(r"[A-Z0-9]{2,6}", ty) else "GEN"
    lines = [f"TY  - {ty}"]
    lines += [f"{t}  - {_line(v)}" for t, v in tags if _TAG.fullmatch(t) and t not in ("TY", "ER")]
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def to_ris(papers: Sequence[Paper]) -> str:
    """The papers as a .ris file's text (see the module's rules)."""
    return "\n".join(_record(p) for p in papers)
