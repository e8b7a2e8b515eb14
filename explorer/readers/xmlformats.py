"""Zotero RDF (`.rdf`) and EndNote XML (`.xml`), read with the standard library's ElementTree.

Both are parsed whole, refusing any DOCTYPE or ENTITY declaration (`library.parse_xml`: no
entity ever expands, none is fetched). A value's text is all the text inside its element
(EndNote wraps each in `<style face=… font=… size=…>`), white space squashed.

Zotero RDF: an item is a top-level node with a `z:itemType` other than attachment, note or
annotation; `bib:Journal` and other nodes without one are containers, found inline in
`dcterms:isPartOf` or by its `rdf:resource`. Title `dc:title`; abstract `dcterms:abstract`;
authors `bib:authors` (`foaf:givenName` + `foaf:surname`), else `bib:editors`; date
`dc:date`; venue the container's `dc:title`; keywords `dc:subject` (text or
`z:AutomaticTag`'s `rdf:value`); DOI a `dc:identifier` "DOI 10.…" of the item, else of its
container, else one in its URL; URL a `dc:identifier`'s `dcterms:URI`/`rdf:value`; arXiv id
from an arXiv URL; key `z:citationKey` (none without one).

EndNote XML (EndNote, Bookends): one paper per `record`. Title `titles/title`; abstract
`abstract`; authors `contributors/authors/author` ("Family, Given" turned around), else
`secondary-authors`; date `dates/pub-dates/date` where it holds a full date, else
`dates/year`; venue `periodical/full-title`, else `titles/secondary-title`; keywords
`keywords/keyword`; URL the first `urls/related-urls/url`; DOI `electronic-resource-num`,
else one in the URLs; arXiv id from an arXiv URL; key `label`, else `rec-number`.
A record without a title is skipped, counted and named.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from explorer import ids
from explorer.papers import Paper, ReadStats
from explorer.readers.common import fail, read_text
from explorer.readers.library import (
    Entry,
    Library,
    library_date,
    parse_xml,
    person,
    split_keywords,
    squash,
)

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
Z = "{http://www.zotero.org/namespaces/export#}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"
BIB = "{http://purl.org/net/biblio#}"
FOAF = "{http://xmlns.com/foaf/0.1/}"
_NOT_ITEMS = {"attachment", "note", "annotation"}


def _text(el: Element | None) -> str:
    return squash("".join(el.itertext())) if el is not None else ""


def _people(node: Element, tag: str) -> list[str]:
    group = node.find(tag)
    if group is None:
        return []
    return [
        person(_text(p.find(f"{FOAF}surname")), _text(p.find(f"{FOAF}givenName")))
        for p in group.iter(f"{FOAF}Person")
    ]


def _identifiers(node: Element | None) -> tuple[str | None, str | None]:
    """(DOI, URL) from a node's `dc:identifier`s."""
    doi = url = None
    if node is None:
        return None, None
    for ident in node.findall(f"{DC}identifier"):
        value = ident.find(f".//{RDF}value")
        text = _text(value) if value is not None else _text(ident)
        if text.upper().startswith("DOI "):
            doi = doi or ids.doi(text[4:].strip())
        elif value is not None and text:
            url = url or text
    return doi, url


def _rdf_entry(node: Element, containers: dict[str, Element]) -> Entry:
    part = node.find(f"{DCTERMS}isPartOf")
    container = None
    if part is not None:
        container = next(iter(part), None)
        if container is None:
            container = containers.get(part.get(f"{RDF}resource", ""))
    doi, url = _identifiers(node)
    container_doi, _ = _identifiers(container)
    doi = doi or container_doi or (ids.find_doi(url) if url else None)
    words = [_text(s.find(f".//{RDF}value")) or _text(s) for s in node.findall(f"{DC}subject")]
    key = _text(node.find(f"{Z}citationKey"))
    kind = _text(node.find(f"{Z}itemType"))
    title = _text(node.find(f"{DC}title"))
    return Entry(
        key=key,
        title=title,
        abstract=_text(node.find(f"{DCTERMS}abstract")),
        authors=_people(node, f"{BIB}authors") or _people(node, f"{BIB}editors"),
        date=library_date(_text(node.find(f"{DC}date")), _text(node.find(f"{DC}date"))),
        venue=_text(container.find(f"{DC}title")) if container is not None else None,
        keywords=split_keywords([w for w in words if w]),
        url=url,
        doi=doi,
        arxiv=ids.find_arxiv(url or ""),
        kind=kind,
        raw=[("title", title), ("url", url or ""), ("doi", doi or "")],
    )


def read_rdf(path: Path, source: str) -> tuple[list[Paper], ReadStats]:
    """Read a Zotero RDF export (the rules are the module's docstring)."""
    root = parse_xml(read_text(path, source), source)
    if root.tag != f"{RDF}RDF":
        raise fail(source, None, f"not an RDF document (its root is {root.tag!r})")
    containers = {n.get(f"{RDF}about", ""): n for n in root if n.find(f"{Z}itemType") is None}
    out = Library(source, "zotero-rdf")
    for node in root:
        kind = _text(node.find(f"{Z}itemType"))
        if not kind or kind in _NOT_ITEMS:
            continue
        out.add(_rdf_entry(node, containers))
    if out.stats.rows == 0:
        raise fail(source, None, "no Zotero items (no node has a z:itemType)")
    return out.result()


def _endnote_entry(rec: Element) -> Entry:
    authors = [person(_text(a)) for a in rec.findall("contributors/authors/author")]
    authors = authors or [
        person(_text(a)) for a in rec.findall("contributors/secondary-authors/author")
    ]
    urls = [_text(u) for u in rec.findall("urls/related-urls/url")]
    urls = [u for u in urls if u]
    doi_text = _text(rec.find("electronic-resource-num"))
    doi = ids.doi(doi_text) or ids.find_doi(doi_text) or ids.find_doi(" ".join(urls))
    dates = [_text(d) for d in rec.findall("dates/pub-dates/date")]
    full = next((d for d in dates if d[:4].isdigit() and len(d) >= 8), None)
    title = _text(rec.find("titles/title"))
    ref = rec.find("ref-type")
    kind = ref.get("name", "") if ref is not None else ""
    return Entry(
        key=_text(rec.find("label")) or _text(rec.find("rec-number")),
        title=title,
        abstract=_text(rec.find("abstract")),
        authors=authors,
        date=library_date(full, _text(rec.find("dates/year"))),
        venue=_text(rec.find("periodical/full-title"))
        or _text(rec.find("titles/secondary-title"))
        or None,
        keywords=split_keywords([_text(k) for k in rec.findall("keywords/keyword")]),
        url=next((u for u in urls if u.startswith(("http://", "https://"))), None),
        doi=doi,
        arxiv=ids.find_arxiv(" ".join(urls)),
        kind=kind,
        raw=[
            (child.tag, _text(child)) for child in rec if len(child) == 0 or child.tag == "abstract"
        ],
    )


def read_endnote(path: Path, source: str) -> tuple[list[Paper], ReadStats]:
    """Read an EndNote XML export (the rules are the module's docstring)."""
    root = parse_xml(read_text(path, source), source)
    records = root.findall("records/record") if root.tag == "xml" else root.findall(".//record")
    if not records:
        raise fail(source, None, "no EndNote records (no <record> element)")
    out = Library(source, "endnote")
    for rec in records:
        out.add(_endnote_entry(rec))
    return out.result()
