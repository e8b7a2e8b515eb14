"""What the readers of reference-manager libraries share: one `Entry` shape, mapped to `Paper`.

Each library reader (BibTeX, RIS, CSL-JSON, Better BibTeX JSON, Zotero RDF, EndNote XML) turns
its records into `Entry`s: the fields explorer reads, already text (LaTeX decoded, markup
gone), plus the record as the file wrote it (`raw`, for writing it back). `Library.add` makes
the `Paper`, `Library.skip` counts an entry that cannot be one (no title, a broken record),
naming the first few keys in `ReadStats.skipped_keys`.

The rules every library reader shares:
- the id is the DOI (lower-cased `10.…`; a long DOI wins over a shortDOI `10/…`, which is then
  kept in `extra["short_doi"]`), else the arXiv id (version dropped), else a slug of the first
  author's surname, the year and the title (`smith-2019-deep-learning-for-cells`: stable, and
  made unique across the files of one read by `explorer.readers.identity`);
- an entry with no title, or with a lone UTF-16 surrogate (a JSON `\\ud800` escape) in any
  field, is skipped (counted, named); one with no abstract is kept, flagged
  `no_abstract`, and embedded from its title and keywords;
- abstracts lose markup (`<p>`, `<jats:p>`), publisher boilerplate that is all an abstract
  holds ("Downloaded via … See https://pubs.acs.org/sharingguidelines …": no abstract), and
  a download stamp after the text ("… Downloaded via UNIV X on March 10, 2021 at 10:38:35
  (UTC)."), and copyright tails ("© 2019 Elsevier Ltd. All rights reserved.", "(PsycINFO
  Database Record (c) 2020 APA, all rights reserved)", "Copyright of X is the property of …").
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from explorer import ids
from explorer.papers import Paper, ReadStats
from explorer.readers.common import fail, month_number, normalize_date, slugify, surrogate

__all__ = ["Entry", "Library", "clean_abstract", "latex_text", "person", "split_keywords"]

SKIPPED_NAMED = 5  # keys named per file in `ReadStats.skipped_keys`
_CONTROL = re.compile("[\x00-\x20\x7f-\x9f\u2028\u2029]")  # never in an id

_LATEX = None  # pylatexenc's converter, made on first use


def _converter():
    global _LATEX
    if _LATEX is None:
        from pylatexenc.latex2text import LatexNodes2Text

        _LATEX = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
    return _LATEX


def squash(text: str) -> str:
    return " ".join(text.replace("\xad", "").split())


_ACCENTS = {
    "'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "u": "\u0306", "v": "\u030c", "H": "\u030b", "k": "\u0328",
    "r": "\u030a", "d": "\u0323",
}  # fmt: skip
_LETTERS = {
    "i": "ı", "j": "ȷ", "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "dh": "ð", "DH": "Ð", "th": "þ",
    "TH": "Þ", "d": "ð",  # JabRef writes the ð of "Ragnhei{\\d}ur" as a bare \\d
}  # fmt: skip
_ACCENT = re.compile(
    r"\\([\'`\"^~=.])\s*(?:\{\s*(\\?[A-Za-z]+|[^{}\\])\s*\}|(\\?[A-Za-z]))"
    r"|\\([cuvHkrd])(?:\s*\{\s*(\\?[A-Za-z]+)\s*\}|\s+([A-Za-z]))"
)
_LETTER = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|dh|DH|th|TH|[ijoOlLd])(?![A-Za-z])\s*(?:\{\})?")
_ESCAPED = re.compile(r"\\([&%$#_{}\-/ ])")
_PERCENT = re.compile(r"(?<!\\)%")
_MATH = re.compile(r"(?<!\\)\$")
# What the writers escape with, read back (kept apart from braces until those are dropped).
_TEXT_COMMANDS = (
    ("\\textbackslash{}", "\x02"),
    ("\\textasciitilde{}", "\x03"),
    ("\\textasciicircum{}", "\x04"),
    ("\\{", "\x00"),
    ("\\}", "\x01"),
)
_DASHES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"))


def _accent(m: re.Match[str]) -> str:
    mark, base = (m[1], m[2] or m[3]) if m[1] else (m[4], m[5] or m[6])
    if base.startswith("\\"):  # an accent on a dotless i or j is on an i or j
        base = {"i": "i", "j": "j"}.get(base[1:]) or _LETTERS.get(base[1:], base)
    return base + _ACCENTS[mark]


def _fast_latex(value: str) -> str | None:
    """The common LaTeX of titles and names (accents, `\\ss`-style letters, escaped specials,
    `~`, dashes, protecting braces) as text; None where anything else is left (a command, `$`
    math): then pylatexenc reads it. Gives what pylatexenc gives for what it handles."""
    if _MATH.search(value):
        return None
    text = value
    for tex, char in _TEXT_COMMANDS:
        text = text.replace(tex, char)
    for tex, char in _DASHES:
        text = text.replace(tex, char)
    text = _ACCENT.sub(_accent, text)
    text = _LETTER.sub(lambda m: _LETTERS[m[1]], text)
    text = _ESCAPED.sub(lambda m: "" if m[1] == "-" else m[1].replace("/", ""), text)
    if "\\" in text:
        return None
    text = text.replace("{", "").replace("}", "").replace("~", "\xa0")
    text = text.replace("\x00", "{").replace("\x01", "}").replace("\x02", "\\")
    return unicodedata.normalize("NFC", text.replace("\x03", "~").replace("\x04", "^"))


@lru_cache(maxsize=65536)
def latex_text(value: str) -> str:
    """BibTeX text as plain text: accents (`Bogad\\'{o}ttir` -> "Bogadóttir"), commands' text
    (`\\emph{x}` -> "x"), protecting braces and `\\-` gone, math as its characters; white space
    squashed. Text without `\\`, `{`, `$` or `~` is only squashed (the common case, fast); the
    common accents and braces are read here (`_fast_latex`), the rest by pylatexenc."""
    if not any(c in value for c in "\\{}$~-`'"):
        return squash(value)
    fast = _fast_latex(value)
    if fast is not None:
        return squash(fast)
    try:  # a `%` in a BibTeX value is text, never a comment
        return squash(_converter().latex_to_text(_PERCENT.sub(r"\\%", value)))
    except Exception:  # pylatexenc on text it cannot parse: keep the letters, drop the syntax
        return squash(re.sub(r"\\[a-zA-Z]+\*?|[{}$\\]", "", value).replace("~", " "))


_TAGS = re.compile(r"</?[a-zA-Z][\w:.-]*(?:\s[^<>]*)?/?>")
_BOILERPLATE = re.compile(
    r"^\s*(?:Downloaded via .*?(?:sharingguidelines|legitimately share).*|"
    r"No abstract(?: is)? available\.?|\[?No abstract\]?\.?|Abstract not available\.?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_TAILS = (
    re.compile(r"\s*Downloaded via .{3,200}? on .{0,80}?\(UTC\)\..{0,300}$", re.DOTALL),
    re.compile(r"\s*\(PsycINFO Database Record \(c\)[^)]*\)\s*$", re.IGNORECASE),
    re.compile(r"\s*\(Copyright applies to all Abstracts\.?\)\s*$", re.IGNORECASE),
    re.compile(r"\s*\[?ABSTRACT FROM AUTHOR\]?[;.]?\s*(?:Copyright of .*)?$", re.DOTALL),
    re.compile(r"\s*Copyright of .{3,300}? is the property of .*$", re.DOTALL),
    re.compile(
        r"[\s/]*(?:Copyright\s*)?(?:©|\(c\)|\bq)\s*(?:\d{4}|[A-Z][a-z]+)[^©]{0,200}$", re.IGNORECASE
    ),
    re.compile(r"[\s/]*Copyright\s+\d{4}\b[^©]{0,200}$", re.IGNORECASE),
)


def clean_abstract(text: str) -> str:
    """An abstract without markup, boilerplate or copyright tail (the rules above), white space
    squashed (as `Paper.text` reads it anyway); "" when nothing else was there. A tail is cut
    only where at least 40 characters stay before it."""
    text = squash(text)
    if "<" in text:
        text = html.unescape(_TAGS.sub(" ", text)).strip()
    if _BOILERPLATE.match(text):
        return ""
    cut = True
    while cut:
        cut = False
        for pattern in _TAILS:
            m = pattern.search(text, max(0, len(text) - 600))
            if m and m.start() >= 40:
                text, cut = text[: m.start()].rstrip(), True
    return squash(text)


_KEYWORD_SEP = re.compile(r"\s*[;,]\s*|\n")


def split_keywords(values: list[str] | str | None) -> tuple[str, ...]:
    """Keywords from one string (split at `;` where it has one, else at `,`), or from a list
    (each item one keyword, cut only at `;` and line breaks: "Aged, 80 and over" is one MeSH
    term); blank and repeated ones (case aside) dropped."""
    if not values:
        return ()
    if isinstance(values, str):
        words = values.split(";") if ";" in values else _KEYWORD_SEP.split(values)
    else:
        words = [w for item in values for w in re.split(r"\s*;\s*|\n", item)]
    out: dict[str, str] = {}
    for word in words:
        word = squash(word)
        if word and word.casefold() not in out:
            out[word.casefold()] = word
    return tuple(out.values())


def person(family: str | None, given: str | None = None) -> str:
    """ "Given Family" from a name's parts (either may be missing; "Family, Given" in one string
    is turned around)."""
    family, given = squash(family or ""), squash(given or "")
    if not given and "," in family:
        family, _, given = (p.strip() for p in family.partition(","))
    if given.lower() in _NO_NAME:  # Lens writes "van den Hoven, null"
        given = ""
    return squash(f"{given} {family}")


_NO_NAME = frozenset({"null", "none", "nan", "n/a"})


def surname(name: str) -> str:
    """The surname of a "Given Family" or "Family, Given" name, ASCII-folded and lower-cased
    ("" for none): the family name's last word ("van der Berg, Jan" and "Jan van der Berg"
    are both "berg")."""
    words = fold(name.split(",", 1)[0] if "," in name else name).split()
    return words[-1] if words else ""


def fold(text: str) -> str:
    """Lower-cased ASCII letters and digits, words one space apart (accents and punctuation
    gone): how titles and names are compared."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded.lower()).split())


