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

import bisect
import re
from pathlib import Path

from explorer.papers import Paper, ReadStats
from explorer.readers.common import SlugAllocator, fail, iso_date, iter_lines, month_number, short

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


def _glue_points(body: str) -> list[int]:
    """The places where the author list may start: an upper-case letter after a non-space,
    non-hyphen character, and the last upper-case letter of its hyphen piece (the first word of
    the first author allows no inner capital, so an earlier one can never start the list)."""
    points = []
    upper_later = False  # an upper-case letter follows in the same hyphen piece
    for i in range(len(body) - 1, 0, -1):
        c = body[i]
        if c == " " or c == "-":
            upper_later = False
        elif c.isupper():
            if not upper_later and body[i - 1] not in " -\t":
                points.append(i)
            upper_later = True
    points.reverse()
    return points


class _AuthorSuffixes:
    """Answers "does `core[i:]` read as an author list?" (`parse_author_list(core[i:])`) for
    many `i`, in time linear in the length of `core` overall.

    Calling `parse_author_list` on every glue point was quadratic: a 120,000-character line
    took minutes. Here every name (`", "`-separated segment) after the first is checked once,
    right to left; the first name may only start in the last five words of its segment; and
    each word's characters and hyphen pieces are checked once, so a glue point costs only the
    rest of its own hyphen piece.
    """

    def __init__(self, core: str, relaxed: bool) -> None:
        self.core, self.relaxed = core, relaxed
        self.starts: list[int] = []
        self.ends: list[int] = []
        pos = 0
        while True:
            j = core.find(", ", pos)
            self.starts.append(pos)
            self.ends.append(len(core) if j < 0 else j)
            if j < 0:
                break
            pos = j + 2
        self._last_bad: int | None = None
        self._tails: dict[int, tuple[int, list[tuple[int, int, bool]]]] = {}
        self._words: dict[int, tuple[int, list[int], list[int], int]] = {}

    def _last_bad_name(self) -> int:
        """The index of the last segment that is not a name (-1 if all are)."""
        if self._last_bad is None:
            self._last_bad = -1
            for s in range(len(self.starts) - 1, -1, -1):
                tokens = self.core[self.starts[s] : self.ends[s]].split(" ")
                if len(tokens) > 5 or not all(_token_ok(t, False, self.relaxed) for t in tokens):
                    self._last_bad = s
                    break
        return self._last_bad

    def _tail(self, s: int) -> tuple[int, list[tuple[int, int, bool]]]:
        """(limit, words): a first name must start after `limit` (at most five words); `words`
        are the (start, end, ok as a later word) of the segment's last five words."""
        tail = self._tails.get(s)
        if tail is None:
            a, e = self.starts[s], self.ends[s]
            limit, k = a - 1, e
            for _ in range(5):
                k = self.core.rfind(" ", a, k)
                if k < 0:
                    break
            else:
                limit = k  # the fifth space from the end
            words, pos = [], limit + 1
            for word in self.core[limit + 1 : e].split(" "):
                words.append((pos, pos + len(word), _token_ok(word, False, self.relaxed)))
                pos += len(word) + 1
            tail = self._tails[s] = (limit, words)
        return tail

    def _word(self, a: int, e: int) -> tuple[int, list[int], list[int], int]:
        """For the word `core[a:e]`: its last character that no name has, its hyphen pieces'
        starts and ends, and the index of its last piece that is not a name piece."""
        info = self._words.get(a)
        if info is None:
            word = self.core[a:e]
            bad_char = a - 1
            for j in range(len(word) - 1, -1, -1):
                if not (word[j].isalpha() or word[j] in _NAME_PUNCT):
                    bad_char = a + j
                    break
            starts, ends, bad_piece, pos = [], [], -1, a
            for n, piece in enumerate(word.split("-")):
                starts.append(pos)
                ends.append(pos + len(piece))
                if not (_part_ok(piece, False) or (piece.isalpha() and piece.islower())):
                    bad_piece = n
                pos += len(piece) + 1
            info = self._words[a] = (bad_char, starts, ends, bad_piece)
        return info

    def starts_at(self, i: int) -> bool:
        """`parse_author_list(core[i:], relaxed) is not None`, for `i` a glue point."""
        s = bisect.bisect_right(self.starts, i) - 1
        if s < 0 or i >= self.ends[s] or self._last_bad_name() > s:
            return False
        limit, words = self._tail(s)
        if i <= limit:
            return False  # more than five words
        k = next(n for n, (a, e, _) in enumerate(words) if a <= i < e)
        if not all(ok for _, _, ok in words[k + 1 :]):
            return False
        a, e, _ = words[k]
        bad_char, starts, ends, bad_piece = self._word(a, e)
        if i <= bad_char:
            return False
        m = bisect.bisect_right(starts, i) - 1
        return bad_piece <= m and _part_ok(self.core[i : ends[m]], True)


