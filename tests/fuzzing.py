"""Generators of corpus files, well-formed and malformed, for fuzzing the readers, and the
property that every reader must keep. Shared by tests/test_fuzz.py (a small, derandomized budget)
and benchmarks/fuzz.py (10,000 cases and a table of outcomes); it imports only hypothesis and
the standard library at module level (explorer only inside `run_case`).

A `Case` is one input file (its name and bytes, or a special path: a directory, a FIFO, ...)
and what the generator knows about it:
  expected     the exact papers, when the file is valid (built from generated field values);
  must_fail    the file is invalid: reading it must raise ExplorerError, and where known the
               message must point at `line` and name `field`;
  neither      a random mutation: anything but a well-typed corpus or a one-line error is a bug.

`run_case` reads the case with `explorer.readers.read_corpus` under a 10-second alarm and
returns an `Outcome` whose kind is one of
  exact      parsed, and exactly the expected papers came back        (good)
  typed      parsed (nothing known to expect); every field well typed (good)
  error      ExplorerError: one line, naming the file (and line/field) (good)
  traceback  any other exception                                       (bug)
  hang       still reading after the alarm                             (bug)
  silent     parsed, but a field has a wrong type or value, or the file had to fail (bug)
  bad-error  ExplorerError on a valid file, on several lines, or not naming the file/line/field
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

GOOD = ("exact", "typed", "error")
BAD = ("traceback", "hang", "silent", "bad-error")
TIMEOUT_S = 10
# Python's limit on the digits of an int read from text (0: none, before 3.10.7)
_INT_LIMIT = getattr(sys, "get_int_max_str_digits", lambda: 0)()

# --------------------------------------------------------------------------- the model

# Names that parse as a strict author list (seed listings) and hold no separator (`;`, `,`,
# ` and `, `&`) or "et al" word, so that the expected names are exactly these.
NAMES = (
    "Ada Lovelace",
    "Alan Turing",
    "Grace Hopper",
    "Émile Borel",
    "Łukasz Kaiser",
    "Yann LeCun",
    "Jean-Pierre Serre",
    "Hung-yi Lee",
    "A. B. Smith",
    "Maryam Mirzakhani",
    "Xu Li",
    "Aaron van den Oord",
    "Sofia Kovalevskaya",
    "Niamh O'Neil",
)
CATEGORIES = ("cs.CL", "cs.LG", "stat.ML", "math.CO", "hep-ph", "q-bio.NC", "cs.AI")
AFFILIATIONS = ("deepmind", "mila", "Université Paris-Saclay", "MIT", "東京大学")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
SEED_CODES = ("AI", "CL", "CV", "LG", "IR", "HC", "RO", "ML")
# What U+2028 and friends must stay: field text, never a line or record break.
SEPARATORS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"
LATEX = ("(" * 3000, "[" * 3000, "\\emph{" * 2000, "$" * 3001, "{" * 3000)


@dataclass
class Case:
    """One input and what is known about it (see the module docstring)."""

    family: str  # valid, wrong-type, mutated, structure, path
    name: str  # the file name, with its suffix (`papers.jsonl.gz`)
    data: bytes | None = None  # None for a special path
    special: str | None = None  # dir, missing, fifo, device, loop
    expected: list[tuple] | None = None
    rows: int | None = None
    skipped: int | None = None
    must_fail: bool = False
    line: int | None = None
    field: str | None = None
    slugs: bool = False  # expected ids are slugs of the expected titles
    kwargs: dict[str, Any] = dc_field(default_factory=dict)
    note: str = ""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis prints it
        printer.text(repr(self))

    def __repr__(self) -> str:  # hypothesis prints failing examples: keep them readable
        size = "-" if self.data is None else len(self.data)
        head = "" if self.data is None else self.data[:300]
        return (
            f"Case({self.family}/{self.note}, {self.name!r}, {size} bytes, "
            f"must_fail={self.must_fail}, line={self.line}, field={self.field!r}, head={head!r})"
        )


def squash(text: str) -> str:
    return " ".join(text.split())


def split_list_model(text: str) -> list[str]:
    """The documented rule for one string of categories/affiliations."""
    if ";" in text or "," in text:
        return [p.strip() for p in re.split("[;,]", text) if p.strip()]
    return text.split()


def paper_tuple(p: Any) -> tuple:
    return (
        p.id,
        p.title,
        p.abstract,
        p.authors,
        p.et_al,
        p.affiliations,
        p.categories,
        p.date,
        p.has_code,
        p.extra,
    )


# --------------------------------------------------------------------------- field values

# Text with anything UTF-8 can hold (no lone surrogates), LaTeX and line separators mixed in.
_ANY_CHAR = st.characters(codec="utf-8")
_TEXT_CHAR = st.one_of(_ANY_CHAR, st.sampled_from(SEPARATORS + "\r\n\t \"',;\\{}()[]·😀"))


def text(min_size: int = 0, max_size: int = 30, nul: bool = True) -> st.SearchStrategy[str]:
    chars = _TEXT_CHAR if nul else _TEXT_CHAR.filter(lambda c: c != "\x00")
    return st.text(chars, min_size=min_size, max_size=max_size)


@st.composite
def blank_or(draw, strategy, blank_weight: int = 4):
    """A value from `strategy`, or (1 in `blank_weight`) a blank: "", white space, or None."""
    if draw(st.integers(0, blank_weight - 1)) == 0:
        return draw(st.sampled_from(["", "  ", "\u2028", None]))
    return draw(strategy)


@st.composite
def nonblank_text(draw, max_size: int = 30, nul: bool = True, latex: bool = True) -> str:
    value = draw(text(1, max_size, nul))
    if latex and draw(st.integers(0, 30)) == 0:
        value += draw(st.sampled_from(LATEX))
    if not value.strip():
        value += "x"
    return value


@st.composite
def a_date(draw, typed: bool) -> tuple[Any, str | None]:
    """(value as written, the ISO date or year the reader must make of it)."""
    d = draw(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
    mon = MONTHS[d.month - 1]
    forms: list[tuple[Any, str | None]] = [
        (d.isoformat(), d.isoformat()),
        (f"{d.year}/{d.month}/{d.day}", d.isoformat()),
        (f"{d.isoformat()}T12:30:00Z", d.isoformat()),
        (f"{d.day} {mon[:3]} {d.year}", d.isoformat()),
        (f"{mon} {d.day}, {d.year}", d.isoformat()),
        (f"Mon, {d.day} {mon[:3]} {d.year} 19:18:42 GMT", d.isoformat()),
        (str(d.year), str(d.year)),
        (f"{d.year}-{d.month:02d}", f"{d.year}-{d.month:02d}"),
        ("", None),
    ]
    if typed:
        forms += [(d.year, str(d.year)), (float(d.year), str(d.year)), (None, None)]
    return draw(st.sampled_from(forms))


@st.composite
def authors_value(draw, typed: bool) -> tuple[Any, tuple[str, ...], bool]:
    """(authors as written, the names the reader must return, et_al)."""
    names = draw(st.lists(st.sampled_from(NAMES), max_size=5))
    et_al = bool(names) and draw(st.booleans())
    shape = draw(
        st.sampled_from(
            ["list", "objects", "semicolons", "commas", "none"]
            if typed
            else ["semicolons", "commas", "none"]
        )
    )
    if shape == "none" or (not names and shape != "list"):
        return (draw(st.sampled_from([None, ""])) if typed else ""), (), False
    if shape == "list":
        written = [n.replace(" ", draw(st.sampled_from([" ", "  ", " \u2028 "])), 1) for n in names]
        return written + (["et al."] if et_al else []), tuple(names), et_al
    if shape == "objects":
        written = [
            {"name": n}
            if draw(st.booleans())
            else {"first": n.split(" ", 1)[0], "last": n.split(" ", 1)[1] if " " in n else None}
            for n in names
        ]
        return written + (["et al."] if et_al else []), tuple(names), et_al
    sep = "; " if shape == "semicolons" else ", "
    return sep.join(names) + (" et al." if et_al else ""), tuple(names), et_al


@st.composite
def list_value(draw, pool: tuple[str, ...], typed: bool) -> tuple[Any, list[str]]:
    """(categories or affiliations as written, the reader's list)."""
    items = draw(st.lists(st.sampled_from(pool), max_size=4))
    if typed and draw(st.booleans()):
        return [f" {i} " if draw(st.booleans()) else i for i in items] + [""] * draw(
            st.integers(0, 1)
        ), items
    joined = draw(st.sampled_from([" ", ", ", ";", " ; "])).join(items)
    return joined, split_list_model(joined)


# --------------------------------------------------------------------------- valid records


def _not_arxiv(text_: str) -> bool:
    from explorer import ids

    return ids.arxiv_id(text_) is None


@dataclass
class Record:
    fields: dict[str, Any]
    expect: tuple | None  # None: skipped for having no abstract


@st.composite
def record(draw, typed: bool, with_id: bool, date_key: str) -> Record:
    """One record with generated values of the right types, and the Paper it must become."""
    nul = typed  # a raw NUL byte is refused in CSV; JSON writes "\u0000"
    f: dict[str, Any] = {}
    if with_id:
        if typed and draw(st.booleans()):
            rid: Any = draw(st.integers(-(10**6), 10**30))
            expect_id = str(rid)
        else:
            # No arXiv id: two versions of one are one paper, and one without a date takes
            # its month (tests/test_identity_reading.py); here every id is its own paper.
            core = draw(
                st.text(
                    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789.-_/:éü·"),
                    min_size=1,
                    max_size=12,
                ).filter(_not_arxiv)
            )
            rid = draw(st.sampled_from(["", " ", "  "])) + core + draw(st.sampled_from(["", " "]))
            expect_id = core
        f["id"] = rid
    else:
        expect_id = ""  # a slug, computed when checking
    title = draw(nonblank_text(nul=nul))
    f["title"] = title
    has_abstract = draw(st.integers(0, 5)) > 0
    abstract = (
        draw(nonblank_text(max_size=60, nul=nul))
        if has_abstract
        else draw(st.sampled_from(["", "  ", "\t\u2028"] + ([None, "absent"] if typed else [])))
    )
    if abstract != "absent":
        f["abstract"] = abstract
    written, names, et_al = draw(authors_value(typed))
    if written is not None or draw(st.booleans()):
        f["authors"] = written
    cats_written, cats = draw(list_value(CATEGORIES, typed))
    if draw(st.booleans()):
        f["categories"] = cats_written
    else:
        cats = []
    affs_written, affs = draw(list_value(AFFILIATIONS, typed))
    if draw(st.booleans()):
        f["affiliations"] = affs_written
    else:
        affs = []
    date_value, iso = draw(a_date(typed))
    if draw(st.booleans()):
        f[date_key] = date_value
    else:
        iso = None
    extra: list[tuple[str, str]] = []
    if draw(st.booleans()):
        note: Any = draw(
            st.one_of(text(0, 20, nul), st.integers(), st.floats(), st.booleans())
            if typed
            else text(0, 20, nul)
        )
        f["note"] = note
        written_note = note if isinstance(note, str) else json.dumps(note)
        if written_note.strip():
            extra.append(("note", written_note))
    if typed and draw(st.booleans()):
        f["nested"] = draw(st.sampled_from([[1, [2, {"a": None}]], {"deep": [[[[[]]]]]}, None]))
    if not (isinstance(abstract, str) and abstract.strip() and abstract != "absent"):
        return Record(f, None)
    return Record(
        f,
        (
            expect_id,
            squash(title),
            abstract,
            names,
            et_al,
            tuple(affs),
            tuple(cats),
            iso,
            False,
            tuple(extra),
        ),
    )


@st.composite
def records(draw, typed: bool, with_id: bool | None = None) -> tuple[list[Record], bool]:
    if with_id is None:
        with_id = draw(st.integers(0, 4)) > 0
    n = draw(st.integers(1, 6))
    # One date column per file: in a CSV an empty "date" cell would hide a "published" one.
    date_key = draw(st.sampled_from(["date", "year", "published"]))
    return [draw(record(typed, with_id, date_key)) for _ in range(n)], with_id


def _expectation(recs: list[Record], with_id: bool) -> tuple[list[tuple], int, int]:
    """The papers a valid file of `recs` must give (duplicate ids kept once), rows, skipped."""
    kept = [r.expect for r in recs if r.expect is not None]
    papers, seen = [], set()
    for p in kept:
        if with_id and p[0] in seen:
            continue
        seen.add(p[0])
        papers.append(p)
    return papers, len(recs), len(recs) - len(kept)


# --------------------------------------------------------------------------- serialising


def _bom(draw) -> str:
    return "\ufeff" if draw(st.integers(0, 7)) == 0 else ""


@st.composite
def jsonl_file(draw, recs: list[Record]) -> tuple[str, list[int]]:
    """The text of a JSON Lines file of `recs` and the line of each record."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    ascii_ = draw(st.booleans())
    out, lines, n = [], [], 0
    for r in recs:
        while draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(["", "  ", "\t"])) + newline)
            n += 1
        out.append(json.dumps(r.fields, ensure_ascii=ascii_) + newline)
        n += 1
        lines.append(n)
    text_ = "".join(out)
    if draw(st.booleans()):
        text_ = text_[: -len(newline)]  # no final newline
    return _bom(draw) + text_, lines


@st.composite
def json_file(draw, recs: list[Record]) -> tuple[str, list[int]]:
    """A JSON array (or {"papers": [...]}) with one record a line, and each record's line."""
    ascii_ = draw(st.booleans())
    body = ",\n".join(json.dumps(r.fields, ensure_ascii=ascii_) for r in recs)
    if draw(st.booleans()):
        head = '{"meta": {"n": [1, 2]}, "papers": [\n'
        return _bom(draw) + head + body + '\n], "more": null}\n', [i + 2 for i in range(len(recs))]
    return _bom(draw) + "[\n" + body + "\n]\n", [i + 2 for i in range(len(recs))]


def _csv_text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


@st.composite
def csv_file(draw, recs: list[Record], delimiter: str) -> tuple[str, list[int]]:
    """A CSV/TSV of `recs` (all values strings), and the physical line where each row starts."""
    columns: list[str] = []
    for r in recs:
        columns += [k for k in r.fields if k not in columns]
    for must in ("title", "abstract"):
        if must not in columns:
            columns.append(must)
    terminator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=terminator)
    # csv.writer quotes a field only for the characters of its own line terminator, but a
    # reader ends records at \r and \n alike: such rows are written with every field quoted.
    quote_all = csv.writer(
        buf, delimiter=delimiter, lineterminator=terminator, quoting=csv.QUOTE_ALL
    )
    writer.writerow(columns)
    starts = []
    for r in recs:
        starts.append(len(buf.getvalue().encode("utf-8").splitlines()) + 1)
        row = [_csv_text(r.fields.get(c)) for c in columns]
        breaks = any("\r" in v or "\n" in v for v in row)
        (quote_all if breaks or draw(st.integers(0, 5)) == 0 else writer).writerow(row)
    return _bom(draw) + buf.getvalue(), starts


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _maybe_gzipped(draw, name: str, data: bytes) -> tuple[str, bytes]:
    """One case in four is the same file gzipped (`name.gz`)."""
    if draw(st.integers(0, 3)) == 0:
        return name + ".gz", _gzip(data)
    return name, data


