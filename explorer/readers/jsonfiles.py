"""Readers for JSON Lines (`.jsonl`, `.ndjson`, arXiv's metadata dump) and JSON (`.json`).

JSON Lines is streamed line by line, so the line of a bad record is known exactly. A `.json`
file (an array of objects, or an object with the list under `"papers"`) is walked element by
element with `JSONDecoder.raw_decode`, so that its errors can name a line too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

from explorer.papers import Paper, ReadStats
from explorer.readers.common import SlugAllocator, fail, iter_lines, kind_of, read_text
from explorer.readers.records import RecordMapper

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
Walk = Generator[tuple[int, Any], None, int]


def _collect(
    records: Any, source: str, columns: Mapping[str, str], per: str, slugs: SlugAllocator | None
) -> tuple[list[Paper], ReadStats]:
    """Map `(line, record)` pairs to Papers, then check that the needed columns occurred."""
    papers: list[Paper] = []
    stats = ReadStats()
    mapper = RecordMapper(source, columns, slugs)
    for line, rec in records:
        if not isinstance(rec, dict):
            hint = " (a JSON array belongs in a .json file)" if isinstance(rec, list) else ""
            raise fail(source, line, f"expected a JSON object {per}, got {kind_of(rec)}{hint}")
        stats.rows += 1
        paper = mapper.to_paper(rec, line)
        if paper is None:
            stats.skipped_no_abstract += 1
        else:
            papers.append(paper)
    if stats.rows:
        mapper.check_columns()
    stats.dates_from_ids = mapper.dates_from_ids
    return papers, stats


def read_jsonl(
    path: Path, source: str, columns: Mapping[str, str], slugs: SlugAllocator | None = None
) -> tuple[list[Paper], ReadStats]:
    """One JSON object per line; blank lines are ignored. `slugs`: the ids made from titles
    (for a file without ids), shared by the files of one corpus."""

    def records():
        for n, text in iter_lines(path, source):
            if not text.strip():
                continue
            try:
                yield n, json.loads(text.rstrip("\r\n"))
            except json.JSONDecodeError as e:
                hint = ""
                if text.strip() in ("[", "{"):
                    hint = "; is this a pretty-printed .json file? name it .json or pass fmt='json'"
                message = f"not valid JSON ({e.msg} at column {e.colno}){hint}"
                raise fail(source, n, message) from None
            except (RecursionError, ValueError) as e:
                raise fail(source, n, _beyond(e)) from None

    papers, stats = _collect(records(), source, columns, "per line", slugs)
    if stats.rows == 0:
        raise fail(source, None, "no papers (empty file)")
    return papers, stats


def _beyond(e: Exception) -> str:
    """The message for JSON that `json` parses but Python cannot hold: lists or objects nested
    too deeply (RecursionError) or an integer of more than 4,300 digits (ValueError)."""
    if isinstance(e, RecursionError):
        return "JSON that cannot be read: lists or objects nested too deeply"
    return "JSON that cannot be read: an integer with more than 4,300 digits"


def _value(text: str, i: int, lines: _Lines, source: str) -> tuple[Any, int]:
    """`raw_decode` at `i`, with the limits of `_beyond` reported on the value's line."""
    try:
        return _DECODER.raw_decode(text, i)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as e:
        raise fail(source, lines.at(i), _beyond(e)) from None


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _syntax(text: str, i: int, msg: str) -> json.JSONDecodeError:
    return json.JSONDecodeError(msg, text, i)


class _Lines:
    """Line number of a position in `text`, counted incrementally (positions only increase)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, i: int) -> int:
        self.line += self.text.count("\n", self.pos, i)
        self.pos = i
        return self.line


def _walk_array(text: str, i: int, lines: _Lines, source: str) -> Walk:
    """Yield `(line, element)` of the array that starts at `text[i] == '['`; return its end."""
    i = _skip(text, i + 1)
    if text.startswith("]", i):
        return i + 1
    while True:
        line = lines.at(i)
        value, i = _value(text, i, lines, source)
        yield line, value
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
        elif text.startswith("]", i):
            return i + 1
        else:
            raise _syntax(text, i, "Expecting ',' delimiter")


def _walk_object(text: str, i: int, lines: _Lines, source: str) -> Walk:
    """Yield the papers listed under the `"papers"` key of the object at `text[i] == '{'`."""
    keys: list[str] = []
    found = False
    i = _skip(text, i + 1)
    while not text.startswith("}", i):
        if not text.startswith('"', i):
            raise _syntax(text, i, "Expecting property name enclosed in double quotes")
        key, i = _value(text, i, lines, source)
        keys.append(key)
        i = _skip(text, i)
        if not text.startswith(":", i):
            raise _syntax(text, i, "Expecting ':' delimiter")
        i = _skip(text, i + 1)
        if key == "papers" and text.startswith("[", i):
            i = yield from _walk_array(text, i, lines, source)
            found = True
        else:
            _, i = _value(text, i, lines, source)
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
        elif not text.startswith("}", i):
            raise _syntax(text, i, "Expecting ',' delimiter")
    if not found:
        raise fail(
            source,
            None,
            'expected a JSON array of papers or an object with a "papers" list '
            f"(keys: {', '.join(keys) or 'none'})",
        )
    return i + 1


def read_json(
    path: Path, source: str, columns: Mapping[str, str], slugs: SlugAllocator | None = None
) -> tuple[list[Paper], ReadStats]:
    """A JSON array of paper objects, or `{"papers": [...], ...}` (`slugs`: as `read_jsonl`)."""
    text = read_text(path, source)
    start = _skip(text, 0)
    if start == len(text):
        raise fail(source, None, "no papers (empty file)")

    def records():
        lines = _Lines(text)
        if text.startswith("[", start):
            end = yield from _walk_array(text, start, lines, source)
        elif text.startswith("{", start):
            end = yield from _walk_object(text, start, lines, source)
        else:
            raise fail(
                source,
                lines.at(start),
                'expected a JSON array of papers or an object with a "papers" list',
            )
        end = _skip(text, end)
        if end != len(text):
            raise _syntax(text, end, "Extra data")

    try:
        papers, stats = _collect(records(), source, columns, "for each paper", slugs)
    except json.JSONDecodeError as e:
        raise fail(source, e.lineno, f"not valid JSON ({e.msg} at column {e.colno})") from None
    if stats.rows == 0:
        raise fail(source, None, "no papers (the list is empty)")
    return papers, stats
