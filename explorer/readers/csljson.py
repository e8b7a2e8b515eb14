"""CSL-JSON and Better BibTeX JSON (`.json`), told apart from explorer's own JSON by sniffing.

`sniff(text)` reads a `.json` file's shape: a list whose first object has a string `type` and
a CSL field (`issued`, `author`, `container-title`, `DOI`, `URL`, `citation-key`, ...) is
CSL-JSON (Zotero, Better CSL JSON, Manubot, citeproc); an object with an `items` list of
objects with an `itemType` is Better BibTeX's JSON (Zotero items); anything else is
explorer's own JSON of papers.

CSL-JSON, per item (an item that is not an object, or whose `title` is not a string, is
skipped, counted and named by its index): title `title` (line breaks squashed); abstract
`abstract`; authors `author`, else `editor` (`given` + `family`, or `literal`); date
`issued` (`date-parts`, numbers or strings, else `raw`/`literal`); venue `container-title`;
keywords `keyword` (`,`/`;`-separated); URL `URL`; DOI `DOI` (a shortDOI `10/…` is kept, and
a long DOI in `URL` wins over it); arXiv id from an arXiv `URL`, or `number` where the item
names arXiv (`container-title`/`publisher`) or is a `report`; key `citation-key`, else `id`.

Better BibTeX JSON, per item of `items` (attachments and notes are not papers, and are not
counted): title `title`; abstract `abstractNote`; authors the `creators` of type author
(else every creator; `firstName` + `lastName`, or `name`); date `date`; venue
`publicationTitle`, else `proceedingsTitle`, `bookTitle`, `websiteTitle`, `blogTitle`,
`seriesTitle`; keywords `tags`; URL `url`; DOI `DOI`, else a `DOI: …` line of `extra`, else
one in `url`; arXiv id `archiveID` (`arXiv:…`) or an arXiv `url`; key `citationKey`, else
`itemKey`/`key`.

`Paper.entry` keeps the item itself as JSON (`("json", "{…}")`), so that it is written back
exactly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from explorer import ids
from explorer.papers import Paper, ReadStats
from explorer.readers.common import fail, read_text
from explorer.readers.library import Entry, Library, library_date, person, split_keywords

_CSL_KEYS = (
    "issued", "author", "editor", "container-title", "DOI", "URL", "citation-key", "page",
    "volume", "publisher",
)  # fmt: skip
_SKIP_ITEMS = {"attachment", "note", "annotation"}


class _Bad(Exception):
    """A field of the wrong JSON type: the item is skipped."""


def sniff(text: str) -> str:
    """ "csl-json", "bbt-json" or "json" for a `.json` file's text (see the module's rules)."""
    start = len(text) - len(text.lstrip())
    if text.startswith("[", start):
        i = start + 1
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        try:
            first, _ = json.JSONDecoder().raw_decode(text, i)
        except (ValueError, RecursionError):
            return "json"
        typed = isinstance(first, dict) and isinstance(first.get("type"), str)
        if typed and any(k in first for k in _CSL_KEYS):
            return "csl-json"
        return "json"
    if text.startswith("{", start) and re.search(r'"items"\s*:\s*\[', text[: 1 << 20]):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return "json"
        items = data.get("items") if isinstance(data, dict) else None
        first = items[0] if isinstance(items, list) and items and "papers" not in data else None
        if isinstance(first, dict) and "itemType" in first:
            return "bbt-json"
    return "json"


def _load(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise fail(source, e.lineno, f"not valid JSON ({e.msg} at column {e.colno})") from None
    except (RecursionError, ValueError):
        raise fail(source, None, "JSON that cannot be read (nested too deeply)") from None


def _s(item: dict, key: str) -> str:
    """A string field ("" when missing or null); a number is its digits; else `_Bad`."""
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Bad(f"the {key!r} field must be a string")
    return str(value)


def _names(value: Any, key: str, kinds: tuple[str, ...] = ()) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(n, dict) for n in value):
        raise _Bad(f"the {key!r} field must be a list of names")
    out = []
    for n in value:
        if kinds and n.get("creatorType") not in kinds:
            continue
        literal = n.get("literal") or n.get("name")
        if isinstance(literal, str) and literal.strip():
            out.append(literal)
            continue
        family = n.get("family", n.get("lastName"))
        given = n.get("given", n.get("firstName"))
        if isinstance(family, str) or isinstance(given, str):
            f = family if isinstance(family, str) else ""
            g = given if isinstance(given, str) else ""
            particle = n.get("non-dropping-particle")
            if isinstance(particle, str) and particle:
                f = f"{particle} {f}"
            out.append(person(f, g))
    return out


def _issued(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        first = [str(p).strip() for p in parts[0][:3] if isinstance(p, (int, str))]
        if first and first[0].isdigit():
            year, month = first[0], first[1] if len(first) > 1 else None
            day = first[2] if len(first) > 2 else None
            text = (
                f"{year}-{int(month):02d}-{int(day):02d}"
                if (month and day and month.isdigit() and day.isdigit())
                else None
            )
            return library_date(text, year, month)
    for key in ("raw", "literal"):
        if isinstance(value.get(key), str):
            return library_date(value[key], value[key])
    return None


def _csl_entry(item: dict) -> Entry:
    url, doi_field, number = _s(item, "URL"), _s(item, "DOI"), _s(item, "number")
    doi = ids.doi(doi_field) or ids.find_doi(doi_field)
    other = ids.find_doi(url)
    names_arxiv = " ".join((_s(item, "container-title"), _s(item, "publisher"))).lower()
    arxiv = ids.find_arxiv(url)
    if arxiv is None and number and ("arxiv" in names_arxiv or item.get("type") == "report"):
        arxiv = ids.arxiv_id(number)
    keywords = _s(item, "keyword")
    return Entry(
        key=_s(item, "citation-key") or _s(item, "id"),
        title=_s(item, "title"),
        abstract=_s(item, "abstract"),
        authors=_names(item.get("author"), "author") or _names(item.get("editor"), "editor"),
        date=_issued(item.get("issued")),
        venue=_s(item, "container-title") or None,
        keywords=split_keywords(keywords),
        url=url or None,
        doi=doi or other,
        other_doi=other if doi else None,
        arxiv=arxiv,
        kind=_s(item, "type"),
        raw=[("json", json.dumps(item, ensure_ascii=False, sort_keys=False))],
    )


def _extra_lines(item: dict) -> str:
    extra = item.get("extra")
    if isinstance(extra, list):
        return "\n".join(str(x) for x in extra if isinstance(x, str))
    return extra if isinstance(extra, str) else ""


def _bbt_entry(item: dict) -> Entry:
    url, extra = _s(item, "url"), _extra_lines(item)
    doi = ids.doi(_s(item, "DOI")) or ids.find_doi(_s(item, "DOI"))
    m = re.search(r"^\s*DOI:\s*(\S+)", extra, re.MULTILINE | re.IGNORECASE)
    doi = doi or (ids.doi(m.group(1)) if m else None) or ids.find_doi(url)
    archive = _s(item, "archiveID")
    arxiv = ids.arxiv_id(archive) if archive else None
    tags = item.get("tags") or []
    words = [t.get("tag") if isinstance(t, dict) else t for t in tags if t]
    authors = _names(item.get("creators"), "creators", ("author",))
    venue = next(
        (
            v
            for k in (
                "publicationTitle",
                "proceedingsTitle",
                "bookTitle",
                "websiteTitle",
                "blogTitle",
                "seriesTitle",
            )  # fmt: skip
            if (v := _s(item, k).strip())
        ),
        None,
    )
    return Entry(
        key=_s(item, "citationKey") or _s(item, "itemKey") or _s(item, "key"),
        title=_s(item, "title"),
        abstract=_s(item, "abstractNote"),
        authors=authors or _names(item.get("creators"), "creators"),
        date=library_date(_s(item, "date"), _s(item, "date")),
        venue=venue,
        keywords=split_keywords([w for w in words if isinstance(w, str)]),
        url=url or None,
        doi=doi,
        arxiv=arxiv or ids.find_arxiv(url),
        kind=_s(item, "itemType"),
        raw=[("json", json.dumps(item, ensure_ascii=False))],
    )


def _read(items: list, source: str, fmt: str, make) -> tuple[list[Paper], ReadStats]:
    out = Library(source, fmt)
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.skip(f"item {i}", "not a JSON object")
            continue
        if fmt == "bbt-json" and item.get("itemType") in _SKIP_ITEMS:
            continue
        try:
            entry = make(item)
        except _Bad as e:
            key = item.get("citation-key") or item.get("citationKey") or item.get("id")
            out.skip(str(key) if isinstance(key, (str, int)) else f"item {i}", str(e))
            continue
        out.add(entry)
    if out.stats.rows == 0:
        raise fail(source, None, "no items (the list is empty)")
    return out.result()


def read_csl(path: Path, source: str, text: str | None = None) -> tuple[list[Paper], ReadStats]:
    """Read a CSL-JSON file: a list of CSL items (the rules are the module's docstring)."""
    data = _load(text if text is not None else read_text(path, source), source)
    if not isinstance(data, list):
        raise fail(source, None, "CSL-JSON must be a list of items")
    return _read(data, source, "csl-json", _csl_entry)


def read_bbt(path: Path, source: str, text: str | None = None) -> tuple[list[Paper], ReadStats]:
    """Read Better BibTeX's JSON: `{"items": [...]}` (the rules are the module's docstring)."""
    data = _load(text if text is not None else read_text(path, source), source)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise fail(source, None, 'Better BibTeX JSON must be an object with an "items" list')
    return _read(data["items"], source, "bbt-json", _bbt_entry)