FORMATS = ("jsonl", "json", "csv", "tsv", "txt")


@st.composite
def valid_case(draw, fmt: str | None = None) -> Case:
    """A valid file of `fmt` (default: any format), with the exact papers it must give."""
    fmt = fmt or draw(st.sampled_from(FORMATS))
    if fmt == "txt":
        return draw(seed_case())
    typed = fmt in ("jsonl", "json")
    recs, with_id = draw(records(typed))
    if not typed:  # CSV values are strings; every row has every column
        for r in recs:
            if "abstract" not in r.fields:
                r.fields["abstract"] = ""
    papers, rows, skipped = _expectation(recs, with_id)
    if fmt == "jsonl":
        text_, _ = draw(jsonl_file(recs))
    elif fmt == "json":
        text_, _ = draw(json_file(recs))
    else:
        delimiter = "\t" if fmt == "tsv" else draw(st.sampled_from([",", ";"]))
        text_, _ = draw(csv_file(recs, delimiter))
    data = text_.encode("utf-8")
    name = f"papers.{fmt}"
    name, data = _maybe_gzipped(draw, name, data)
    if not papers:
        return Case("valid", name, data, must_fail=True, note=f"{fmt}-no-abstracts")
    return Case(
        "valid",
        name,
        data,
        expected=papers,
        rows=rows,
        skipped=skipped,
        slugs=not with_id,
        note=fmt,
    )


