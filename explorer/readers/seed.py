"""Reader for the seed listing format (`seeds/*.txt`): three lines per paper.

1. subject glued to the listing date, optionally followed by `Code`: `CLJul 31, 2024`,
   `HCOct 14, 2025Code`, `AIMay 7` (no year: the year the listing was made, a setting);
2. title glued to the author list, then optionally ` · ` and affiliations:
   `Gemma 2: ... Practical SizeGemma Team, Morgane Riviere, Shreya Pathak et al. · deepmind`;
3. the abstract.

The hard part is line 2: nothing separates the title from the first author. `split_title_authors`
tries each place where an uppercase letter follows a non-space, non-hyphen character
(`SizeGemma`, `RLJessica`, `ExpertsNan`) and keeps the leftmost one after which the rest of
the line reads as an author list. The author-list check is strict so that pieces of a title do
not pass for names, and camel-case surnames (`LeCun`) do not end the title early.
"""

from __future__ import annotations

import re
from pathlib import Path

from explorer.papers import Paper, ReadStats
from explorer.readers.common import SlugAllocator, fail, iter_lines, iso_date, month_number, short

# arXiv's computer-science subject classes; the listing shows them without the `cs.` prefix.
CS_CODES = frozenset(
    "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI "
    "OH OS PF PL RO SC SD SE SI SY".split()
)
OTHER_CODES = {"ML": "stat.ML"}

_HEADER = re.compile(
    r"(?P<subject>[A-Z]+?)(?P<month>[A-Z][a-z]{2,8})\.?\s*(?P<day>\d{1,2})"
    r"(?:\s*,\s*(?P<year>\d{4}))?\s*(?P<code>Code)?"
)
_EXAMPLE = "'CLJul 31, 2024' (subject glued to the date)"

# Lower-case name particles that may appear inside a name ("Aaron van den Oord").
_PARTICLES = frozenset(
    "van von der den del della de di da du dos das la le bin ibn al el ter ten zu y".split()
)
_NAME_PUNCT = frozenset(".-'’")


def subject_category(code: str) -> str | None:
    """`CL` -> `cs.CL`, `ML` -> `stat.ML`; None for an unknown code."""
    if code in CS_CODES:
        return f"cs.{code}"
    return OTHER_CODES.get(code)


def _part_ok(part: str, strict: bool) -> bool:
    """One hyphen-separated piece of a name token: `Morgane`, `A.`, `O'Brien`, `LeCun`, `SL`.

    `strict` (the first word of the first author, right after the glue point) allows no
    upper-case letter after the first one. Otherwise one inner capital is allowed after a short
    prefix (`Mc`, `Mac`, `Le`, `O'`), and short all-capital tokens (`SL`, `III`); `RLJessica`
    or `DiscoveryAlex` (a title word glued to a name) never pass.
    """
    if not part or not part[0].isupper():
        return False
    rest = part[1:]
    if rest.endswith("."):
        rest = rest[:-1]
    if not any(c.isupper() for c in rest):
        return all(c.islower() or c in "'’" for c in rest)
    if strict:
        return False
    if re.fullmatch(r"[A-Z.]{1,4}", part) and not re.search(r"\.\.", part):
        return True  # initials or a short all-caps name part: "A.B.", "SL", "III"
    caps = [i for i, c in enumerate(part) if c.isupper()]
    if len(caps) != 2 or caps[1] > 3:
        return False
    prefix, tail = part[: caps[1]], part[caps[1] + 1 :].rstrip(".")
    return (
        all(c.islower() or c in "'’" for c in prefix[1:])
        and len(tail) >= 2
        and all(c.islower() or c in "'’" for c in tail)
    )


def _token_ok(token: str, strict: bool, relaxed: bool = False) -> bool:
    """A space-separated word of a name: letters and `.-'’` only, each hyphen piece name-like.

    Hyphen pieces after the first may be lower case (`Hung-yi`, `Jong-chan`). `relaxed` (the
    fallback pass) also accepts lower-case words inside names (`Zhengpeng zhou`, `Grifell i`).
    """
    if not token or not all(c.isalpha() or c in _NAME_PUNCT for c in token):
        return False
    if not strict and (token in _PARTICLES or (relaxed and token.rstrip(".").islower())):
        return True
    parts = token.split("-")
    return _part_ok(parts[0], strict) and all(
        _part_ok(p, False) or (p.isalpha() and p.islower()) for p in parts[1:]
    )


