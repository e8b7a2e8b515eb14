"""Corpus readers: files of paper metadata in, one `Corpus` out.

`read_corpus` is the only entry point the rest of explorer needs. It picks a reader per file by
suffix (after an optional `.gz`) or by `fmt`, concatenates the papers in order (a duplicate id is
kept once and reported in `corpus.stats.duplicate_ids`), and merges the per-file `ReadStats`.
Every user mistake is an `ExplorerError` with a one-line message naming the file (and line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from explorer.papers import Corpus, ExplorerError, Paper, ReadStats
from explorer.readers.common import fail, slugify
from explorer.readers.csvfile import read_csv
from explorer.readers.jsonfiles import read_json, read_jsonl
from explorer.readers.records import FIELDS, check_columns
from explorer.readers.seed import read_seed

__all__ = ["FIELDS", "FORMATS", "SUFFIXES", "detect_format", "read_corpus", "read_file", "slugify"]

FORMATS = ("seed", "jsonl", "json", "csv", "tsv", "arxiv")
SUFFIXES = {
    ".txt": "seed",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
}
_SUPPORTED = ".txt (seed listing), .jsonl, .ndjson, .json, .csv, .tsv, each optionally .gz"


def detect_format(path: str | Path) -> str | None:
    """The format for a file name (`papers.jsonl.gz` -> "jsonl"), or None for an unknown suffix."""
    p = Path(path)
    if p.suffix.lower() == ".gz":
        p = p.with_suffix("")
    return SUFFIXES.get(p.suffix.lower())


def _check_fmt(fmt: str | None) -> None:
    if fmt is not None and fmt not in FORMATS:
        raise ExplorerError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")


def read_file(
    path: str | Path,
    *,
    listing_year: int | None = None,
    columns: Mapping[str, str] | None = None,
    fmt: str | None = None,
) -> tuple[list[Paper], ReadStats]:
    """Read one file: its papers in file order (duplicates not yet removed) and its stats."""
    _check_fmt(fmt)
    source = str(path)
    p = Path(path)
    if not p.exists():
        raise fail(source, None, "file not found")
    if p.is_dir():
        raise fail(source, None, "is a directory, not a file")
    kind = fmt or detect_format(p)
    if kind is None:
        gz = p.suffix.lower() == ".gz"
        suffix = p.with_suffix("").suffix + p.suffix if gz else p.suffix
        what = repr(suffix) if suffix else "(no suffix)"
        raise fail(
            source, None, f"unknown file type {what} (supported: {_SUPPORTED}; or pass fmt=...)"
        )
    cols = check_columns(columns)
    if kind == "seed":
        papers, stats = read_seed(p, source, listing_year)
    elif kind in ("jsonl", "arxiv"):
        papers, stats = read_jsonl(p, source, cols)
    elif kind == "json":
        papers, stats = read_json(p, source, cols)
    else:
        papers, stats = read_csv(p, source, cols, "\t" if kind == "tsv" else ",")
    if not papers:
        raise fail(source, None, f"no papers (none of its {stats.rows} rows has an abstract)")
    return papers, stats


def read_corpus(
    paths: str | Path | Sequence[str | Path],
    *,
    listing_year: int | None = None,
    columns: Mapping[str, str] | None = None,
    fmt: str | None = None,
) -> Corpus:
    """Read one or several files into one Corpus.

    - `listing_year`: the year for seed-listing dates that have none (`AIMay 7`);
    - `columns`: our field -> the file's column, e.g. `{"abstract": "summary", "id": "paper_id"}`
      (fields: id, title, abstract, authors, affiliations, categories, date, year);
    - `fmt`: "seed", "jsonl", "json", "csv", "tsv" or "arxiv" (the arXiv metadata dump, JSON
      Lines), instead of guessing from the suffix.
    `corpus.stats` counts rows read, rows skipped for having no abstract, and duplicate ids.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ExplorerError("no input files given")
    _check_fmt(fmt)
    year_ok = isinstance(listing_year, int) and 1000 <= listing_year <= 9999
    if listing_year is not None and not year_ok:
        raise ExplorerError(f"listing_year must be a four-digit year, got {listing_year!r}")
    check_columns(columns)
    stats = ReadStats()
    papers: list[Paper] = []
    for path in paths:
        file_papers, file_stats = read_file(
            path, listing_year=listing_year, columns=columns, fmt=fmt
        )
        papers.extend(file_papers)
        stats.merge(file_stats)
    return Corpus(papers, stats)