# --------------------------------------------------------------------------- seed listings


_TITLE_WORDS = (
    "Deep",
    "learning",
    "for",
    "Graphs:",
    "a",
    "Survey",
    "of",
    "2",
    "Large",
    "Language",
    "Models",
    "Cold-Start",
    "über",
    "Élan",
    "—",
    "with",
    "3d",
    "Is",
    "all",
    "you",
    "need?",
    "(and",
    "why)",
    "Über-Attention",
    "x2",
)


@st.composite
def seed_case(draw) -> Case:
    """A valid seed listing: three lines per paper, glued title and authors, and its papers."""
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    entries, papers, rows = [], [], 0
    for _ in range(draw(st.integers(1, 4))):
        code = draw(st.sampled_from(SEED_CODES))
        d = draw(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
        with_year = draw(st.integers(0, 3)) > 0
        mon = draw(st.sampled_from([MONTHS[d.month - 1][:3], MONTHS[d.month - 1]]))
        has_code = draw(st.booleans())
        header = f"{code}{mon} {d.day}" + (f", {d.year}" if with_year else "")
        header += "Code" if has_code else ""
        iso = d.isoformat() if with_year else None
        if iso is None:
            try:
                iso = date(2026, d.month, d.day).isoformat()
            except ValueError:  # Feb 29 in 2026
                with_year, iso = True, d.isoformat()
                header = f"{code}{mon} {d.day}, {d.year}" + ("Code" if has_code else "")
        first = draw(st.sampled_from(["Deep", "Large", "Élan", "Is", "2", "Graphs:"]))
        words = [first] + draw(st.lists(st.sampled_from(_TITLE_WORDS), max_size=8))
        title = " ".join(words)
        names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4))
        et_al = draw(st.booleans())
        affs = draw(st.lists(st.sampled_from(("deepmind", "mila", "mit")), max_size=2))
        line2 = title + ", ".join(names) + (" et al." if et_al else "")
        line2 += (" · " + ", ".join(affs)) if affs else ""
        abstract = "a" + draw(text(0, 60, nul=False).map(lambda t: re.sub("[\r\n]", " ", t)))
        pad = draw(st.sampled_from(["", " ", "\u2028", "\t"]))
        entries.append([header, line2, pad + abstract + pad])
        category = "stat.ML" if code == "ML" else f"cs.{code}"
        papers.append(
            (
                "",
                title,
                abstract.strip(),
                tuple(names),
                et_al,
                tuple(affs),
                (category,),
                iso,
                has_code,
                (),
            )
        )
        rows += 1
    text_ = ""
    for e in entries:
        text_ += newline * draw(st.integers(0, 2)) + newline.join(e) + newline
    data = (_bom(draw) + text_).encode("utf-8")
    name = "listing.txt"
    name, data = _maybe_gzipped(draw, name, data)
    return Case(
        "valid",
        name,
        data,
        expected=papers,
        rows=rows,
        skipped=0,
        slugs=True,
        kwargs={"listing_year": 2026},
        note="txt",
    )


