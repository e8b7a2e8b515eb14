r"""Shared helpers for the corpus readers: opening (gzip-aware) and decoding files, one-line
error messages, stable slug ids, and date normalisation.

Every reader reports user mistakes through `fail`, so that all messages share one shape:
`<file>:<line>: <what is wrong>` (or `<file>: ...` when no line applies), on a single line.

Files: only regular files are read (a FIFO, a device such as /dev/stdin or a socket is refused
before it is opened, so that nothing can block). The bytes must be UTF-8 (a UTF-8 byte order
mark is dropped); a UTF-16/UTF-32 byte order mark, a NUL byte or an invalid UTF-8 sequence is an
error naming the line. Lines end at `\n` (JSON Lines, JSON) or at `\n`, `\r\n` or `\r` (CSV,
TSV, seed listings); other characters that `str.splitlines` treats as line breaks (U+2028,
U+2029, U+0085, `\x0b`, `\x0c`, `\x1c`-`\x1e`) never end a line: they are field text.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import stat
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from explorer.papers import ExplorerError
from explorer.readers import limits
from explorer.readers.limits import Inflated

__all__ = [
    "SlugAllocator",
    "check_regular_file",
    "fail",
    "iter_lines",
    "kind_of",
    "normalize_date",
    "read_text",
    "short",
    "slugify",
]

_WS_RUN = re.compile(r"\s+")


def short(value: Any, limit: int = 60) -> str:
    """`repr` of a value for an error message: one line, truncated to about `limit` characters.

    Only the head of a huge value is looked at (a 100 MB field costs nothing), and `repr`
    escapes what a terminal cannot show (control characters, lone surrogates)."""
    if isinstance(value, str):
        text = value[: limit * 4]
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        text = f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    else:
        text = str(value)[: limit * 4]
    text = _WS_RUN.sub(" ", text)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def kind_of(value: Any) -> str:
    """How JSON calls the type of `value`, for error messages: "a string", "null", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    names: dict[type, str] = {list: "a list", str: "a string", dict: "an object"}
    return names.get(type(value), "a value")


_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def fail(source: str, line: int | None, message: str) -> ExplorerError:
    """Build (not raise) the one-line ExplorerError `source:line: message`.

    Line breaks of any kind become spaces, other control characters (say, in a column name)
    their `\\xNN` escape, and a character that cannot be written as UTF-8 (a lone surrogate,
    e.g. from an undecodable file name) its `\\udcxx` escape."""
    where = f"{source}:{line}" if line is not None else source
    text = _LINE_BREAKS.sub(" ", f"{where}: {message}")
    text = _CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}", text)
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return ExplorerError(text)


# --------------------------------------------------------------------------- files and text


