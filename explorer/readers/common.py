"""Shared helpers for the corpus readers: opening (gzip-aware) and decoding files, one-line
error messages, stable slug ids, and date normalisation.

Every reader reports user mistakes through `fail`, so that all messages share one shape:
`<file>:<line>: <what is wrong>` (or `<file>: ...` when no line applies), on a single line.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from explorer.papers import ExplorerError

__all__ = [
    "SlugAllocator",
    "fail",
    "iter_lines",
    "normalize_date",
    "read_text",
    "short",
    "slugify",
]


def short(value: Any, limit: int = 60) -> str:
    """`repr` of a value for an error message: one line, truncated to about `limit` characters."""
    text = value if isinstance(value, str) else str(value)
    text = re.sub(r"\s+", " ", text)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def fail(source: str, line: int | None, message: str) -> ExplorerError:
    """Build (not raise) the one-line ExplorerError `source:line: message`."""
    message = re.sub(r"[\r\n]+", " ", message)
    where = f"{source}:{line}" if line is not None else source
    return ExplorerError(f"{where}: {message}")


# --------------------------------------------------------------------------- files and text


def _open_binary(path: Path, source: str) -> IO[bytes]:
    """Open `path` for binary reading, transparently gunzipping `*.gz`."""
    if not path.exists():
        raise fail(source, None, "file not found")
    if path.is_dir():
        raise fail(source, None, "is a directory, not a file")
    try:
        if path.suffix.lower() == ".gz":
            return gzip.open(path, "rb")
        return open(path, "rb")
    except OSError as e:
        raise fail(source, None, f"cannot read the file ({e.strerror or e})") from None


def _io_error(source: str, e: Exception) -> ExplorerError:
    """Translate a low-level read error (mostly a broken .gz) into a one-line ExplorerError."""
    if isinstance(e, EOFError):
        return fail(source, None, "the gzip file is truncated (it ends in the middle of the data)")
    if isinstance(e, (gzip.BadGzipFile, zlib.error)):
        return fail(source, None, f"not a valid gzip file ({e})")
    return fail(source, None, f"cannot read the file ({getattr(e, 'strerror', None) or e})")


def _decode(raw: bytes, source: str, line: int) -> str:
    """Decode UTF-8, naming the line and the offending byte when the text is not UTF-8.

    `raw` starts at line `line`; for a whole file the line of the bad byte is counted.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = raw[e.start]
        line += raw.count(b"\n", 0, e.start)
        raise fail(
            source, line, f"not UTF-8 text (byte 0x{bad:02x}); re-save the file as UTF-8"
        ) from None


def iter_lines(path: Path, source: str) -> Iterator[tuple[int, str]]:
    """Yield `(line_number, text)` for each line (1-based, line ending kept), decoded as UTF-8.

    Streams the file, so a 100 MB JSON Lines file is never held in memory at once. A UTF-8 byte
    order mark at the start is dropped.
    """
    fh = _open_binary(path, source)
    try:
        with fh:
            for n, raw in enumerate(fh, 1):
                text = _decode(raw, source, n)
                if n == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                yield n, text
    except (OSError, EOFError, zlib.error) as e:
        raise _io_error(source, e) from None


def read_text(path: Path, source: str) -> str:
    """The whole file as text (UTF-8, BOM dropped), for formats that must be parsed at once."""
    fh = _open_binary(path, source)
    try:
        with fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as e:
        raise _io_error(source, e) from None
    text = _decode(raw, source, 1)
    return text[1:] if text.startswith("\ufeff") else text


# --------------------------------------------------------------------------- slug ids

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(title: str, words: int = 6) -> str:
    """A stable, readable id from a title: ASCII-folded, lowercase, the first `words` words.

    `"Gemma 2: Improving Open Language Models at a Practical Size"` ->
    `"gemma-2-improving-open-language-models"`. Hyphens and slashes separate words
    (`"Decoding-time"` -> `"decoding-time"`); other non-alphanumerics are dropped (`"Who's"` ->
    `"whos"`). A title with no Latin letters or digits gets `paper-<hash>`.
    """
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words_ = folded.lower().replace("-", " ").replace("/", " ").split()
    parts = [_NON_ALNUM.sub("", w) for w in words_]
    parts = [p for p in parts if p]
    if not parts:
        return "paper-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:10]
    return "-".join(parts[:words])


class SlugAllocator:
    """Hands out slug ids unique within one file: the second `x` becomes `x-2`, then `x-3`."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def allocate(self, title: str) -> str:
        base = slugify(title)
        slug, n = base, 1
        while slug in self._used:
            n += 1
            slug = f"{base}-{n}"
        self._used.add(slug)
        return slug


# --------------------------------------------------------------------------- dates

_MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_DAY_MONTH_YEAR = re.compile(
    r"(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})(?:\s.*)?"
)
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})")


def month_number(name: str) -> int | None:
    """1..12 for an English month name or abbreviation (`Jul`, `July`, `Sept`), else None."""
    low = name.lower().rstrip(".")
    if len(low) < 3:
        return None
    for i, full in enumerate(_MONTH_NAMES, 1):
        if full.startswith(low) or (low == "sept" and i == 9):
            return i
    return None


def iso_date(year: int, month: int, day: int) -> str | None:
    """`YYYY-MM-DD`, or None when the day does not exist (Feb 30)."""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def normalize_date(value: Any) -> str | None:
    """ISO `YYYY-MM-DD` (or `YYYY`) from a date value; None when blank (see `_normalize_date`).

    Strings are cached: a corpus repeats a few hundred listing dates tens of thousands of times.
    """
    if isinstance(value, str):
        return _normalize_date_str(value)
    return _normalize_date(value)


@lru_cache(maxsize=16384)
def _normalize_date_str(value: str) -> str | None:
    return _normalize_date(value)


def _normalize_date(value: Any) -> str | None:
    """ISO `YYYY-MM-DD` (or `YYYY`) from the date shapes metadata files use; None when blank.

    Accepts ISO dates and date-times, `YYYY/MM/DD`, a bare year (str or int), `YYYY-MM` (kept as
    the year: `Paper.date` is a day or a year), RFC 2822 (`Mon, 2 Apr 2007 19:18:42 GMT`, arXiv's
    version dates), `2 Apr 2007` and `Apr 2, 2007`. Raises ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        if 1000 <= int(value) <= 9999:
            return f"{int(value):04d}"
        raise ValueError(value)
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}", text):
        return text
    result: str | None = None
    if m := _ISO.fullmatch(text):
        result = iso_date(int(m[1]), int(m[2]), int(m[3]))
    elif m := _YEAR_MONTH.fullmatch(text):
        result = m[1] if 1 <= int(m[2]) <= 12 else None
    elif m := _DAY_MONTH_YEAR.fullmatch(text):
        month = month_number(m[2])
        result = iso_date(int(m[3]), month, int(m[1])) if month else None
    elif m := _MONTH_DAY_YEAR.fullmatch(text):
        month = month_number(m[1])
        result = iso_date(int(m[3]), month, int(m[2])) if month else None
    if result is None:
        raise ValueError(value)
    return result
