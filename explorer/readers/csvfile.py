r"""Reader for CSV and TSV files (the `csv` module; quoted fields may span lines).

The first row is the header. The delimiter is the one the header line uses most among `,`, `;`
and tab (spreadsheets in many locales write `;`), so a `.csv` that is really a TSV still reads.
Error line numbers are physical lines: the line on which the bad record starts.

Records end at `\n`, `\r\n` or `\r` outside quotes, nowhere else: U+2028, U+2029, U+0085,
`\x0b`, `\x0c` and `\x1c`-`\x1e` are field text (`str.splitlines` would split there). Quoting
is strict: a quote must be followed by the delimiter or the end of the line (`"a"b` is an error,
not the field `ab`), and a quoted field still open at the end of the file is an error. A field
may hold up to 16 MiB; a row must have as many fields as the header.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Mapping
from pathlib import Path

from explorer.papers import Paper, ReadStats
from explorer.readers.common import SlugAllocator, fail, iter_lines
from explorer.readers.records import RecordMapper

_FIELD_LIMIT = 1 << 24  # abstracts are long; the csv module's default limit is 128 KiB


def _delimiter(first_line: str, default: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts.get(default, 0) else default


def _csv_problem(message: str) -> str:
    """A csv.Error as a sentence that says what to fix."""
    if message.startswith("unexpected end of data"):
        return (
            "not valid CSV (a quoted field of the record that starts here is never closed: "
            "a '\"' is missing)"
        )
    if "expected after" in message:
        return (
            "not valid CSV (text after a closing quote; a field is either quoted whole, or a "
            f"'\"' inside it is written '\"\"'): {message}"
        )
    if message.startswith("field larger than field limit"):
        return f"not valid CSV (a field longer than {csv.field_size_limit():,} characters)"
    return f"not valid CSV ({message})"


def _blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def read_csv(
    path: Path,
    source: str,
    columns: Mapping[str, str],
    default_delimiter: str = ",",
    slugs: SlugAllocator | None = None,
) -> tuple[list[Paper], ReadStats]:
    """Read a CSV/TSV with a header row; returns the papers and what was skipped. `slugs`: the
    ids made from titles (for a file without ids), shared by the files of one corpus."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    lines = iter_lines(path, source, universal=True)
    blanks = 0  # blank lines before the header: counted, not kept (a file may be only those)
    header_text = ""
    for _, text in lines:  # the header is the first non-blank line
        if text.strip():
            header_text = text
            break
        blanks += 1
    if not header_text:
        raise fail(source, None, "no papers (empty file)")
    delimiter = _delimiter(header_text, default_delimiter)

    def texts():
        yield from itertools.repeat("\n", blanks)  # so that the csv module counts lines right
        yield header_text
        for _, t in lines:
            yield t

    reader = csv.reader(texts(), delimiter=delimiter, strict=True)
    papers: list[Paper] = []
    stats = ReadStats()
    prev = 0
    try:
        first = next((r for r in reader if not _blank(r)), None)  # the header row
        if first is None:
            raise fail(source, None, "no papers (empty file)")
        header_line = prev = reader.line_num
        header = [h.strip() for h in first]
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise fail(source, header_line, f"the header names the column {name!r} twice")
            seen.add(name)
        mapper = RecordMapper(source, columns, slugs)
        mapper.check_columns(header)
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if _blank(row):
                continue  # a blank line
            if len(row) != len(header):
                raise fail(
                    source,
                    start,
                    f"{len(row)} fields, but the header has {len(header)} "
                    f"(is a field with a {delimiter!r} missing its quotes?)",
                )
            stats.rows += 1
            paper = mapper.to_paper(dict(zip(header, row, strict=True)), start)
            if paper is None:
                stats.skipped_no_abstract += 1
            else:
                papers.append(paper)
    except csv.Error as e:
        message = str(e)
        line = prev + 1 if message.startswith("unexpected end of data") else reader.line_num
        raise fail(source, line, _csv_problem(message)) from None
    if stats.rows == 0:
        raise fail(source, None, "no papers (only a header row)")
    stats.dates_from_ids = mapper.dates_from_ids
    return papers, stats