_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def library_date(text: str | None, year: str | None = None, month: str | None = None) -> str | None:
    """`Paper.date` from a library's date (`2019-11-25`, `2021/02/01/`, `2019-11-25/2020`), or
    its year (`1977a`, `{1977}`) and month (`jan`, `January`, `3`); None when neither says."""
    for value in (text, year):
        v = (value or "").strip().rstrip("/")
        if not v:
            continue
        if re.match(r"\d{4}-", v) and "/" in v:  # a range: its start
            v = v.split("/")[0]
        try:
            found = normalize_date(v)
        except ValueError:
            m = _YEAR.search(v)
            found = m.group(1) if m and 1000 <= int(m.group(1)) <= 9999 else None
        if found and len(found) == 4 and month and month.strip():
            m_text = month.strip()
            number = int(m_text) if m_text.isdigit() else month_number(m_text)
            if number and 1 <= number <= 12:
                found = f"{found}-{number:02d}"
        if found:
            return found
    return None


def parse_xml(text: str, source: str):
    """The root of an XML document, read by the standard library's ElementTree, which never
    fetches an external entity; a DOCTYPE or ENTITY declaration is refused outright, so that
    no entity can expand (a "billion laughs" file), and a document that is not well formed is
    one error naming the line."""
    import xml.etree.ElementTree as ET

    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise fail(source, None, "holds a DOCTYPE or ENTITY declaration, which is refused")
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        line = e.position[0] if getattr(e, "position", None) else None
        raise fail(source, line, f"not well-formed XML ({e})") from None


