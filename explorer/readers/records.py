"""Turn one record (a dict from JSON, JSON Lines or a CSV row) into a `Paper`.

One mapper serves every record format. It understands, by the keys it sees:
- generic records: `id`, `title`, `abstract`, optional `authors` (list, or one string separated
  by `,` / `;` / ` and `), `date` or `year`, `categories` (list or space/comma-separated string);
- arXiv's public metadata dump: `authors_parsed` ([[last, first, suffix], ...]) wins over the
  `authors` string, the date is `versions[0].created`, else `update_date`;
- the arxiv-cs-2025 listings: `primary_category` (put first), `listing_date`.
Other scalar fields (`comment`, `label`, `doi`, ...) are kept in `Paper.extra` as strings.
`columns` maps our field names to the file's column names: `{"abstract": "summary"}`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from explorer.papers import ExplorerError, Paper
from explorer.readers.common import SlugAllocator, fail, normalize_date, short

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
_ET_AL = re.compile(r"[\s,]*\bet\.?\s+al\.?$", re.IGNORECASE)


# An "author" made only of these is dropped: arXiv lists collaborations as "NVIDIA, :, A. Name".
_PUNCT = " :;,.-–—"


def _squash(text: str) -> str:
    """`clean_text` without the regex: collapse white space (hot path: 400k author names)."""
    return " ".join(text.split())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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


def split_authors(value: Any) -> tuple[list[str], bool]:
    """Authors from a list (of names or `{"name": ...}`) or a string -> (names, et_al).

    Punctuation-only entries (arXiv's `"NVIDIA", ":", "Aaron Blakeman"`) are dropped.
    """
    if value is None:
        return [], False
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = [n for n in map(_squash, value) if n.strip(_PUNCT)]  # the common case, fast
        if names and names[-1].lower() in ("et al.", "et al", "et. al."):
            return names[:-1], True
        return names, False
    if isinstance(value, str):
        text = _squash(value)
        et_al = bool(_ET_AL.search(text))
        text = _ET_AL.sub("", text)
        parts = _SPLIT_SEMI.split(text) if ";" in text else _SPLIT_COMMA_AND.split(text)
        return [p.strip() for p in parts if p.strip(_PUNCT)], et_al
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        names = []
        for item in value:
            if isinstance(item, Mapping):
                item = item.get("name") or " ".join(
                    str(item[k]) for k in ("first", "last") if item.get(k)
                )
            if item is not None and str(item).strip(_PUNCT):
                names.append(_squash(str(item)))
        et_al = bool(names) and bool(re.fullmatch(r"et\.? al\.?", names[-1], re.IGNORECASE))
        return (names[:-1] if et_al else names), et_al
    return [_squash(str(value))], False


def _parsed_authors(value: Any) -> list[str] | None:
    """arXiv's `authors_parsed` [[last, first, suffix], ...] -> ["First Last Suffix", ...]."""
    if not isinstance(value, list) or not all(isinstance(a, list) for a in value):
        return None
    names = []
    for entry in value:
        last, first, suffix = ([str(x or "") for x in entry] + ["", "", ""])[:3]
        name = _squash(f"{first} {last} {suffix}")
        if name:
            names.append(name)
    return names


def split_list(value: Any) -> list[str]:
    """Categories or affiliations from a list or a space/comma/semicolon-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        sep = r"\s*[;,]\s*" if re.search(r"[;,]", value) else r"\s+"
        return [p for p in re.split(sep, value.strip()) if p]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [s for s in (v.strip() for v in value) if s]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


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

    def __init__(self, source: str, columns: Mapping[str, str]) -> None:
        self.source = source
        self.columns = dict(columns)
        self.seen: dict[str, None] = {}  # every key met so far, in order of appearance
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self.slug_ids: bool | None = None  # decided by the first record
        self.slugs = SlugAllocator()

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
        return ", ".join(self.seen) if self.seen else "none"

    def _missing(self, field: str) -> ExplorerError:
        seen = list(self.seen)
        guess = next((k for n in _SUGGEST.get(field, ()) if (k := _find(seen, n))), "...")
        return fail(
            self.source, None,
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
                    self.source, None,
                    f"no {name!r} column (mapped to {field!r}) (columns: {self._listing()})",
                )

    def _date(self, rec: Mapping[str, Any], col: dict[str, str | None], line: int) -> str | None:
        """A mapped date column, else arXiv's first version date, else a date column, else year."""
        raw: Any = None
        if "date" not in self.columns:
            versions = rec.get("versions")
            if isinstance(versions, list) and versions and isinstance(versions[0], Mapping):
                raw = versions[0].get("created")
        if _blank(raw) and col["date"]:
            raw = rec.get(col["date"])
        if _blank(raw) and col["year"]:
            raw = rec.get(col["year"])
        try:
            return normalize_date(raw)
        except ValueError:
            raise fail(
                self.source, line, f"unrecognised date {short(raw)} (use YYYY-MM-DD or a year)"
            ) from None

    def to_paper(self, rec: Mapping[str, Any], line: int) -> Paper | None:
        """The Paper for one record, or None when it has no abstract (the caller counts it).

        Written with locals and fast paths: it runs 75k times for the arXiv file.
        """
        plan = self._plan(tuple(rec))
        col = plan.col
        abstract = rec.get(col["abstract"]) if col["abstract"] else None
        if abstract is None or (isinstance(abstract, str) and not abstract.strip()):
            return None
        if not isinstance(abstract, str):
            abstract = str(abstract)
            if not abstract.strip():
                return None
        if col["title"] is None:
            if _find(list(self.seen), self.columns.get("title", "title")) is None:
                self.check_columns()  # no title column anywhere: a column-level error
            raise fail(self.source, line, "no title (this record has no title field)")
        title_raw = rec.get(col["title"])
        title = _squash(str(title_raw)) if title_raw is not None else ""
        if not title:
            raise fail(self.source, line, f"no title (the {col['title']!r} field is empty)")
        if self.slug_ids:
            paper_id = self.slugs.allocate(title)
        else:
            raw_id = rec.get(col["id"]) if col["id"] else None
            paper_id = str(raw_id).strip() if raw_id is not None else ""
            if not paper_id:
                raise fail(self.source, line, f"no id (the {col['id'] or 'id'!r} field is empty)")

        parsed = rec.get("authors_parsed")
        authors = _parsed_authors(parsed) if parsed is not None else None
        et_al = False
        if authors is None:
            authors, et_al = split_authors(rec.get(col["authors"]) if col["authors"] else None)
        categories = split_list(rec.get(col["categories"]) if col["categories"] else None)
        primary = rec.get("primary_category")
        if isinstance(primary, str) and primary.strip():
            primary = primary.strip()
            if not categories or categories[0] != primary:
                categories = [primary] + [c for c in categories if c != primary]
        affiliations = split_list(rec.get(col["affiliations"])) if col["affiliations"] else []
        extra = []
        for key in plan.extra_keys:
            value = rec.get(key)
            if value is not None and isinstance(value, (str, int, float, bool)):
                text = str(value)
                if text.strip():
                    extra.append((key, text))
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
            date=self._date(rec, col, line),
            extra=tuple(extra),
        )