# --------------------------------------------------------------------------- wrong types

# Per field: values of a wrong JSON type (each must be an error naming the line and field).
WRONG = {
    "id": [True, False, 1.5, 1e300, [], ["a"], {"a": 1}],
    "title": [1, 2.5, True, ["a title"], {"t": "x"}],
    "abstract": [1, 0, True, False, ["an abstract"], {"text": "x"}, 1.5],
    "authors": [1, True, {"name": "x"}, [1], [None], [["Ada"]], [{"name": 5}], 2.0],
    "categories": [1, True, {"a": "b"}, [1], [None], [["cs.CL"]]],
    "affiliations": [1, False, {"a": "b"}, [2.5], [None]],
    "date": [True, False, ["2020"], {"y": 2020}],
    "year": [True, ["2020"], {"y": 2020}],
    "versions": [1, "v1", [1], [{"created": 5}], {"created": "x"}],
    "primary_category": [1, ["cs.CL"], {"a": 1}, True],
    "authors_parsed": [1, "Ada", [1], [["Ada", 1]], [[{"a": 1}]]],
}


@st.composite
def wrong_type_case(draw) -> Case:
    """A valid JSON/JSON Lines file with one field of one kept record of a wrong type."""
    fmt = draw(st.sampled_from(["jsonl", "json"]))
    recs, with_id = draw(records(True))
    kept = [i for i, r in enumerate(recs) if r.expect is not None]
    if not kept:
        recs[0].fields["abstract"] = "an abstract"
        kept = [0]
    i = draw(st.sampled_from(kept))
    fields = [f for f in WRONG if with_id or f != "id"]
    name = draw(st.sampled_from(fields))
    recs[i].fields[name] = draw(st.sampled_from(WRONG[name]))
    # The first error must be this one: every record before it stays valid.
    if fmt == "jsonl":
        text_, lines = draw(jsonl_file(recs))
    else:
        text_, lines = draw(json_file(recs))
    data = text_.encode("utf-8")
    fname = f"typed.{fmt}"
    if draw(st.integers(0, 4)) == 0:
        fname, data = fname + ".gz", _gzip(data)
    return Case("wrong-type", fname, data, must_fail=True, line=lines[i], field=name, note=name)


@st.composite
def id_in_slug_file_case(draw) -> Case:
    """Records without ids (slugs) but one later record with an id: an error, not ignored."""
    recs, _ = draw(records(True, with_id=False))
    recs.append(
        Record({"title": "t", "abstract": "a", "id": draw(st.sampled_from(["x", 7]))}, None)
    )
    text_, lines = draw(jsonl_file(recs))
    return Case(
        "wrong-type",
        "slugs.jsonl",
        text_.encode("utf-8"),
        must_fail=True,
        line=lines[-1],
        field="id",
        note="id-in-slug-file",
    )


@st.composite
def surrogate_case(draw) -> Case:
    """A lone UTF-16 surrogate escape in a kept string field: an error naming line and field;
    a proper surrogate pair (an emoji) reads as that character."""
    recs, with_id = draw(records(True))
    kept = [i for i, r in enumerate(recs) if r.expect is not None]
    if not kept:
        recs[0].fields["abstract"] = "an abstract"
        kept = [0]
    i = draw(st.sampled_from(kept))
    choices = ["title", "abstract"] + (["id"] if with_id else []) + ["note", "authors"]
    name = draw(st.sampled_from(choices))
    lone = draw(st.sampled_from(["\ud800", "\udfff", "\udc80", "x\ud83d", "\ude00y"]))
    value = recs[i].fields.get(name)
    if name == "authors":
        recs[i].fields[name] = ["Ada Lovelace", "Al" + lone]
    else:
        recs[i].fields[name] = (value if isinstance(value, str) and value.strip() else "v") + lone
    fmt = draw(st.sampled_from(["jsonl", "json"]))
    # json.dumps(ensure_ascii=True) writes a lone surrogate as its \\uXXXX escape
    text_, lines = draw(jsonl_file(recs) if fmt == "jsonl" else json_file(recs))
    data = json_escape_surrogates(text_).encode("utf-8")
    return Case(
        "wrong-type",
        f"lone.{fmt}",
        data,
        must_fail=True,
        line=lines[i],
        field=name,
        note="surrogate",
    )


