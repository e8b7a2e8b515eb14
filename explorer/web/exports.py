"""A selection of papers as a download: CSV, JSON Lines or BibTeX, with the stdlib only.

CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
or a carriage return) are prefixed with `'`; BibTeX escapes its special characters, so that no
title can end a field or start a command; each entry's key is stable (made from its id).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence

from explorer import ids
from explorer.papers import Paper

FORMATS = {"csv": ("csv", "text/csv"), "jsonl": ("jsonl", "application/x-ndjson")}
FORMATS["bibtex"] = ("bib", "application/x-bibtex")

COLUMNS = ("id", "title", "authors", "year", "date", "categories", "url", "abstract")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def _row(p: Paper) -> dict[str, str]:
    return {
        "id": p.id,
        "title": p.title,
        "authors": "; ".join(p.authors) + ("; et al." if p.et_al else ""),
        "year": "" if p.year is None else str(p.year),
        "date": p.date or "",
        "categories": " ".join(p.categories),
        "url": ids.url(p.id) or "",
        "abstract": p.abstract,
    }


def to_csv(papers: Sequence[Paper]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for p in papers:
        w.writerow({k: _cell(v) for k, v in _row(p).items()})
    return out.getvalue()


def to_jsonl(papers: Sequence[Paper]) -> str:
    return "".join(
        json.dumps(
            {**_row(p), "authors": list(p.authors), "et_al": p.et_al}
            | {"categories": list(p.categories)}
        )
        + "\n"
        for p in papers
    )


_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIB_RE = re.compile("|".join(re.escape(c) for c in _BIB_SPECIAL))


def bib_escape(text: str) -> str:
    """Text safe inside a braced BibTeX field: every special character escaped, one line."""
    return _BIB_RE.sub(lambda m: _BIB_SPECIAL[m.group(0)], " ".join(text.split()))


def bib_key(paper_id: str) -> str:
    """A stable citation key from a paper's id: letters, digits and `:-.` only."""
    key = re.sub(r"[^A-Za-z0-9:.\-]+", "-", ids.arxiv_id(paper_id) or paper_id).strip("-")
    return key or "paper"


def to_bibtex(papers: Sequence[Paper]) -> str:
    entries, seen = [], set[str]()
    for p in papers:
        key = bib_key(p.id)
        while key in seen:  # two ids that reduce to one key: still one key per entry
            key += "x"
        seen.add(key)
        fields = [("title", p.title)]
        if p.authors:  # "and others" is BibTeX's "et al.": styles print it as such
            names = [*p.authors, "others"] if p.et_al else list(p.authors)
            fields.append(("author", " and ".join(names)))
        if p.year is not None:
            fields.append(("year", str(p.year)))
        url = ids.url(p.id)
        if url:
            fields.append(("url", url))
        a = ids.arxiv_id(p.id)
        if a:
            fields += [("eprint", a), ("archiveprefix", "arXiv")]
        d = ids.doi(p.id)
        if d:
            fields.append(("doi", d))
        if p.categories:
            fields.append(("keywords", ", ".join(p.categories)))
        body = ",\n".join(f"  {k} = {{{bib_escape(v)}}}" for k, v in fields)
        entries.append(f"@misc{{{key},\n{body}\n}}\n")
    return "\n".join(entries)


def export(papers: Sequence[Paper], fmt: str) -> str:
    return {"csv": to_csv, "jsonl": to_jsonl, "bibtex": to_bibtex}[fmt](papers)