def made_id(authors: tuple[str, ...] | list[str], date: str | None, title: str) -> str:
    """The id of a paper with neither DOI nor arXiv id: a slug of its first author's surname,
    year and title (`smith-2019-deep-learning-for-cells`)."""
    first = authors[0].split()[-1] if authors else ""
    return slugify(f"{first} {(date or '')[:4]} {title}", words=8)


@dataclass
class Entry:
    """One library record, read: what becomes the `Paper` (text already decoded)."""

    key: str  # the citation key or the record's own id ("" when it has none)
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    venue: str | None = None
    keywords: tuple[str, ...] = ()
    url: str | None = None
    doi: str | None = None  # as found: a long DOI or a shortDOI
    other_doi: str | None = None  # a second DOI the record names (a shortDOI's long form, ...)
    arxiv: str | None = None
    kind: str = ""  # the record's type, as the format names it
    raw: list[tuple[str, str]] = field(default_factory=list)  # the record as written


class Library:
    """The papers of one library file, and its `ReadStats`."""

    def __init__(self, source: str, fmt: str) -> None:
        self.source, self.fmt = source, fmt
        self.papers: list[Paper] = []
        self.stats = ReadStats()
        self._named = 0

    def skip(self, key: str, why: str, line: int | None = None) -> None:
        """Count an entry that cannot be read; name the first few (`FILE:LINE: KEY (why)`)."""
        self.stats.rows += 1
        self.stats.skipped_entries += 1
        if self._named < SKIPPED_NAMED:
            self._named += 1
            where = f"{self.source}:{line}" if line else self.source
            self.stats.skipped_keys.append(f"{where}: {key or '(no key)'} ({why})")

    def add(self, e: Entry, line: int | None = None) -> None:
        self.stats.rows += 1
        title = squash(e.title)
        if not title:
            self.stats.rows -= 1
            self.skip(e.key, "no title", line)
            return
        texts = [title, e.key, e.abstract, *e.authors, e.venue or "", e.url or "", *e.keywords]
        bad = surrogate("\x00".join([*texts, *(v for _, v in e.raw)]))
        if bad is not None:
            self.stats.rows -= 1
            self.skip(e.key, f"holds a lone UTF-16 surrogate ({bad!r})", line)
            return
        dois = [d for d in (ids.doi(e.doi or "") or e.doi, e.other_doi) if d]
        dois = [d for d in dois if not _CONTROL.search(d)]
        dois = [ids.doi(d) or d.lower() for d in dois]
        long_dois = [d for d in dois if not d.startswith("10/")]
        short = next((d for d in dois if d.startswith("10/")), None)
        doi = long_dois[0] if long_dois else short
        arxiv = ids.arxiv_id(e.arxiv) if e.arxiv else None
        abstract = clean_abstract(e.abstract)
        authors = tuple(a for a in (squash(x) for x in e.authors) if a.strip(" ,.;:-"))
        if doi:
            pid = doi
        elif arxiv:
            pid = arxiv
        else:
            pid = made_id(authors, e.date, title)
        extra = [("library", self.fmt)]
        if arxiv and pid != arxiv:
            extra.append(("arxiv", arxiv))
        if short and doi != short:
            extra.append(("short_doi", short))
        if e.kind:
            extra.append(("type", e.kind))
        if not abstract:
            self.stats.no_abstract += 1
        url = e.url.strip() if e.url and e.url.strip() else None
        self.papers.append(
            Paper(
                id=pid,
                title=title,
                abstract=abstract,
                authors=authors,
                date=e.date,
                extra=tuple(sorted(extra)),
                venue=squash(e.venue) if e.venue and e.venue.strip() else None,
                keywords=e.keywords,
                url=url,
                doi=doi,
                cite_key=e.key.strip() or None,
                no_abstract=not abstract,
                entry=(("@format", self.fmt), ("@type", e.kind), *e.raw),
            )
        )

    def result(self) -> tuple[list[Paper], ReadStats]:
        return self.papers, self.stats