def json_escape_surrogates(text_: str) -> str:
    """Write lone surrogates (which ensure_ascii=False leaves raw) as JSON `\\uXXXX` escapes."""
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m[0]):04x}", text_)


# --------------------------------------------------------------------------- structure

_INSERTS = (
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xe2\x80\xa8",
    b"\x0b",
    b"\x0c",
    b"\x1c",
    b"\x85",
    b"\xc2\x85",
    b"\r",
    b"\n",
    b"\r\n",
    b'"',
    b",",
    b";",
    b"\t",
    b"{",
    b"[",
    b"]",
    b"}",
    b"\\ud800",
    b'"\\udfff"',
    b"\\",
    b" \xc2\xb7 ",
    b"et al.",
    b"CLJul 31, 2024\n",
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
)


STRUCTURE = (
    "nul",
    "utf16",
    "invalid-utf8",
    "deep",
    "big-int",
    "fake-gzip",
    "truncated-gzip",
    "csv-ragged",
    "csv-quote",
    "csv-unclosed",
    "huge-field",
    "long-line",
)


def _first_record(data: bytes, fmt: str) -> int:
    """The offset of the `{` that opens the first record (or, in `{"meta": ...}`, the meta)."""
    first = data.index(b"{")
    if fmt == "json" and data.removeprefix(b"\xef\xbb\xbf").startswith(b"{"):
        return data.index(b"{", first + 1)
    return first


# Which formats each kind of damage applies to.
_RECORDS, _TABULAR, _ALL = ("jsonl", "json"), ("csv", "tsv"), FORMATS
APPLIES = {
    "nul": _ALL,
    "utf16": _ALL,
    "invalid-utf8": _ALL,
    "deep": _RECORDS,
    "big-int": _RECORDS,
    "fake-gzip": _ALL,
    "truncated-gzip": _ALL,
    "csv-ragged": _TABULAR,
    "csv-quote": _TABULAR,
    "csv-unclosed": _TABULAR,
    "huge-field": _TABULAR,
    "long-line": _ALL,
}


@st.composite
def structure_case(draw) -> Case:
    """A valid file broken in a way whose outcome is known: it must fail (at a known line), or,
    for a 120,000-character line, be read quickly."""
    kind = draw(st.sampled_from(STRUCTURE))
    fmt = draw(st.sampled_from(APPLIES[kind]))
    base = draw(valid_case(fmt))
    data = base.data if not base.name.endswith(".gz") else gzip.decompress(base.data)
    name = base.name.removesuffix(".gz")
    kwargs = base.kwargs
    line = None
    must_fail = True
    records_ = fmt in _RECORDS
    if kind == "nul":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
        line = data[:at].count(b"\n") + 1 if records_ else None
    elif kind == "utf16":
        data = data.decode("utf-8").encode(draw(st.sampled_from(["utf-16", "utf-32"])))
        line = 1
    elif kind == "invalid-utf8":  # one stray byte more can never be valid UTF-8
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x80", b"\xfe"]))
        data = data[:at] + bad + data[at:]
    elif kind == "deep":
        depth = draw(st.sampled_from([1100, 5000, 100_000]))
        if draw(st.booleans()):
            nest = "[" * depth + "]" * depth
        else:
            nest = '{"a":' * depth + "1" + "}" * depth
        at = _first_record(data, fmt)
        data = data[: at + 1] + b'"deep": ' + nest.encode() + b", " + data[at + 1 :]
        line = data[:at].count(b"\n") + 1
        # Python's recursion limit refuses 100,000 levels; a future Python may read 1,100
        must_fail = depth == 100_000
    elif kind == "big-int" and _INT_LIMIT:
        at = _first_record(data, fmt)
        digits = b"9" * draw(st.integers(_INT_LIMIT + 1, _INT_LIMIT + 2000))
        data = data[: at + 1] + b'"big": ' + digits + b", " + data[at + 1 :]
        line = data[:at].count(b"\n") + 1
    elif kind == "fake-gzip":
        name += ".gz"
        data = draw(st.sampled_from([data, b"\x1f\x8b" + data, b"\x1f\x8b\x08\x00" + b"\0" * 6]))
    elif kind == "truncated-gzip":
        name += ".gz"
        packed = _gzip(data)
        data = packed[: draw(st.integers(0, len(packed) - 1))]
    elif kind == "csv-ragged":
        data = _ragged(data)
    elif kind == "csv-quote":
        data, line = _append_row(data, b'"quoted"tail' + b"\t,x" * 3)
    elif kind == "csv-unclosed":
        data, line = _append_row(data, b'"never closed')
    elif kind == "huge-field":
        data, line = _append_row(data, b"x" * (16 * 2**20 + 1))
    elif kind == "long-line":
        # 120,000 characters on one line: read (or refused) in linear time, never a hang
        unit = draw(st.sampled_from(["aB", "A", "aB-", "Ab ", "Yann LeCun, ", "(", "\\emph{"]))
        long = unit * (120_000 // len(unit))
        if fmt == "txt":
            data = f"CLJul 31, 2024\nTitle{long}\nan abstract\n".encode()
            return Case("structure", name, data, kwargs=kwargs, note="txt-long-line")
        data, expected = _with_long_text(fmt, long)
        return Case(
            "structure", name, data, expected=expected, rows=1, skipped=0, note=f"{fmt}-long-line"
        )
    else:
        return base  # big-int on a Python without a digit limit: the valid case instead
    if not name.endswith(".gz") and draw(st.integers(0, 5)) == 0:
        name, data = name + ".gz", _gzip(data)
    return Case(
        "structure", name, data, must_fail=must_fail, line=line, kwargs=kwargs, note=f"{fmt}-{kind}"
    )


def _append_row(data: bytes, row: bytes) -> tuple[bytes, int]:
    """`data` (a CSV) with `row` appended on a line of its own, and that line's number."""
    if not data.endswith((b"\n", b"\r")):
        data += b"\n"
    return data + row + b"\n", len(data.splitlines()) + 1


def _ragged(data: bytes) -> bytes:
    """One more column in the header line, so that every row is a field short."""
    lines = data.splitlines(keepends=True)
    head = lines[0]
    body = head.rstrip(b"\r\n")
    sep = b"\t" if b"\t" in body else b";" if body.count(b";") > body.count(b",") else b","
    return body + sep + b"extra" + head[len(body) :] + b"".join(lines[1:])


def _with_long_text(fmt: str, long: str) -> tuple[bytes, list[tuple]]:
    """A file of one record whose title and abstract are `long`, and the paper it must give."""
    rec = {"id": "a", "title": "t " + long[:60_000], "abstract": long}
    expected = [("a", squash(rec["title"]), long, (), False, (), (), None, False, ())]
    if fmt == "jsonl":
        return (json.dumps(rec) + "\n").encode(), expected
    if fmt == "json":
        return json.dumps([rec]).encode(), expected
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t" if fmt == "tsv" else ",")
    w.writerow(list(rec))
    w.writerow(list(rec.values()))
    return buf.getvalue().encode(), expected


# --------------------------------------------------------------------------- random mutations


@st.composite
def mutated_case(draw) -> Case:
    """A valid file with random damage: inserted bytes, a cut, a changed byte, a line dropped or
    repeated, gzip applied or faked. Anything may come of it, except a bug."""
    base = draw(valid_case())
    data = base.data if not base.name.endswith(".gz") else gzip.decompress(base.data)
    name = base.name.removesuffix(".gz")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["insert", "insert", "cut", "byte", "drop", "repeat", "swap"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data = data[:at] + draw(st.sampled_from(_INSERTS)) + data[at:]
        elif op == "cut":
            data = data[:at]
        elif op == "byte" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        else:
            lines = data.splitlines(keepends=True)
            if len(lines) > 1:
                k = draw(st.integers(0, len(lines) - 1))
                if op == "drop":
                    del lines[k]
                elif op == "repeat":
                    lines.insert(k, lines[k])
                else:
                    j = draw(st.integers(0, len(lines) - 1))
                    lines[k], lines[j] = lines[j], lines[k]
                data = b"".join(lines)
    if draw(st.integers(0, 4)) == 0:
        name += ".gz"
        packed = _gzip(data)
        data = packed if draw(st.booleans()) else packed[: draw(st.integers(0, len(packed)))]
    return Case("mutated", name, data, kwargs=base.kwargs, note=base.note)


# --------------------------------------------------------------------------- library files

_LIB_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ 019-,;:{}\\\"#%@=()$~^_&<>\n\t\r'é") + ["\u2028"]),
    max_size=24,
)


