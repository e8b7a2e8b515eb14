"""Turn one record (a dict from JSON, JSON Lines or a CSV row) into a `Paper`.

One mapper serves every record format. It understands, by the keys it sees:
- generic records: `id`, `title`, `abstract`, optional `authors` (list, or one string separated
  by `,` / `;` / ` and `), `date` or `year`, `categories` (list or space/comma-separated string);
- arXiv's public metadata dump: `authors_parsed` ([[last, first, suffix], ...]) wins over the
  `authors` string, the date is `versions[0].created`, else `update_date`;
- the arxiv-cs-2025 listings: `primary_category` (put first), `listing_date`.
Other scalar fields (`comment`, `label`, `doi`, ...) are kept in `Paper.extra` as strings (a
number or true/false as JSON writes it). Every field has a type rule (the table is in
`explorer.readers`): a value of another type is an error naming the file, line and field.
`columns` maps our field names to the file's column names: `{"abstract": "summary"}`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from explorer import ids
from explorer.papers import ExplorerError, Paper
from explorer.readers.common import (
    SlugAllocator,
    fail,
    kind_of,
    normalize_date,
    short,
    surrogate,
)

FIELDS = ("id", "title", "abstract", "authors", "affiliations", "categories", "date", "year")
# Default column names per field, in order of preference.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "title": ("title",),
    "abstract": ("abstract",),
    "authors": ("authors",),
    "affiliations": ("affiliations",),
    "categories": ("categories",),
    "date": ("date", "listing_date", "published", "update_date"),
    "year": ("year",),
}
# Keys that the format-aware code consumes itself (never copied into `extra`).
SPECIAL_KEYS = ("authors_parsed", "versions", "primary_category", "update_date")
# Likely columns to suggest when a required one is missing.
_SUGGEST = {
    "abstract": ("summary", "description", "text", "body", "content"),
    "title": ("name", "paper_title", "headline", "heading"),
}
_SPLIT_SEMI = re.compile(r"\s*;\s*")
_SPLIT_COMMA_AND = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_ET_AL = re.compile(r"\bet\.?\s+al\.?$", re.IGNORECASE)
_ET_AL_NAME = re.compile(r"et\.? al\.?", re.IGNORECASE)


def _strip_et_al(text: str) -> tuple[str, bool]:
    """`"A, B, et al."` -> ("A, B", True), for white-space-squashed text.

    Linear on any input: the old `[\\s,]*\\bet...$` search backtracked quadratically on a long
    run of commas. Only the last 8 characters can hold `et. al.`; the separators before it are
    stripped by hand."""
    m = _ET_AL.search(text, max(0, len(text) - 8))
    if m is None:
        return text, False
    i = m.start()
    while i and (text[i - 1] == "," or text[i - 1].isspace()):
        i -= 1
    return text[:i], True


# An "author" made only of these is dropped: arXiv lists collaborations as "NVIDIA, :, A. Name".
_PUNCT = " :;,.-–—"


def _squash(text: str) -> str:
    """`clean_text` without the regex: collapse white space (hot path: 400k author names)."""
    return " ".join(text.split())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# How exports spell a missing date: Python's str(None), pandas' NaN and NaT, SQL's NULL. The
# same spellings pandas' readers take as missing; a date holds no other word.
_NO_DATE = frozenset({"none", "null", "nan", "nat", "n/a", "na"})


def _no_date(value: Any) -> bool:
    return _blank(value) or (isinstance(value, str) and value.strip().casefold() in _NO_DATE)


def check_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Validate a `columns` mapping (our field -> the file's column)."""
    columns = dict(columns or {})
    for ours, theirs in columns.items():
        if ours not in FIELDS:
            close = difflib.get_close_matches(ours, FIELDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ExplorerError(
                f"columns: unknown field {ours!r} ({hint}fields: {', '.join(FIELDS)})"
            )
        if not isinstance(theirs, str) or not theirs:
            raise ExplorerError(f"columns: the column for {ours!r} must be a non-empty name")
    return columns


def _find(keys: list[str], name: str) -> str | None:
    """The key called `name`, matched exactly or else case-insensitively (`Title`)."""
    if name in keys:
        return name
    lowered = [k for k in keys if k.lower() == name.lower()]
    return lowered[0] if len(lowered) == 1 else None


class WrongType(Exception):
    """A field value of the wrong JSON type: `want` says what it must be (caught by the mapper,
    which names the file, line and field)."""

    def __init__(self, want: str, value: Any) -> None:
        super().__init__(want)
        self.want, self.value = want, value


def _shown(value: Any) -> str:
    """A wrongly typed value for an error message: its JSON type, then the value as JSON writes
    it (a string quoted, anything long cut): `a list ["a", "b"]`, `a number 1.5`, `true`."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return f"a string {short(value)}"
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (ValueError, TypeError, RecursionError):
        text = "..."
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{kind_of(value)} {text}"


_AUTHORS_WANT = 'a list of names (strings or {"name": ...} objects) or one string'
_LIST_WANT = "a list of strings or one string"
_LIST_SEP = re.compile("[;,]")
_DATE_WANT = "a date string or a year"
_VERSIONS_WANT = 'a list of {"created": date string} objects'
# Ids are printed one a line and passed on command lines: no control characters or line breaks.
_ID_BAD = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]")


def _author_name(item: Any) -> str:
    """One entry of an author list: a string, or an object with `name` or `first`/`last`."""
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        parts = [item.get(k) for k in ("name", "first", "last")]
        if not all(p is None or isinstance(p, str) for p in parts):
            raise WrongType(_AUTHORS_WANT, item)
        name, first, last = parts
        return name or " ".join(p for p in (first, last) if p)
    raise WrongType(_AUTHORS_WANT, item)


def split_authors(value: Any) -> tuple[list[str], bool]:
    """Authors from a list (of names or `{"name": ...}`) or a string -> (names, et_al).

    Punctuation-only entries (arXiv's `"NVIDIA", ":", "Aaron Blakeman"`) are dropped. Raises
    `WrongType` for anything else (a number, an object, a list holding numbers or null).
    """
    if value is None:
        return [], False
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):  # the common case, fast
            names = [n for n in map(_squash, value) if n.strip(_PUNCT)]
        else:
            names = [n for n in (_squash(_author_name(v)) for v in value) if n.strip(_PUNCT)]
        if names and _ET_AL_NAME.fullmatch(names[-1]):
            return names[:-1], True
        return names, False
    if isinstance(value, str):
        text, et_al = _strip_et_al(_squash(value))
        parts = _SPLIT_SEMI.split(text) if ";" in text else _SPLIT_COMMA_AND.split(text)
        return [p.strip() for p in parts if p.strip(_PUNCT)], et_al
    raise WrongType(_AUTHORS_WANT, value)


_PARSED_WANT = "a list of [last, first, suffix] lists of strings"


def _parsed_authors(value: Any) -> list[str]:
    """arXiv's `authors_parsed` [[last, first, suffix], ...] -> ["First Last Suffix", ...]."""
    if not isinstance(value, list):
        raise WrongType(_PARSED_WANT, value)
    names = []
    for entry in value:
        if not isinstance(entry, list) or not all(x is None or isinstance(x, str) for x in entry):
            raise WrongType(_PARSED_WANT, value)
        last, first, suffix = ([x or "" for x in entry] + ["", "", ""])[:3]
        name = _squash(f"{first} {last} {suffix}")
        if name:
            names.append(name)
    return names


def split_list(value: Any) -> list[str]:
    """Categories or affiliations from a list of strings or a space/comma/semicolon-separated
    string; raises `WrongType` for anything else."""
    if value is None:
        return []
    if isinstance(value, str):
        if ";" in value or "," in value:  # str.strip, not `\\s*[;,]\\s*`: linear on any input
            return [p for p in (q.strip() for q in _LIST_SEP.split(value)) if p]
        return value.split()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [s for s in (v.strip() for v in value) if s]
    raise WrongType(_LIST_WANT, value)


class _Plan:
    """Which key holds each field, and which keys go to `extra`, for one set of record keys."""

    __slots__ = ("col", "extra_keys")

    def __init__(self, keys: list[str], columns: Mapping[str, str]) -> None:
        self.col: dict[str, str | None] = {}
        for field in FIELDS:
            names = (columns[field],) if field in columns else DEFAULT_COLUMNS[field]
            self.col[field] = next((k for n in names if (k := _find(keys, n))), None)
        used = {c for c in self.col.values() if c}
        self.extra_keys = [k for k in keys if k not in used and k not in SPECIAL_KEYS]


class RecordMapper:
    """Maps the records of one file to Papers.

    JSON records need not all have the same keys (optional fields are often left out), so the
    columns are resolved per distinct key set (cached: a file has few shapes). The id policy is
    fixed by the first record: no id column there means every paper gets a slug of its title.
    Column-level mistakes (no title or abstract column anywhere, a mapped column that never
    occurs) name the file and list the columns that do exist.
    """

    def __init__(
        self, source: str, columns: Mapping[str, str], slugs: SlugAllocator | None = None
    ) -> None:
        self.source = source
        self.columns = dict(columns)
        self.seen: dict[str, None] = {}  # every key met so far, in order of appearance
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self.slug_ids: bool | None = None  # decided by the first record
        self.slugs = slugs if slugs is not None else SlugAllocator()  # shared across files
        self.dates_from_ids = 0  # papers dated by their arXiv id's month

    def _plan(self, keys: tuple[str, ...]) -> _Plan:
        plan = self._plans.get(keys)
        if plan is None:
            names = [str(k) for k in keys]
            self.seen.update(dict.fromkeys(names))
            plan = self._plans[keys] = _Plan(names, self.columns)
            if self.slug_ids is None:
                self.slug_ids = plan.col["id"] is None
        return plan

    def _listing(self) -> str:
        """The columns seen, for a message: the first 20 (a file may have thousands)."""
        if not self.seen:
            return "none"
        names = [k if len(k) <= 40 else k[:37] + "..." for k in list(self.seen)[:20]]
        more = len(self.seen) - len(names)
        return ", ".join(names) + (f", ... ({len(self.seen)} in all)" if more else "")

    def _missing(self, field: str) -> ExplorerError:
        seen = list(self.seen)
        guess = next((k for n in _SUGGEST.get(field, ()) if (k := _find(seen, n))), "...")
        return fail(
            self.source,
            None,
            f"no {field!r} column (columns: {self._listing()}); map one with "
            f"columns={{{field!r}: ...}} / --column {field}={guess}",
        )

    def check_columns(self, keys: Iterable[str] | None = None) -> None:
        """Raise if no key seen so far (plus `keys`, e.g. a CSV header) holds a required or a
        mapped field. Readers call it with the header (CSV) or at the end of the file (JSON)."""
        if keys is not None:
            self._plan(tuple(keys))
        seen = list(self.seen)
        for field in ("abstract", "title"):
            name = self.columns.get(field, field)
            if _find(seen, name) is None:
                if field in self.columns:
                    break  # reported below, naming the mapped column
                raise self._missing(field)
        for field, name in self.columns.items():
            if _find(seen, name) is None:
                raise fail(
                    self.source,
                    None,
                    f"no {name!r} column (mapped to {field!r}) (columns: {self._listing()})",
                )

    def _wrong(self, line: int, key: str, e: WrongType) -> ExplorerError:
        return fail(self.source, line, f"the {key!r} field must be {e.want}, got {_shown(e.value)}")

    def _text(self, line: int, key: str, value: str) -> str:
        """`value`, unless it holds a lone surrogate (a JSON `\\ud800` escape): then an error."""
        bad = surrogate(value)
        if bad is not None:
            raise fail(
                self.source,
                line,
                f"the {key!r} field holds a lone UTF-16 surrogate ({bad!r}), which is not a "
                "character (a \\uXXXX escape cut from its pair?); fix the text",
            )
        return value

    def _date(
        self, rec: Mapping[str, Any], col: dict[str, str | None], line: int, paper_id: str
    ) -> str | None:
        """A mapped date column, else arXiv's first version date, else a date column, else year,
        else the month of an arXiv id (counted in `dates_from_ids`).

        Every source present is type-checked, also one that a better source overrides."""
        raw: Any = None
        key = "date"
        versions = rec.get("versions")
        if versions is not None:
            first = versions[0] if isinstance(versions, list) and versions else {}
            created = first.get("created") if isinstance(first, Mapping) else first
            if not isinstance(versions, list) or not isinstance(created, (str, type(None))):
                raise self._wrong(line, "versions", WrongType(_VERSIONS_WANT, versions))
            if "date" not in self.columns:
                raw, key = created, "versions"
        for field in ("date", "year"):
            name = col[field]
            if name is None:
                continue
            value = rec.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (str, int, float))
            ):
                raise self._wrong(line, name, WrongType(_DATE_WANT, value))
            if _no_date(raw):
                raw, key = (None if _no_date(value) else value), name
        try:
            date = normalize_date(raw)
        except ValueError:
            raise fail(
                self.source,
                line,
                f"unrecognised date {short(raw)} in the {key!r} field (use YYYY-MM-DD or a year)",
            ) from None
        if date is None and not self.slug_ids:
            date = ids.month(paper_id)
            if date is not None:
                self.dates_from_ids += 1
        return date

    def _id(
        self, rec: Mapping[str, Any], col: dict[str, str | None], line: int, title: str, body: str
    ) -> str:
        """The paper id: the record's (a string or an integer), or a slug of the title when the
        file has no id column (decided by the first record; mixing the two is an error; the same
        title and abstract `body` again is the same slug)."""
        key = col["id"]
        if self.slug_ids:
            if key is not None and rec.get(key) is not None:
                raise fail(
                    self.source,
                    line,
                    f"this record has an id (the {key!r} field) but the first record has none; "
                    "give every record an id, or none (ids are then made from the titles)",
                )
            return self.slugs.allocate(title, body)
        name = key or self.columns.get("id", "id")
        if key is None:
            raise fail(self.source, line, f"no id (this record has no {name!r} field)")
        raw = rec.get(key)
        if raw is None:
            raise fail(self.source, line, f"no id (the {name!r} field is null)")
        if isinstance(raw, str):
            paper_id = raw.strip()
        elif isinstance(raw, int) and not isinstance(raw, bool):
            paper_id = str(raw)
        else:
            raise self._wrong(line, name, WrongType("a string or an integer", raw))
        if not paper_id:
            raise fail(self.source, line, f"no id (the {name!r} field is empty)")
        if _ID_BAD.search(paper_id):
            raise fail(
                self.source,
                line,
                f"the id {short(paper_id)} (the {name!r} field) holds a control character or a "
                "line break",
            )
        return paper_id

    def to_paper(self, rec: Mapping[str, Any], line: int) -> Paper | None:
        """The Paper for one record, or None when it has no abstract (the caller counts it).

        Every field is type-checked (the rules are in `explorer.readers`); a value of the wrong
        type is an error naming the file, the line and the field, never converted with `str`.
        Written with locals and fast paths: it runs 75k times for the arXiv file.
        """
        plan = self._plan(tuple(rec))
        col = plan.col
        key = col["abstract"]
        abstract = rec.get(key) if key else None
        if abstract is None or (isinstance(abstract, str) and not abstract.strip()):
            return None
        if not isinstance(abstract, str):
            raise self._wrong(line, key, WrongType("a string", abstract))  # type: ignore[arg-type]
        key = col["title"]
        if key is None:
            if _find(list(self.seen), self.columns.get("title", "title")) is None:
                self.check_columns()  # no title column anywhere: a column-level error
            raise fail(self.source, line, "no title (this record has no title field)")
        title_raw = rec.get(key)
        if title_raw is not None and not isinstance(title_raw, str):
            raise self._wrong(line, key, WrongType("a string", title_raw))
        title = _squash(title_raw) if title_raw is not None else ""
        if not title:
            raise fail(self.source, line, f"no title (the {key!r} field is empty)")
        self._text(line, key, title)  # before a slug is made of it
        paper_id = self._id(rec, col, line, title, abstract)

        key = "authors_parsed"
        try:
            parsed = rec.get(key)
            authors = _parsed_authors(parsed) if parsed is not None else None
            et_al = False
            key = col["authors"] or "authors"
            listed = rec.get(key) if col["authors"] else None
            if authors is None:
                authors, et_al = split_authors(listed)
            elif not isinstance(listed, str) and listed is not None:
                split_authors(listed)  # unused (authors_parsed wins), but type-checked
            key = col["categories"] or "categories"
            categories = split_list(rec.get(key) if col["categories"] else None)
            key = col["affiliations"] or "affiliations"
            affiliations = split_list(rec.get(key)) if col["affiliations"] else []
        except WrongType as e:
            raise self._wrong(line, key, e) from None
        primary = rec.get("primary_category")
        if isinstance(primary, str) and primary.strip():
            primary = primary.strip()
            if not categories or categories[0] != primary:
                categories = [primary] + [c for c in categories if c != primary]
        elif primary is not None and not isinstance(primary, str):
            raise self._wrong(line, "primary_category", WrongType("a string", primary))
        extra = []
        for key in plan.extra_keys:
            value = rec.get(key)
            if value is not None and isinstance(value, (str, int, float, bool)):
                # as written in the file: true, not Python's True
                text = value if isinstance(value, str) else json.dumps(value)
                if text.strip():
                    extra.append((key, text))
        kept = (abstract, title, paper_id, *authors, *categories, *affiliations)
        if surrogate("\x00".join(kept)) or (
            extra and surrogate("\x00".join(k + "\x00" + v for k, v in extra))
        ):
            # one look at every kept string; then, rarely, name the field
            named = [
                (col["abstract"], (abstract,)),
                (col["title"], (title,)),
                (col["id"], (paper_id,)),
                ("authors_parsed" if parsed is not None else col["authors"], authors),
                (col["categories"] or "primary_category", categories),
                (col["affiliations"], affiliations),
                *((k, (k, v)) for k, v in extra),
            ]
            for key, values in named:
                for value in values:
                    self._text(line, key or "?", value)
        if len(extra) > 1:
            extra.sort()
        return Paper(
            id=paper_id,
            title=title,
            abstract=abstract,
            authors=tuple(authors),
            et_al=et_al,
            affiliations=tuple(affiliations),
            categories=tuple(categories),
            date=self._date(rec, col, line, paper_id),
            extra=tuple(extra),
        )
