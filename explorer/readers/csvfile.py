"""Reader for CSV and TSV files (the `csv` module; quoted fields may span lines).

The first row is the header. The delimiter is the one the header line uses most among `,`, `;`
and tab (spreadsheets in many locales write `;`), so a `.csv` that is really a TSV still reads.
Error line numbers are physical lines: the line on which the bad record starts.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from explorer.papers import Paper, ReadStats
from explorer.readers.common import fail, iter_lines
from explorer.readers.records import RecordMapper

_FIELD_LIMIT = 1 << 24  # abstracts are long; the csv module's default limit is 128 KiB


def _delimiter(first_line: str, default: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts.get(default, 0) else default


def read_csv(
    path: Path, source: str, columns: Mapping[str, str], default_delimiter: str = ","
) -> tuple[list[Paper], ReadStats]:
    """Read a CSV/TSV with a header row; returns the papers and what was skipped."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    lines = iter_lines(path, source)
    pending: list[str] = []
    for _, text in lines:  # the header is the first non-blank line
        if text.strip():
            pending.append(text)
            break
        pending.append(text)
    if not pending or not pending[-1].strip():
        raise fail(source, None, "no papers (empty file)")
    delimiter = _delimiter(pending[-1], default_delimiter)

    def texts():
        yield from pending
        for _, t in lines:
            yield t

    reader = csv.reader(texts(), delimiter=delimiter)
    papers: list[Paper] = []
    stats = ReadStats()
    prev = 0
    try:
        header: list[str] = []
        while not header:
            header = [h.strip() for h in next(reader)]
            header_line, prev = reader.line_num, reader.line_num
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise fail(source, header_line, f"the header names the column {name!r} twice")
            seen.add(name)
        mapper = RecordMapper(source, columns)
        mapper.check_columns(header)
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            if len(row) != len(header):
                raise fail(
                    source, start,
                    f"{len(row)} fields, but the header has {len(header)} "
                    f"(is a field with a {delimiter!r} missing its quotes?)",
                )
            stats.rows += 1
            paper = mapper.to_paper(dict(zip(header, row)), start)
            if paper is None:
                stats.skipped_no_abstract += 1
            else:
                papers.append(paper)
    except csv.Error as e:
        raise fail(source, reader.line_num, f"not valid CSV ({e})") from None
    if stats.rows == 0:
        raise fail(source, None, "no papers (only a header row)")
    return papers, stats