def _bib_entry(draw, i: int) -> str:
    kind = draw(st.sampled_from(["article", "ARTICLE", "inproceedings", "misc", "set"]))
    key = draw(st.sampled_from([f"k{i}", "", f"k{i}*x", "dup"]))
    fields = {
        "title": draw(_LIB_TEXT),
        "author": draw(st.sampled_from(["A. Ba and C. Du", "Ba, A.", "", "{Team X}", "a and"])),
        "year": draw(st.sampled_from(["2020", "20x", "", "{1999}"])),
        "abstract": draw(_LIB_TEXT),
        "doi": draw(st.sampled_from(["10.1/x", "https://doi.org/10.5/AB", "", "10/abc"])),
        "crossref": draw(st.sampled_from(["", f"k{i}", "k0", "nowhere"])),
        "month": draw(st.sampled_from(["jan", "{May}", "13", "undefinedmacro"])),
    }
    opener, closer = draw(st.sampled_from([("{", "}"), ("(", ")")]))
    shapes = st.sampled_from(["{%s}", '"%s"'])
    body = ",\n".join(f"  {k} = " + draw(shapes) % v for k, v in fields.items())
    return f"@{kind}{opener}{key},\n{body}\n{closer}\n"


def _ris_record(draw) -> str:
    tags = [("TY", draw(st.sampled_from(["JOUR", "GEN", "??"])))]
    tags += [("TI", draw(_LIB_TEXT)), ("AU", draw(_LIB_TEXT)), ("AB", draw(_LIB_TEXT))]
    tags += [("PY", draw(st.sampled_from(["2020", "x", "2020/01/02/"]))), ("DO", "10.1/r")]
    lines = [f"{t}  - {v}" for t, v in tags] + [draw(_LIB_TEXT), "ER  - "]
    return "\n".join(lines) + "\n"


def _csl_item(draw) -> dict:
    item: dict[str, Any] = {"type": draw(st.sampled_from(["article-journal", "report", "x"]))}
    item["title"] = draw(st.one_of(_LIB_TEXT, st.integers(), st.none(), st.lists(_LIB_TEXT)))
    item["author"] = draw(
        st.sampled_from([[{"family": "Ba", "given": "A"}], [{"literal": "X"}], "Ba", [1], None])
    )
    item["issued"] = draw(
        st.sampled_from([{"date-parts": [[2020, 1]]}, {"date-parts": [["x"]]}, 5, {}])
    )
    item["DOI"] = draw(st.sampled_from(["10/abc", "10.1/A", 7, ""]))
    item["abstract"] = draw(_LIB_TEXT)
    return item


def _xml_text(draw) -> str:
    from xml.sax.saxutils import escape

    return escape(draw(_LIB_TEXT).replace("\x00", ""))


