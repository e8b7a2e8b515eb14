r"""BibTeX out: one entry per paper, safe whatever its text.

A paper read from a BibTeX file is written back as it was read: its entry type, citation key
and every field in order (macros expanded), LaTeX kept, each value braced; then the fields
explorer knows that the entry lacks (a venue or DOI found by a crossref or a merge, an
abstract from a merged version). A value is kept as LaTeX only where its braces balance and
it calls none of TeX's file, definition or catcode commands (`\input`, `\write`, `\def`,
`\catcode`, ...); any other value, and every field of a paper from elsewhere, is written
from its plain text with BibTeX's special characters escaped (`bib_escape`), so that no value
can close its field or entry or start a command. A citation key keeps only characters a key
may hold (not `,{}()"#%'=\` or white space); a missing one is made from the paper's id, and
a key already written gets `-2`, `-3`.

Other papers: the type from their record's kind (`@article`, `@inproceedings`, `@book`,
`@incollection`, `@phdthesis`, `@techreport`, else `@misc`), title, author (" and ", "and
others" for et al.), year, journal/booktitle, url, eprint + archiveprefix (arXiv), doi,
keywords (the paper's keywords, else its categories) and abstract.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from explorer import ids
from explorer.papers import Paper
from explorer.references.common import arxiv_of, join_keywords, kind

__all__ = ["bib_escape", "bib_key", "to_bibtex"]

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
_LIGATURE = re.compile(r"--+|``+|''+|!`|\?`")
_DANGER = re.compile(
    r"\\(?:input|include|InputIfFileExists|write|immediate|openout|openin|read|catcode|"
    r"def|edef|gdef|xdef|let|csname|newcommand|renewcommand|providecommand|usepackage|"
    r"special|directlua|loop|jobname|endinput|makeatletter)(?![A-Za-z])"
)
_KEY_BAD = re.compile(r"[\s,{}()\"#%'=\\]+")
_TYPES = {
    "article": "article", "inproceedings": "inproceedings", "book": "book",
    "incollection": "incollection", "thesis": "phdthesis", "report": "techreport",
}  # fmt: skip
_VENUE_FIELDS = ("journal", "journaltitle", "booktitle")


def bib_escape(text: str) -> str:
    """Text safe inside a braced BibTeX field: every special character escaped, one line;
    runs of `-` and quotes that TeX would turn into dashes or curly quotes kept as typed."""
    text = _BIB_RE.sub(lambda m: _BIB_SPECIAL[m.group(0)], " ".join(text.split()))
    text = _LIGATURE.sub(lambda m: "{}".join(m.group(0)), text)
    return text.replace("\x00", "{").replace("\x01", "}")


def bib_key(paper_id: str) -> str:
    """A stable citation key from a paper's id: letters, digits and `:-.` only."""
    key = re.sub(r"[^A-Za-z0-9:.\-]+", "-", ids.arxiv_id(paper_id) or paper_id).strip("-")
    return key or "paper"


def _balanced(value: str) -> bool:
    depth = 0
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not escaped


def _raw_value(value: str) -> str:
    """A value read from a .bib file, as LaTeX where that is safe, else escaped text."""
    if _balanced(value) and not _DANGER.search(value) and "\n@" not in value:
        return " ".join(value.split()) if "\n" in value else value
    return bib_escape(value)


def _escape(name: str, value: str) -> str:
    """A plain value for a field: a URL or DOI verbatim (only braces, backslashes and white
    space percent-encoded), anything else `bib_escape`d."""
    if name in ("url", "doi"):
        return re.sub(r"[{}\\\s]", lambda m: f"%{ord(m.group()):02X}", value)
    return bib_escape(value)


def _one_name(name: str) -> str:
    """A name that holds a comma or " and " ("State, The") braced whole, so that BibTeX reads
    it as one name, not "Family, Given" or two names (braces escaped by `bib_escape` after)."""
    if "," in name or re.search(r"\sand\s", name, re.IGNORECASE):
        return "\x00" + name + "\x01"
    return name


def _plain_fields(p: Paper) -> list[tuple[str, str]]:
    """The fields explorer knows, as plain text (to be escaped)."""
    fields = [("title", p.title)]
    if p.authors:  # "and others" is BibTeX's "et al.": styles print it as such
        names = [*p.authors, "others"] if p.et_al else list(p.authors)
        names = [_one_name(n) for n in names]
        fields.append(("author", " and ".join(names)))
    if p.year is not None:
        fields.append(("year", str(p.year)))
    if p.venue:
        fields.append(
            ("booktitle" if kind(p) in ("inproceedings", "incollection") else "journal", p.venue)
        )
    url = p.url if p.entry else (p.url or ids.url(p.id))  # a library's own, or none
    if url:
        fields.append(("url", url))
    a = arxiv_of(p)
    if a:
        fields += [("eprint", a), ("archiveprefix", "arXiv")]
    d = p.doi or ids.doi(p.id)
    if d:
        fields.append(("doi", d))
    words = p.keywords or p.categories
    if words:  # "; " where a keyword holds a comma ("Aged, 80 and over"): read back whole
        fields.append(("keywords", join_keywords(words)))
    if p.abstract:
        fields.append(("abstract", p.abstract))
    return fields


def _entry(p: Paper, key: str) -> str:
    entry = dict(p.entry[:2]) if p.entry else {}
    if entry.get("@format") == "bibtex":
        kind_ = re.sub(r"[^A-Za-z_]", "", entry.get("@type", "")) or "misc"
        raw = list(p.entry[2:])
        lines = [(k, _raw_value(v)) for k, v in raw if re.fullmatch(r"[A-Za-z][\w.:+-]*", k)]
        have = {k.lower() for k, _ in raw}
        for name, value in _plain_fields(p):
            if name in have or (name in _VENUE_FIELDS and have & set(_VENUE_FIELDS)):
                continue
            if name == "year" and "date" in have:
                continue
            if name in ("eprint", "archiveprefix") and "eprint" in have:
                continue
            lines.append((name, _escape(name, value)))
    else:
        kind_ = _TYPES.get(kind(p), "misc")
        lines = [(k, _escape(k, v)) for k, v in _plain_fields(p)]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in lines)
    return f"@{kind_}{{{key},\n{body}\n}}\n"


def to_bibtex(papers: Sequence[Paper]) -> str:
    """The papers as a .bib file's text (see the module's rules)."""
    entries, seen = [], set[str]()
    for p in papers:
        key = _KEY_BAD.sub("", p.cite_key or "") or bib_key(p.id)
        base, n = key, 1
        while key.lower() in seen:  # two papers of one key: still one key per entry
            n += 1
            key = f"{base}-{n}"
        seen.add(key.lower())
        entries.append(_entry(p, key))
    return "\n".join(entries)
