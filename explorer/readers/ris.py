"""RIS (`.ris`): Zotero, Lens.org, Rayyan, EndNote, Mendeley exports, read by rispy.

The file is cut into records here (a record runs from a `TY  - ` line to its `ER  - ` line;
text before the first `TY` is ignored, a last record cut off before its `ER` is read as far
as it goes) and each record is parsed by rispy, so that a record rispy cannot read is skipped,
counted and named (its `ID`, else its line), never the file. Lines without a tag continue the
field above them (an abstract's next paragraph, the next keyword of a `KW` list).

Which field wins: title `TI`, else `T1`, else `ST`; abstract `AB`, else `N2`; authors `AU`,
else `A1`, else the editors `A2` ("Family, Given" turned to "Given Family"); date `DA`
(`2021/02/01/`), else `PY`, else `Y1`; venue `JO`, else `JF`, else `T2`, else `JA`, else
`J2`; keywords `KW` (each line one, or `;`-separated); URL the first `UR`; DOI `DO`, else
one in the links or notes; arXiv id from an arXiv link or an `AN  - arXiv:…`; the key
`ID`, else `AN`.
`Paper.entry` keeps every tag and value in order (a repeated tag repeated).
"""

from __future__ import annotations

import re
from pathlib import Path

from explorer import ids
from explorer.papers import Paper, ReadStats
from explorer.readers.common import fail, read_text
from explorer.readers.library import Entry, Library, library_date, person, split_keywords

_TY = re.compile(r"^TY  -", re.MULTILINE)
_ER = re.compile(r"^ER  -[^\n]*$", re.MULTILINE)
_TAG_OF: dict[str, str] | None = None


def _tags() -> dict[str, str]:
    """rispy's field name -> its RIS tag."""
    global _TAG_OF
    if _TAG_OF is None:
        import rispy

        _TAG_OF = {name: tag for tag, name in rispy.TAG_KEY_MAPPING.items()}
    return _TAG_OF


def _records(text: str) -> list[tuple[int, str]]:
    """(line, text) of each record, `ER` line included (added to one cut off)."""
    out = []
    starts = [m.start() for m in _TY.finditer(text)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        m = _ER.search(chunk)
        chunk = chunk[: m.end()] if m else chunk.rstrip("\n") + "\nER  - \n"
        out.append((text.count("\n", 0, start) + 1, chunk + "\n"))
    return out


def _first(rec: dict, *names: str) -> str:
    for name in names:
        value = rec.get(name)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), "")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _raw(rec: dict) -> list[tuple[str, str]]:
    tags = _tags()
    out: list[tuple[str, str]] = []
    for name, value in rec.items():
        if name == "unknown_tag" and isinstance(value, dict):
            out += [(str(tag), str(v)) for tag, vs in value.items() for v in vs]
        elif isinstance(value, list):
            out += [(tags.get(name, name), str(v)) for v in value]
        elif name != "type_of_reference":
            out.append((tags.get(name, name), str(value)))
    return out


def _entry(rec: dict) -> Entry:
    names: list = next(
        (rec[n] for n in ("authors", "first_authors", "secondary_authors") if rec.get(n)), []
    )
    urls = [u for u in rec.get("urls") or [] if isinstance(u, str)]
    links = " ".join(
        [*urls, _first(rec, "file_attachments1"), _first(rec, "file_attachments2")]
        + [n for n in rec.get("notes") or [] if isinstance(n, str)]
    )
    doi = _first(rec, "doi")
    doi = ids.doi(doi) or ids.find_doi(doi) or ids.find_doi(links) or ""
    url = next((u.strip() for u in urls if u.strip()), None)
    return Entry(
        key=_first(rec, "id", "accession_number"),
        title=_first(rec, "title", "primary_title", "short_title"),
        abstract=_first(rec, "abstract", "notes_abstract"),
        authors=[person(n) for n in names if isinstance(n, str)],
        date=library_date(
            _first(rec, "date") if re.match(r"\s*\d{4}", _first(rec, "date")) else None,
            _first(rec, "year", "publication_year"),
        ),
        venue=_first(
            rec,
            "journal_name",
            "alternate_title3",
            "secondary_title",
            "alternate_title2",
            "alternate_title1",
        )
        or None,
        keywords=split_keywords([k for k in rec.get("keywords") or [] if isinstance(k, str)]),
        url=url,
        doi=doi or None,
        arxiv=ids.find_arxiv(links + " " + _first(rec, "accession_number")),
        kind=_first(rec, "type_of_reference"),
        raw=_raw(rec),
    )


def read_ris(path: Path, source: str) -> tuple[list[Paper], ReadStats]:
    """Read a RIS file (the rules are the module's docstring)."""
    import rispy

    text = read_text(path, source).replace("\r\n", "\n").replace("\r", "\n")
    records = _records(text)
    if not records:
        raise fail(source, None, "no RIS records (no line starts with 'TY  - ')")
    out = Library(source, "ris")
    for line, chunk in records:
        try:
            parsed = rispy.loads(chunk, skip_unknown_tags=False)
        except Exception as e:  # rispy's own failures on a record it cannot read
            m = re.search(r"^ID  - (.*)$", chunk, re.MULTILINE)
            out.skip(m.group(1).strip() if m else "", f"unreadable: {e}"[:90], line)
            continue
        if not parsed:
            out.skip("", "an empty record", line)
            continue
        out.add(_entry(parsed[0]), line)
    return out.result()