def parse_author_list(text: str, relaxed: bool = False) -> tuple[list[str], bool] | None:
    """`"A B, C D et al."` -> (["A B", "C D"], True); None when `text` is not an author list.

    Names are separated by `", "`; each is 1-5 name words. The first word of the first author
    must be a plain capitalised word (it sits right after the glue point). `relaxed` allows
    lower-case words after that first word (see `_token_ok`).
    """
    et_al = False
    for tail in (" et al.", " et al"):
        if text.endswith(tail):
            text, et_al = text[: -len(tail)], True
            break
    names = text.split(", ")
    for i, name in enumerate(names):
        tokens = name.split(" ")
        if not 1 <= len(tokens) <= 5:
            return None
        for j, token in enumerate(tokens):
            if not _token_ok(token, strict=(i == 0 and j == 0), relaxed=relaxed):
                return None
    return names, et_al


def split_title_authors(line: str) -> tuple[str, list[str], bool, list[str]] | None:
    """Line 2 of an entry -> (title, authors, et_al, affiliations), or None if it does not split."""
    body, sep, affs = line.rpartition(" · ")
    if not sep:
        body, affs = line, ""
    affiliations = [a.strip() for a in affs.split(",") if a.strip()]
    candidates = [
        i for i in range(1, len(body)) if body[i].isupper() and body[i - 1] not in " -\t"
    ]
    for relaxed in (False, True):  # lower-case name words only when nothing else fits
        for i in candidates:
            parsed = parse_author_list(body[i:], relaxed)
            title = " ".join(body[:i].split())
            if parsed is not None and title:
                return title, parsed[0], parsed[1], affiliations
    return None


def _parse_header(
    text: str, source: str, line: int, listing_year: int | None
) -> tuple[str, str, bool]:
    """Line 1 of an entry -> (category, ISO date, has_code)."""
    m = _HEADER.fullmatch(text)
    assert m is not None
    category = subject_category(m["subject"])
    if category is None:
        known = ", ".join(sorted(CS_CODES)) + ", ML"
        raise fail(
            source, line, f"unknown subject {m['subject']!r} in {short(text)} (known: {known})"
        )
    month = month_number(m["month"])
    if month is None:
        raise fail(source, line, f"unknown month {m['month']!r} in {short(text)}")
    if m["year"] is None and listing_year is None:
        raise fail(
            source, line,
            f"the date in {short(text)} has no year; pass the year the listing was made "
            "(listing_year=...)",
        )
    year = int(m["year"]) if m["year"] else int(listing_year)  # type: ignore[arg-type]
    iso = iso_date(year, month, int(m["day"]))
    if iso is None:
        raise fail(source, line, f"no such date: {short(text)}")
    return category, iso, m["code"] is not None


def read_seed(
    path: Path, source: str, listing_year: int | None = None
) -> tuple[list[Paper], ReadStats]:
    """Parse a seed listing file. Blank lines between entries, CRLF and a missing final newline
    are fine; anything that breaks the three-line structure is an error naming the line."""
    entries: list[list[tuple[int, str]]] = []
    for n, raw in iter_lines(path, source):
        text = raw.strip()
        if not text:
            continue
        if _HEADER.fullmatch(text):
            entries.append([(n, text)])
        elif not entries:
            raise fail(
                source, n, f"expected a listing header such as {_EXAMPLE}, got {short(text)}"
            )
        elif len(entries[-1]) == 3:
            first = entries[-1][0][0]
            raise fail(
                source, n,
                f"the entry that starts on line {first} already has its 3 lines (header, "
                f"title+authors, abstract); expected a new header such as {_EXAMPLE}, "
                f"got {short(text)}",
            )
        else:
            entries[-1].append((n, text))
    if not entries:
        raise fail(source, None, "no papers (empty file)")

    papers: list[Paper] = []
    slugs = SlugAllocator()
    for entry in entries:
        (hn, header) = entry[0]
        if len(entry) < 3:
            raise fail(
                source, hn,
                f"this entry has {len(entry)} line(s) but needs 3 (header, title+authors, "
                "abstract)",
            )
        category, iso, has_code = _parse_header(header, source, hn, listing_year)
        (tn, title_line), (_, abstract) = entry[1], entry[2]
        split = split_title_authors(title_line)
        if split is None:
            raise fail(
                source, tn,
                f"cannot tell the title from the authors in {short(title_line, 80)} "
                "(expected the title glued to 'First Last, First Last et al.')",
            )
        title, authors, et_al, affiliations = split
        papers.append(
            Paper(
                id=slugs.allocate(title),
                title=title,
                abstract=abstract,
                authors=tuple(authors),
                et_al=et_al,
                affiliations=tuple(affiliations),
                categories=(category,),
                date=iso,
                has_code=has_code,
            )
        )
    return papers, ReadStats(rows=len(entries))
