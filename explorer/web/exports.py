"""A selection of papers as a download: CSV, JSON Lines, BibTeX, RIS or CSL-JSON.

CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
or a carriage return) are prefixed with `'`. BibTeX, RIS and CSL-JSON are
`explorer.references`'s writers: a paper read from a library keeps its citation key, type and
fields; BibTeX escapes its special characters, so that no title can end a field or start a
command; each entry's key is stable (the library's, else made from its id).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from explorer import ids, references
from explorer.papers import Paper
from explorer.references.bibtex import bib_escape, bib_key

__all__ = ["COLUMNS", "FORMATS", "bib_escape", "bib_key", "export", "to_bibtex", "to_csv"]

FORMATS = {"csv": ("csv", "text/csv"), "jsonl": ("jsonl", "application/x-ndjson")}
FORMATS.update(references.FORMATS)  # bibtex, ris, csl-json

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


def to_bibtex(papers: Sequence[Paper]) -> str:
    return references.write(papers, "bibtex")


def export(papers: Sequence[Paper], fmt: str) -> str:
    """The papers as `fmt` (a key of `FORMATS`)."""
    if fmt in references.FORMATS:
        return references.write(papers, fmt)
    return {"csv": to_csv, "jsonl": to_jsonl}[fmt](papers)