@st.composite
def library_case(draw) -> Case:
    """A small reference-manager file (BibTeX, RIS, CSL-JSON, Better BibTeX JSON, EndNote
    XML, Zotero RDF) of random text, maybe damaged (cut, a brace or quote inserted): the
    readers must give well-typed papers or a one-line error, never a traceback or a hang."""
    fmt = draw(st.sampled_from(["bib", "ris", "csl", "bbt", "xml", "rdf"]))
    n = draw(st.integers(1, 4))
    if fmt == "bib":
        name, text_ = "lib.bib", "@string{dtv = {Deutscher}}\n"
        text_ += "".join(_bib_entry(draw, i) for i in range(n))
    elif fmt == "ris":
        name, text_ = "lib.ris", "".join(_ris_record(draw) for _ in range(n))
    elif fmt in ("csl", "bbt"):
        items = [_csl_item(draw) for _ in range(n)]
        if fmt == "bbt":
            items = [{"itemType": i["type"], "title": i["title"], "DOI": i["DOI"]} for i in items]
        name = "lib.json"
        text_ = json.dumps(items if fmt == "csl" else {"items": items}, ensure_ascii=False)
    elif fmt == "xml":
        records = "".join(
            f"<record><titles><title><style>{_xml_text(draw)}</style></title></titles>"
            f"<abstract>{_xml_text(draw)}</abstract><dates><year>2020</year></dates></record>"
            for _ in range(n)
        )
        name, text_ = "lib.xml", f'<?xml version="1.0"?><xml><records>{records}</records></xml>'
    else:
        nodes = "".join(
            f'<bib:Article rdf:about="#a{i}"><z:itemType>journalArticle</z:itemType>'
            f"<dc:title>{_xml_text(draw)}</dc:title></bib:Article>"
            for i in range(n)
        )
        name = "lib.rdf"
        text_ = (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:z="http://www.zotero.org/namespaces/export#" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:bib="http://purl.org/net/biblio#">{nodes}</rdf:RDF>'
        )
    data = text_.encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["cut", "insert"]))
        if op == "cut":
            data = data[:at]
        else:
            data = (
                data[:at] + draw(st.sampled_from([b"{", b"}", b'"', b"@", b"<", b"\n"])) + data[at:]
            )
    return Case("library", name, data, note=fmt)


def library_special_cases() -> list[Case]:
    """Named hard cases for the library readers: each must read or be a one-line error."""
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<xml><records><record><titles><title>&lol2;</title></titles></record></records></xml>"
    )
    external = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<xml><records><record><titles><title>&e;</title></titles></record></records></xml>"
    )
    loop = (
        "@inproceedings{a, title={A}, crossref={b}}\n@proceedings{b, title={B}, crossref={a}}\n"
        "@inproceedings{c, title={C}, crossref={c}}\n"
    )
    return [
        Case("library", "trunc.bib", b"@article{a, title={Deep", note="truncated bib"),
        Case(
            "library",
            "unbalanced.bib",
            b"@article{a, title={A {b}\n@article{b, title={B}}\n",
            note="unbalanced braces",
        ),
        Case(
            "library",
            "macro.bib",
            b"@article{a, title=nomacro # {x}, journal=undefined}\n",
            note="undefined macro",
        ),
        Case("library", "loop.bib", loop.encode(), note="crossref loop"),
        Case("library", "empty.bib", b"", must_fail=True, note="empty bib"),
        Case("library", "junk.bib", b"hello world\n", must_fail=True, note="no entries"),
        Case(
            "library", "trunc.ris", b"TY  - JOUR\nTI  - A title\nAB  - An abs", note="truncated ris"
        ),
        Case("library", "laughs.xml", laughs.encode(), must_fail=True, note="billion laughs"),
        Case("library", "external.xml", external.encode(), must_fail=True, note="external entity"),
        Case(
            "library",
            "trunc.xml",
            b"<xml><records><record><titles>",
            must_fail=True,
            note="truncated xml",
        ),
        Case(
            "library",
            "trunc.json",
            b'[{"type": "article", "title": "A", "issued": {',
            must_fail=True,
            note="truncated csl",
        ),
        Case("library", "trunc.rdf", b"<rdf:RDF xmlns:rdf=", must_fail=True, note="truncated rdf"),
    ]


# --------------------------------------------------------------------------- special paths


def path_cases() -> list[Case]:
    """Paths that are not regular files: each must be a one-line error naming the path."""
    return [
        Case("path", "folder.jsonl", special="dir", must_fail=True, note="directory"),
        Case("path", "missing.csv", special="missing", must_fail=True, note="missing"),
        Case("path", "pipe.csv", special="fifo", must_fail=True, note="fifo"),
        Case("path", "pipe.jsonl.gz", special="fifo", must_fail=True, note="fifo-gz"),
        Case("path", "null.json", special="device", must_fail=True, note="/dev/null"),
        Case("path", "loop.txt", special="loop", must_fail=True, note="symlink loop"),
        Case("path", "dangling.tsv", special="dangling", must_fail=True, note="dangling link"),
        Case("path", "notes.docx", data=b"hello", must_fail=True, note="unknown suffix"),
        Case("path", "empty.jsonl", data=b"", must_fail=True, note="empty"),
    ]


@st.composite
def any_case(draw) -> Case:
    """Any of the families above, for the benchmark (weights in sixteenths)."""
    k = draw(st.integers(0, 15))
    if k < 5:
        return draw(valid_case())
    if k < 7:
        return draw(wrong_type_case())
    if k < 8:
        return draw(st.one_of(surrogate_case(), id_in_slug_file_case()))
    if k < 11:
        return draw(structure_case())
    if k < 15:
        return draw(mutated_case())
    return draw(st.sampled_from(path_cases()))


# --------------------------------------------------------------------------- running a case


@dataclass
class Outcome:
    kind: str  # one of GOOD or BAD
    detail: str = ""


