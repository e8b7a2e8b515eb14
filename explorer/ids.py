"""Paper identity: the forms a user writes an arXiv id or a DOI in, reduced to one key.

`https://arxiv.org/abs/2309.03824v2`, `arxiv.org/pdf/2309.03824.pdf`, `arXiv:2309.03824` and
`2309.03824v1` are all the key `2309.03824` (old-style `hep-th/9901001` ids too); a DOI with or
without `https://doi.org/` or `doi:` is its lower-cased `10.…` form. Any other id (a slug, a
number, a key of the user's own) is its own key. Look-ups and links use this one rule.
"""

from __future__ import annotations

import re

_ARXIV = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})", re.IGNORECASE)
_ARXIV_FULL = re.compile(rf"({_ARXIV.pattern})(?:v\d+)?", re.IGNORECASE)
_ARXIV_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_ARXIV_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


def arxiv_id(text: str) -> str | None:
    """The arXiv id (without version) that `text` names as a URL, `arXiv:` id or bare id."""
    s = text.strip()
    m = _ARXIV_URL.match(s)
    if m:
        s = m.group(1)
    s = _ARXIV_PREFIX.sub("", s)
    m = _ARXIV_FULL.fullmatch(s)
    return m.group(1) if m else None


def doi(text: str) -> str | None:
    """The DOI (lower-cased, as DOIs compare) that `text` names, with or without its resolver."""
    m = _DOI.match(text.strip())
    return m.group(1).lower() if m else None


def key(text: str) -> str:
    """The one form a paper id is compared in (see the module's docstring)."""
    return arxiv_id(text) or doi(text) or text.strip()


def url(paper_id: str) -> str | None:
    """A link to the paper where its id allows one (arXiv or DOI), else None."""
    a = arxiv_id(paper_id)
    if a is not None:
        return f"https://arxiv.org/abs/{a}"
    d = doi(paper_id)
    return f"https://doi.org/{d}" if d is not None else None