def check_regular_file(path: Path, source: str) -> None:
    """Raise unless `path` is an existing regular file (symbolic links followed).

    A FIFO, a character device (`/dev/stdin`, `/dev/zero`) or a socket is refused here, before
    anything opens it: opening a FIFO with no writer would block forever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise fail(source, None, "file not found") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL character in the name
        reason = getattr(e, "strerror", None) or e
        raise fail(source, None, f"cannot read the file ({reason})") from None
    if stat.S_ISDIR(mode):
        raise fail(source, None, "is a directory, not a file")
    if not stat.S_ISREG(mode):
        kinds = (
            (stat.S_ISFIFO, "a FIFO (named pipe)"),
            (stat.S_ISCHR, "a device"),
            (stat.S_ISBLK, "a device"),
            (stat.S_ISSOCK, "a socket"),
        )
        what = next((name for test, name in kinds if test(mode)), "not a plain file")
        raise fail(source, None, f"is not a regular file ({what}); give a file of papers")


@contextmanager
def _open_binary(path: Path, source: str, whole: bool = False) -> Iterator[IO[bytes]]:
    """Open `path` for binary reading, transparently gunzipping `*.gz` as it is read (a gzip
    file that expands like a bomb is refused: `limits`).

    Opened without blocking and checked again on the open descriptor, so that a path swapped
    for a FIFO after `check_regular_file` cannot hang the read either. `whole`: the file is to
    be read at once, and one larger than `limits.TEXT_LIMIT` is refused before it is read."""
    check_regular_file(path, source)
    nonblock = getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise fail(source, None, f"cannot read the file ({e.strerror or e})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise fail(source, None, "is not a regular file; give a file of papers")
        if nonblock:
            os.set_blocking(fd, True)
        if path.suffix.lower() == ".gz":
            with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                bomb = fail(source, None, limits.bomb_message())
                yield Inflated(gz, info.st_size, bomb).stream()
        else:
            if whole and info.st_size > limits.TEXT_LIMIT:
                raise _too_big(source)
            yield fh


def _too_big(source: str) -> ExplorerError:
    return fail(
        source,
        None,
        f"more than {limits.size(limits.TEXT_LIMIT)} of text, too much to read as one "
        "document; give the papers as JSON Lines (.jsonl, one paper a line), read a line "
        "at a time",
    )


def _io_error(source: str, e: Exception) -> ExplorerError:
    """Translate a low-level read error (mostly a broken .gz) into a one-line ExplorerError."""
    if isinstance(e, EOFError):
        return fail(source, None, "the gzip file is truncated (it ends in the middle of the data)")
    if isinstance(e, (gzip.BadGzipFile, zlib.error)):
        return fail(source, None, f"not a valid gzip file ({e})")
    return fail(source, None, f"cannot read the file ({getattr(e, 'strerror', None) or e})")


_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)


def _decode(raw: bytes, source: str, line: int) -> str:
    """Decode UTF-8, naming the line and the offending byte when the text is not UTF-8.

    `raw` starts at line `line`; for a whole file the line of the bad byte is counted. A NUL
    byte is refused too (UTF-8 allows it, but text files of papers never hold one: it means a
    binary or UTF-16 file), and so is a UTF-16 byte order mark at the start of the file.
    """
    if line == 1:
        for bom, name in _BOMS:
            if raw.startswith(bom):
                raise fail(source, 1, f"the file is {name} text; re-save it as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line += raw.count(b"\n", 0, nul)
        raise fail(
            source,
            line,
            "contains a NUL byte (0x00): is it a binary or UTF-16 file? re-save it as UTF-8 text",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = raw[e.start]
        line += raw.count(b"\n", 0, e.start)
        raise fail(
            source, line, f"not UTF-8 text (byte 0x{bad:02x}); re-save the file as UTF-8"
        ) from None


def iter_lines(path: Path, source: str, universal: bool = False) -> Iterator[tuple[int, str]]:
    r"""Yield `(line_number, text)` for each line (1-based, line ending kept), decoded as UTF-8.

    Lines end at `\n`; with `universal` also at a lone `\r` (CSV, TSV and seed listings accept
    `\n`, `\r\n` and `\r`). Nothing else ends a line: U+2028 and friends stay in the text.
    Streams the file, so a 100 MB JSON Lines file is never held in memory at once, nor a line
    longer than `limits.LINE_LIMIT` (an error naming it). A UTF-8 byte order mark at the start
    is dropped.
    """
    try:
        with _open_binary(path, source) as fh:
            for n, piece in enumerate(limits.lines(fh, universal), 1):
                text = _decode(piece, source, n)
                if n == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                yield n, text
    except limits.LineTooLong as e:
        longer = f"a line longer than {limits.size(limits.LINE_LIMIT)}"
        raise fail(source, e.line, longer) from None
    except (OSError, EOFError, zlib.error) as e:
        raise _io_error(source, e) from None


def read_text(path: Path, source: str) -> str:
    """The whole file as text (UTF-8, BOM dropped), for formats that must be parsed at once; one
    of more than `limits.TEXT_LIMIT` (uncompressed) is an error."""
    try:
        with _open_binary(path, source, whole=True) as fh:
            raw = limits.read_whole(fh)
    except (OSError, EOFError, zlib.error) as e:
        raise _io_error(source, e) from None
    if raw is None:
        raise _too_big(source)
    return _decode(raw, source, 1).removeprefix("\ufeff")


_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate(text: str) -> str | None:
    """The first lone UTF-16 surrogate in `text` (from a JSON `\\ud800` escape), or None.

    Python keeps such a code point in a str, but it is not a character and cannot be written
    as UTF-8: a reader refuses it rather than save a corpus that cannot be saved."""
    if text.isascii():
        return None
    m = _SURROGATE.search(text)
    return m[0] if m else None


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
    """Hands out slug ids unique among the files of one `read_corpus` call (one allocator is
    passed to each file's reader): the second `x` becomes `x-2`, then `x-3`. After each file,
    `done(ids)` takes its ids (no later slug is one of them) and remembers its papers: a later
    file's paper with the same title and abstract is the same paper and gets the same slug (a
    duplicate, kept once and reported). Within one file a title again is a new slug, as ever."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._earlier: dict[tuple[str, str], str] = {}  # earlier files: (title, abstract) -> slug
        self._this: dict[tuple[str, str], str] = {}  # the same, for the file being read

    def done(self, ids: Iterable[str]) -> None:
        """A file is read: `ids` are taken, and its papers known to the files after it."""
        self._used.update(ids)
        for pair, slug in self._this.items():
            self._earlier.setdefault(pair, slug)
        self._this.clear()

    def allocate(self, title: str, abstract: str | None = None) -> str:
        if abstract is not None and (slug := self._earlier.get((title, abstract))) is not None:
            return slug
        base = slugify(title)
        slug, n = base, 1
        while slug in self._used:
            n += 1
            slug = f"{base}-{n}"
        self._used.add(slug)
        if abstract is not None:
            self._this.setdefault((title, abstract), slug)
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
    """`YYYY-MM-DD`, or None when the day does not exist (Feb 30) or the year is not 1000-9999."""
    if not 1000 <= year <= 9999:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _year(digits: str) -> str | None:
    """`"2021"` -> "2021"; None outside 1000-9999. Other scripts' digits (`"٢٠٢١"`, which
    `\\d` matches) are written in ASCII, as the full dates already were."""
    year = int(digits)
    return f"{year:04d}" if 1000 <= year <= 9999 else None


