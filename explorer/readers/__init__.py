r"""Corpus readers: files of paper metadata in, one `Corpus` out.

`read_corpus` is the only entry point the rest of explorer needs. It picks a reader per file by
suffix (after an optional `.gz`) or by `fmt`, concatenates the papers in order, and merges the
per-file `ReadStats`. Identity is `Corpus`'s: ids are compared by `explorer.ids.key`, so that
versions of one arXiv id (`2309.03824`, `2309.03824v2`) are one paper, the highest version's
(counted in `stats.merged_versions`), and any other repeated id is kept once (the first) and
reported in `stats.duplicate_ids`. Ids made from titles (files without ids) are unique across
all the files of one call, and never one that an earlier file gave; a paper of such a file with
the title and abstract of one in an earlier file is that paper (a duplicate).
Every user mistake is an `ExplorerError` with a one-line message naming the file (and the line,
and the field where one is at fault): never a traceback, never a hang, never a value silently
converted from a wrong type.

Reference-manager libraries (`LIBRARY_FORMATS`: `.bib`/`.bibtex`/`.biblatex`, `.ris`, `.rdf`,
EndNote `.xml`, and CSL-JSON or Better BibTeX JSON in a `.json`, told apart from explorer's own
JSON by shape) follow their readers' docstrings (`bibtex`, `ris`, `csljson`, `xmlformats`) and
`library`'s shared rules: an entry without an abstract is kept (`Paper.no_abstract`, embedded
from its title and keywords), an unreadable one is skipped, counted and named
(`stats.skipped_entries`, `stats.skipped_keys`), never the whole file. After all the files are
read, the library papers of one identity (`identity`: DOI, arXiv id, title + first surname)
are merged into one, in the first's place, keeping the richest fields (`stats.merges`).

Files. Only an existing regular file is read (a directory, FIFO, device such as /dev/stdin, or
socket is refused before it is opened). It must be UTF-8 (a UTF-8 byte order mark is dropped; a
UTF-16 or UTF-32 byte order mark, a NUL byte or a byte that is not UTF-8 is an error naming the
line), optionally gzipped (a truncated or fake `.gz` is an error). Lines end at `\n` in JSON Lines
and JSON, at `\n`, `\r\n` or `\r` in CSV, TSV and seed listings; U+2028, U+2029, U+0085,
`\x0b`, `\x0c` and `\x1c`-`\x1e` never end a line or a record (they are field text, and white
space in the embedded text). JSON nested too deeply for Python, or holding an integer of more
than 4,300 digits, is an error naming the line. CSV quoting is strict (`"a"b` and an unclosed
quote are errors), a CSV field holds at most 16 MiB, and every row has the header's width.

Limits (`explorer.readers.limits`; memory stays about one line's, whatever the file): a line
of any format holds at most 64 MiB (`FILE:LINE: a line longer than 64 MiB`, refused once that
much is read); a JSON file, parsed whole, at most 1 GiB uncompressed; a `.gz` is decompressed as
it is read, and one that has given more than 256 MiB and more than 100 times its own size is
refused (`FILE: the gzip file expands more than 100 times (a decompression bomb?)`).

Typing rules, per field of a record (JSON Lines and JSON; a CSV/TSV value is always a string, so
there only the string rules apply). "Blank" means null, a missing key or a white-space string.
A record with a blank abstract is skipped (counted in `stats.skipped_no_abstract`) before its
other fields are looked at. In every other record each field below that is present is checked,
also one that another field overrides, and a value of any other type is the error
`FILE:LINE: the 'FIELD' field must be ..., got ...`; nothing is converted with `str()`.

- id: a string (outer white space stripped; no control character or line break inside) or an
  integer (not true/false, not a float). Blank: an error. A file whose first record has no id
  column gets slugs of the titles as ids; an id in a later record of such a file is an error.
- title: a non-blank string; runs of white space (U+2028 and friends too) become one space.
- abstract: a string, kept exactly as it is.
- authors: a list of strings, or of objects with a string `name` or string `first`/`last`; or
  one string, split at `;` if it has one, else at `,`, ` and ` and `&`. A last "et al." sets
  `et_al`; punctuation-only names are dropped. Blank: no authors.
- authors_parsed (arXiv): a list of [last, first, suffix] lists of strings (or nulls); it wins
  over `authors`, which is still type-checked.
- categories, affiliations: a list of strings, or one string split at `;`/`,` if it has one,
  else at white space. Blank: none.
- primary_category (arXiv listings): a string, put first among the categories; or null.
- date, year: a string of a known date shape (YYYY-MM-DD, YYYY/MM/DD, an ISO date-time, YYYY,
  YYYY-MM, `2 Apr 2007`, `Apr 2, 2007`, RFC 2822) or a year as an integer or an integral float
  (2021.0, as pandas writes years), years 1000-9999; true/false, lists and objects are type
  errors, any other string or number an "unrecognised date". The date is `versions[0].created`
  (arXiv), else the date column, else the year column, else the month of the record's arXiv
  id (`2503.16177` -> "2025-03", `hep-th/9901001` -> "1999-01"; see `explorer.ids.month`;
  such records are counted in `stats.dates_from_ids`). `Paper.date` is "YYYY-MM-DD",
  "YYYY-MM" or "YYYY", as precise as the value was.
- versions (arXiv): a list of objects whose `created` is a date string (or null).
- any other key: a string, number or true/false is kept in `Paper.extra` as text (a number or
  true/false as JSON writes it); null, lists and objects are ignored.

No kept string (id, title, abstract, names, categories, affiliations, extra) may hold a lone
UTF-16 surrogate (a JSON escape such as `\ud800` without its pair): that is an error naming the
line and field. Replacing it with U+FFFD would silently change the text (and could merge two
ids); keeping it would make a corpus that cannot be saved as UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from explorer.papers import Corpus, ExplorerError, Paper, ReadStats
from explorer.readers.bibtex import read_bibtex
from explorer.readers.common import SlugAllocator, check_regular_file, fail, read_text, slugify
from explorer.readers.csljson import read_bbt, read_csl, sniff
from explorer.readers.csvfile import read_csv
from explorer.readers.identity import merge_library
from explorer.readers.jsonfiles import read_json, read_jsonl
from explorer.readers.records import FIELDS, check_columns
from explorer.readers.ris import read_ris
from explorer.readers.seed import read_seed
from explorer.readers.xmlformats import read_endnote, read_rdf

__all__ = [
    "FIELDS",
    "FORMATS",
    "LIBRARY_FORMATS",
    "REGISTRY",
    "SUFFIXES",
    "Format",
    "detect_format",
    "formats_help",
    "read_corpus",
    "read_file",
    "slugify",
]

# A reader: (path, source name for messages, listing year, our field -> the file's column, the
# slug ids given so far by the files of this corpus).
Reader = Callable[
    [Path, str, "int | None", dict[str, str], SlugAllocator], tuple[list[Paper], ReadStats]
]


@dataclass(frozen=True)
class Format:
    """One input format: the name `fmt=` / `--format` takes, the suffixes that pick it (before
    an optional `.gz`), what it is (for help and errors), and its reader. A new format is one
    module with its reader plus one row in `REGISTRY`."""

    name: str
    suffixes: tuple[str, ...]
    what: str
    read: Reader


def _any_json(
    p: Path, s: str, columns: dict[str, str], slugs: SlugAllocator
) -> tuple[list[Paper], ReadStats]:
    """A `.json` file: CSL-JSON, Better BibTeX JSON or explorer's own, by its shape
    (`csljson.sniff`)."""
    text = read_text(p, s)
    kind = sniff(text)
    if kind == "csl-json":
        return read_csl(p, s, text)
    if kind == "bbt-json":
        return read_bbt(p, s, text)
    return read_json(p, s, columns, slugs)


REGISTRY: tuple[Format, ...] = (
    Format("seed", (".txt",), "seed listing", lambda p, s, y, _, g: read_seed(p, s, y, g)),
    Format(
        "jsonl", (".jsonl", ".ndjson"), "JSON Lines", lambda p, s, _, c, g: read_jsonl(p, s, c, g)
    ),
    Format(
        "json",
        (".json",),
        "a JSON array of papers, or CSL-JSON or Better BibTeX JSON",
        lambda p, s, _, c, g: _any_json(p, s, c, g),
    ),
    Format("csv", (".csv",), "CSV with a header", lambda p, s, _, c, g: read_csv(p, s, c, ",", g)),
    Format("tsv", (".tsv",), "TSV with a header", lambda p, s, _, c, g: read_csv(p, s, c, "\t", g)),
    Format("arxiv", (), "arXiv's metadata dump", lambda p, s, _, c, g: read_jsonl(p, s, c, g)),
    Format(
        "bibtex",
        (".bib", ".bibtex", ".biblatex"),
        "BibTeX or BibLaTeX",
        lambda p, s, *_: read_bibtex(p, s),
    ),
    Format("ris", (".ris",), "RIS", lambda p, s, *_: read_ris(p, s)),
    Format("csl-json", (), "CSL-JSON", lambda p, s, *_: read_csl(p, s)),
    Format("bbt-json", (), "Better BibTeX JSON", lambda p, s, *_: read_bbt(p, s)),
    Format("zotero-rdf", (".rdf",), "Zotero RDF", lambda p, s, *_: read_rdf(p, s)),
    Format("endnote", (".xml",), "EndNote XML", lambda p, s, *_: read_endnote(p, s)),
)
# Reference-manager formats: entries without abstracts are kept (flagged), duplicates merged.
LIBRARY_FORMATS = ("bibtex", "ris", "csl-json", "bbt-json", "zotero-rdf", "endnote")
_BY_NAME = {f.name: f for f in REGISTRY}
FORMATS = tuple(_BY_NAME)
SUFFIXES = {suffix: f.name for f in REGISTRY for suffix in f.suffixes}
_SUPPORTED = ", ".join(f"{'/'.join(f.suffixes)} ({f.what})" for f in REGISTRY if f.suffixes)
_SUPPORTED += ", each optionally .gz"


def formats_help() -> str:
    """The formats, for a command's help: "seed (seed listing, .txt), jsonl (…), …"."""
    return ", ".join(
        f"{f.name} ({f.what}{', ' if f.suffixes else ''}{'/'.join(f.suffixes)})" for f in REGISTRY
    )


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
    slugs: SlugAllocator | None = None,
) -> tuple[list[Paper], ReadStats]:
    """Read one file: its papers in file order (duplicates not yet removed) and its stats.
    `slugs`: the allocator of title ids shared by a corpus's files (default: a new one)."""
    _check_fmt(fmt)
    source = str(path)
    p = Path(path)
    check_regular_file(p, source)
    kind = fmt or detect_format(p)
    if kind is None:
        gz = p.suffix.lower() == ".gz"
        suffix = p.with_suffix("").suffix + p.suffix if gz else p.suffix
        what = repr(suffix) if suffix else "(no suffix)"
        raise fail(
            source, None, f"unknown file type {what} (supported: {_SUPPORTED}; or pass fmt=...)"
        )
    slugs = slugs if slugs is not None else SlugAllocator()
    papers, stats = _BY_NAME[kind].read(p, source, listing_year, check_columns(columns), slugs)
    if not papers and (kind in LIBRARY_FORMATS or stats.skipped_entries):
        named = "; ".join(stats.skipped_keys[:3])
        raise fail(
            source, None, f"no papers (none of its {stats.rows} entries is readable: {named})"
        )
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
    - `fmt`: one of `FORMATS` ("seed", "jsonl", "json", "csv", "tsv", "arxiv", "bibtex", "ris",
      "csl-json", "bbt-json", "zotero-rdf", "endnote": see `REGISTRY`), instead of guessing
      from the suffix.
    `corpus.stats` counts rows read, rows skipped for having no abstract, duplicate ids, arXiv
    versions merged and rows whose date was taken from their arXiv id; for library files also
    entries kept without abstract, entries skipped (named) and merges (listed).
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
    slugs = SlugAllocator()
    for path in paths:
        file_papers, file_stats = read_file(
            path, listing_year=listing_year, columns=columns, fmt=fmt, slugs=slugs
        )
        papers.extend(file_papers)
        stats.merge(file_stats)
        slugs.done(p.id for p in file_papers)  # no later slug is one of these ids
    papers, merges = merge_library(papers)
    stats.merges.extend(merges)
    if stats.no_abstract:  # counted again after merging: papers, not entries
        stats.no_abstract = sum(p.no_abstract for p in papers if p.entry)
    return Corpus(papers, stats)