def split_title_authors(line: str) -> tuple[str, list[str], bool, list[str]] | None:
    """Line 2 of an entry -> (title, authors, et_al, affiliations), or None if it does not split.

    The same answer as trying `parse_author_list(body[i:])` at each glue point `i` in turn
    (strict names first, then relaxed ones), in linear time (see `_AuthorSuffixes`)."""
    body, sep, affs = line.rpartition(" · ")
    if not sep:
        body, affs = line, ""
    affiliations = [a.strip() for a in affs.split(",") if a.strip()]
    core, et_al = body, False
    for tail in (" et al.", " et al"):
        if body.endswith(tail):
            core, et_al = body[: -len(tail)], True
            break
    points = _glue_points(body)
    lead = len(body) - len(body.lstrip())  # the title (before i) must not be blank
    for relaxed in (False, True):  # lower-case name words only when nothing else fits
        suffixes = _AuthorSuffixes(core, relaxed)
        for i in points:
            if i > lead and i < len(core) and suffixes.starts_at(i):
                title = " ".join(body[:i].split())
                return title, core[i:].split(", "), et_al, affiliations
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
            source,
            line,
            f"the date in {short(text)} has no year; pass the year the listing was made "
            "(listing_year=...)",
        )
    year = int(m["year"]) if m["year"] else int(listing_year)  # type: ignore[arg-type]
    iso = iso_date(year, month, int(m["day"]))
    if iso is None:
        raise fail(source, line, f"no such date: {short(text)}")
    return category, iso, m["code"] is not None


def read_seed(
    path: Path, source: str, listing_year: int | None = None, slugs: SlugAllocator | None = None
) -> tuple[list[Paper], ReadStats]:
    """Parse a seed listing file. Blank lines between entries, CRLF and a missing final newline
    are fine; anything that breaks the three-line structure is an error naming the line. Ids
    are slugs of the titles, from `slugs` (shared by the files of one corpus) or a new one."""
    entries: list[list[tuple[int, str]]] = []
    for n, raw in iter_lines(path, source, universal=True):
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
                source,
                n,
                f"the entry that starts on line {first} already has its 3 lines (header, "
                f"title+authors, abstract); expected a new header such as {_EXAMPLE}, "
                f"got {short(text)}",
            )
        else:
            entries[-1].append((n, text))
    if not entries:
        raise fail(source, None, "no papers (empty file)")

    papers: list[Paper] = []
    slugs = slugs if slugs is not None else SlugAllocator()
    for entry in entries:
        (hn, header) = entry[0]
        if len(entry) < 3:
            raise fail(
                source,
                hn,
                f"this entry has {len(entry)} line(s) but needs 3 (header, title+authors, "
                "abstract)",
            )
        category, iso, has_code = _parse_header(header, source, hn, listing_year)
        (tn, title_line), (_, abstract) = entry[1], entry[2]
        split = split_title_authors(title_line)
        if split is None:
            raise fail(
                source,
                tn,
                f"cannot tell the title from the authors in {short(title_line, 80)} "
                "(expected the title glued to 'First Last, First Last et al.')",
            )
        title, authors, et_al, affiliations = split
        papers.append(
            Paper(
                id=slugs.allocate(title, abstract),
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