def normalize_date(value: Any) -> str | None:
    """ISO `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`) from a date value; None when blank (see
    `_normalize_date`).

    Strings are cached: a corpus repeats a few hundred listing dates tens of thousands of times.
    """
    if isinstance(value, str):
        return _normalize_date_str(value)
    return _normalize_date(value)


@lru_cache(maxsize=16384)
def _normalize_date_str(value: str) -> str | None:
    return _normalize_date(value)


def _normalize_date(value: Any) -> str | None:
    """ISO `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`) from the date shapes metadata files use; None
    when blank.

    Accepts ISO dates and date-times, `YYYY/MM/DD`, a bare year (str or int), `YYYY-MM` (kept as
    the month: `Paper.date` is a day, a month or a year), RFC 2822 (`Mon, 2 Apr 2007 19:18:42
    GMT`, arXiv's version dates), `2 Apr 2007` and `Apr 2, 2007`. Raises ValueError for anything
    else.
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
    result: str | None = None
    if re.fullmatch(r"\d{4}", text):
        result = _year(text)
    elif m := _ISO.fullmatch(text):
        result = iso_date(int(m[1]), int(m[2]), int(m[3]))
    elif m := _YEAR_MONTH.fullmatch(text):
        year = _year(m[1])
        result = f"{year}-{int(m[2]):02d}" if year and 1 <= int(m[2]) <= 12 else None
    elif m := _DAY_MONTH_YEAR.fullmatch(text):
        month = month_number(m[2])
        result = iso_date(int(m[3]), month, int(m[1])) if month else None
    elif m := _MONTH_DAY_YEAR.fullmatch(text):
        month = month_number(m[1])
        result = iso_date(int(m[3]), month, int(m[2])) if month else None
    if result is None:
        raise ValueError(value)
    return result
