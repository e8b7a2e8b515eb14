"""Paper identity: the forms a user writes an arXiv id or a DOI in, reduced to one key.

`https://arxiv.org/abs/2309.03824v2`, `arxiv.org/pdf/2309.03824.pdf`, `arXiv:2309.03824` and
`2309.03824v1` are all the key `2309.03824` (old-style `hep-th/9901001` ids too); a DOI with or
without `https://doi.org/` or `doi:` is its lower-cased `10.…` form. Any other id (a slug, a
number, a key of the user's own) is its own key. Look-ups and links use this one rule.

Two ids of one key are one paper (`Corpus` keeps one): arXiv versions of one paper are told
apart by `version` (`2309.03824v2` -> 2; none written -> None). An arXiv id also says the
month it was first submitted in (`month`: `2503.16177` -> "2025-03", `0704.0001` -> "2007-04",
`hep-th/9901001` -> "1999-01"), which a paper with no date takes as its date.
"""

from __future__ import annotations

import re

_ARXIV = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})", re.IGNORECASE)
_ARXIV_FULL = re.compile(rf"({_ARXIV.pattern})(?:v(\d+))?", re.IGNORECASE)
_ARXIV_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_ARXIV_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_DOI = re.compile(
    r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+|10/[a-z0-9]+)$", re.IGNORECASE
)


def _arxiv(text: str) -> re.Match[str] | None:
    s = text.strip()
    m = _ARXIV_URL.match(s)
    if m:
        s = m.group(1)
    s = _ARXIV_PREFIX.sub("", s)
    return _ARXIV_FULL.fullmatch(s)


def arxiv_id(text: str) -> str | None:
    """The arXiv id (without version) that `text` names as a URL, `arXiv:` id or bare id."""
    m = _arxiv(text)
    return m.group(1) if m else None


def version(text: str) -> int | None:
    """The version an arXiv id names (`2309.03824v2`, `arXiv:2309.03824v2`, its URL -> 2);
    None when it names none, or `text` is no arXiv id."""
    m = _arxiv(text)
    return int(m.group(2)) if m and m.group(2) else None


_NEW_STYLE = re.compile(r"(\d\d)(\d\d)\.(\d{4,5})", re.ASCII)
_OLD_STYLE = re.compile(r"[^/]+/(\d\d)(\d\d)\d{3}", re.ASCII)


def month(text: str) -> str | None:
    """The month ("YYYY-MM") an arXiv id was handed out in, or None (not an arXiv id, or not one
    that could exist: the month must be 01-12; new-style `YYMM.NNNN` ids run from 0704 (April
    2007), with 4 digits after the dot up to 1412 and 5 from 1501; old-style `archive/YYMMNNN`
    ids from 9108 to 0703)."""
    m = _NEW_STYLE.fullmatch(text)  # the common case, without the forms `arxiv_id` reads
    a = text if m else arxiv_id(text)
    if a is None:
        return None
    if m or (m := _NEW_STYLE.fullmatch(a)):
        yymm, mm = int(m[1] + m[2]), int(m[2])
        if not (1 <= mm <= 12 and yymm >= 704 and (len(m[3]) == 4) == (yymm <= 1412)):
            return None
        return f"20{m[1]}-{m[2]}"
    if m := _OLD_STYLE.fullmatch(a):
        yy, mm = int(m[1]), int(m[2])
        century = "19" if yy >= 91 else "20"
        yymm = (yy if yy >= 91 else yy + 100) * 100 + mm
        if not (1 <= mm <= 12 and 9108 <= yymm <= 10703):
            return None
        return f"{century}{m[1]}-{m[2]}"
    return None


def doi(text: str) -> str | None:
    """The DOI (lower-cased, as DOIs compare) that `text` names, with or without its resolver;
    a shortDOI (`10/fqd6hj`, which doi.org resolves) is one too, kept short."""
    m = _DOI.match(text.strip())
    return m.group(1).lower() if m else None


_DOI_IN = re.compile(
    r"(?:\bdoi\.org/|\bdoi:\s*|\bDOI\s+|\b)(10\.\d{4,9}/[^\s\"<>]+|(?<=doi\.org/)10/[a-z0-9]+)",
    re.IGNORECASE,
)
_ARXIV_IN = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf|html)/|\barxiv:\s*)"
    r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)


def find_doi(text: str) -> str | None:
    """The first DOI written anywhere in `text` (a URL such as `https://doi.org/10.1/x`, a
    line `DOI: 10.1/x` of Zotero's `extra`, an identifier `DOI 10.1/x`), lower-cased, with
    trailing punctuation and a `.pdf` left off; a URL's `%2F` is read as `/`. None if none."""
    m = _DOI_IN.search(text.replace("%2F", "/").replace("%2f", "/"))
    if m is None:
        return None
    found = m.group(1).rstrip(".,;:)]}'")
    found = found.removesuffix(".pdf").removesuffix("/abstract").removesuffix("/full")
    return found.lower()


def find_arxiv(text: str) -> str | None:
    """The arXiv id (no version) of an `arxiv.org/abs|pdf/` URL or an `arXiv:` id anywhere in
    `text`, or None."""
    m = _ARXIV_IN.search(text)
    return m.group(1) if m else None


def key(text: str) -> str:
    """The one form a paper id is compared in (see the module's docstring)."""
    m = _ARXIV_FULL.fullmatch(text)  # fast paths: a bare arXiv id, and an id with neither a
    if m:  # "." nor a "/", which no arXiv id, DOI or URL lacks (a corpus's ids are all keyed)
        return m.group(1)
    if "." not in text and "/" not in text:
        return text.strip()
    return arxiv_id(text) or doi(text) or text.strip()


def url(paper_id: str) -> str | None:
    """A link to the paper where its id allows one (arXiv or DOI), else None."""
    a = arxiv_id(paper_id)
    if a is not None:
        return f"https://arxiv.org/abs/{a}"
    d = doi(paper_id)
    return f"https://doi.org/{d}" if d is not None else None