class _Hang(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` swallows it."""


def _on_alarm(signum, frame):  # pragma: no cover - only on a hang
    raise _Hang


def materialise(case: Case, folder: Path) -> Path:
    """Create the case's file (or special path) in `folder`; returns the path to read."""
    path = folder / case.name
    if case.special is None:
        path.write_bytes(case.data or b"")
    elif case.special == "dir":
        path.mkdir()
    elif case.special == "fifo":
        os.mkfifo(path)
    elif case.special == "device":
        path.symlink_to("/dev/null")
    elif case.special == "loop":
        path.symlink_to(path.name)
    elif case.special == "dangling":
        path.symlink_to(folder / "nowhere")
    return path


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DATE = re.compile(r"\d{4}(-\d\d(-\d\d)?)?", re.ASCII)


def type_problems(papers: list[Any]) -> list[str]:
    """Every way a paper of a corpus breaks the typing rules (empty when all is well)."""
    problems = []

    def strings(value, what, p, nonblank=True):
        if not isinstance(value, str):
            problems.append(f"{p.id!r}: {what} is {type(value).__name__}")
            return
        if nonblank and not value.strip():
            problems.append(f"{p.id!r}: {what} is blank")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(f"{p.id!r}: {what} cannot be written as UTF-8")

    for p in papers:
        strings(p.id, "id", p)
        if isinstance(p.id, str) and (p.id != p.id.strip() or _CONTROL.search(p.id)):
            problems.append(f"{p.id!r}: the id has outer white space or a control character")
        strings(p.title, "title", p)
        if isinstance(p.title, str) and p.title != squash(p.title):
            problems.append(f"{p.id!r}: the title's white space is not normalised")
        strings(p.abstract, "abstract", p, nonblank=not getattr(p, "no_abstract", False))
        if getattr(p, "no_abstract", False) == bool(p.abstract):
            problems.append(f"{p.id!r}: no_abstract is {p.no_abstract} with {p.abstract!r}")
        for what in ("authors", "affiliations", "categories"):
            values = getattr(p, what)
            if not isinstance(values, tuple):
                problems.append(f"{p.id!r}: {what} is {type(values).__name__}")
                continue
            for v in values:
                strings(v, what, p)
        if not isinstance(p.et_al, bool) or not isinstance(p.has_code, bool):
            problems.append(f"{p.id!r}: et_al/has_code not a bool")
        if p.date is not None and not (isinstance(p.date, str) and _DATE.fullmatch(p.date)):
            problems.append(f"{p.id!r}: date {p.date!r}")
        if p.date is not None and isinstance(p.date, str) and not int(p.date[:4]) >= 1000:
            problems.append(f"{p.id!r}: year {p.date!r} out of range")
        for pair in p.extra:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                problems.append(f"{p.id!r}: extra {pair!r}")
                continue
            strings(pair[0], "extra key", p, nonblank=False)
            strings(pair[1], "extra value", p)
    return problems


def run_case(case: Case, workdir: Path | None = None) -> Outcome:
    """Read `case` with `read_corpus` under an alarm of TIMEOUT_S and classify the outcome."""
    from explorer.papers import ExplorerError
    from explorer.readers import read_corpus
    from explorer.readers.common import SlugAllocator

    folder = Path(tempfile.mkdtemp(dir=workdir))
    alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGALRM, _on_alarm) if alarm else None
    try:
        path = materialise(case, folder)
        if alarm:
            signal.alarm(TIMEOUT_S)
        try:
            corpus = read_corpus(str(path), **case.kwargs)
            papers = list(corpus)
            corpus.to_jsonl().encode("utf-8")  # what a build saves
            corpus.content_hash  # noqa: B018 - hashes every id and text as UTF-8
        finally:
            if alarm:
                signal.alarm(0)
    except _Hang:
        return Outcome("hang", f"still reading after {TIMEOUT_S} s")
    except ExplorerError as e:
        message = str(e)
        where = str(path)
        if "\n" in message or "\r" in message or _CONTROL.search(message.replace("\t", " ")):
            return Outcome("bad-error", f"not one line: {message!r}")
        if not message.startswith(where):
            return Outcome("bad-error", f"does not name the file {where!r}: {message!r}")
        if case.expected is not None:
            return Outcome("bad-error", f"refused a valid file: {message!r}")
        if case.line is not None and not message.startswith(f"{where}:{case.line}: "):
            return Outcome("bad-error", f"expected line {case.line}: {message!r}")
        if case.field is not None and repr(case.field) not in message:
            return Outcome("bad-error", f"does not name the field {case.field!r}: {message!r}")
        return Outcome("error", message)
    except Exception:  # noqa: BLE001 - the very thing being looked for
        return Outcome("traceback", traceback.format_exc(limit=-6))
    finally:
        if alarm:
            signal.signal(signal.SIGALRM, old)
        _remove(folder)
    problems = type_problems(papers)
    if problems:
        return Outcome("silent", "; ".join(problems[:5]))
    if case.must_fail:
        return Outcome("silent", f"read {len(papers)} papers from a file that must fail")
    if case.expected is None:
        return Outcome("typed")
    expected = list(case.expected)
    if case.slugs:
        slugs = SlugAllocator()
        expected = [(slugs.allocate(e[1], e[2]),) + tuple(e[1:]) for e in expected]
    got = [paper_tuple(p) for p in papers]
    if got != expected:
        diff = next(
            (
                f"paper {i}: got {g!r}, expected {e!r}"
                for i, (g, e) in enumerate(zip(got, expected, strict=True))
                if g != e
            ),
            f"{len(got)} papers, expected {len(expected)}",
        )
        return Outcome("silent", diff[:2000])
    if case.rows is not None and (corpus.stats.rows, corpus.stats.skipped_no_abstract) != (
        case.rows,
        case.skipped,
    ):
        return Outcome(
            "silent", f"stats {corpus.stats}, expected rows={case.rows} skipped={case.skipped}"
        )
    return Outcome("exact")


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)  # unlinks FIFOs and links, never follows them
