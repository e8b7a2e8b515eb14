"""CSL-JSON out: a list of CSL items, as Zotero, Pandoc and citeproc read them.

A paper read from a CSL-JSON file is written back as the very item it was read from, with
`abstract` and `DOI` added where a merged version gave what it lacked. Other papers: `id` and
`citation-key` (the citation key, else the paper's id), `type` from their record's kind
(article-journal, paper-conference, book, chapter, thesis, report, article for a preprint,
webpage, else document), `title`, `author` (`given`/`family`), `issued` (`date-parts`),
`container-title`, `abstract`, `keyword`, `DOI`, `URL`, and for an arXiv preprint `number`
(its id) and `publisher` "arXiv". JSON's own escaping keeps every value a string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from explorer import ids
from explorer.papers import Paper
from explorer.references.common import arxiv_of, date_parts, join_keywords, kind, split_name

__all__ = ["to_csl_json"]

_TYPES = {
    "article": "article-journal", "inproceedings": "paper-conference", "book": "book",
    "incollection": "chapter", "thesis": "thesis", "report": "report", "preprint": "article",
    "webpage": "webpage",
}  # fmt: skip


def _item(p: Paper) -> dict[str, Any]:
    head = dict(p.entry[:2]) if p.entry else {}
    if head.get("@format") == "csl-json" and len(p.entry) > 2 and p.entry[2][0] == "json":
        try:
            item = json.loads(p.entry[2][1])
        except ValueError:
            item = None
        if isinstance(item, dict):
            if p.abstract and not item.get("abstract"):
                item["abstract"] = p.abstract
            if p.doi and not item.get("DOI"):
                item["DOI"] = p.doi
            return item
    key = p.cite_key or p.id
    item = {"id": key, "citation-key": key, "type": _TYPES.get(kind(p), "document")}
    item["title"] = p.title
    if p.authors:
        item["author"] = [
            {"family": family, "given": given} if given else {"literal": family}
            for given, family in map(split_name, p.authors)
        ]
    parts = date_parts(p.date)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if p.venue:
        item["container-title"] = p.venue
    if p.abstract:
        item["abstract"] = p.abstract
    if p.keywords:
        item["keyword"] = join_keywords(p.keywords)
    d = p.doi or ids.doi(p.id)
    if d:
        item["DOI"] = d
    a = arxiv_of(p)
    url = p.url if p.entry else (p.url or ids.url(p.id))
    if a and not d:
        item["number"], item["publisher"] = a, "arXiv"
        url = url or (None if p.entry else f"https://arxiv.org/abs/{a}")
    if url:
        item["URL"] = url
    return item


def to_csl_json(papers: Sequence[Paper]) -> str:
    """The papers as a CSL-JSON file's text (see the module's rules)."""
    return json.dumps([_item(p) for p in papers], ensure_ascii=False, indent=2) + "\n"
