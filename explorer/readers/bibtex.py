r"""BibTeX and BibLaTeX (`.bib`, `.bibtex`, `.biblatex`), split by bibtexparser 2.

The file is split into blocks by bibtexparser (braced `@article{…}` and parenthesised
`@article(…)` entries alike, any case of the type); the values are then resolved here, so
that every rule is explorer's own:
- `@string` macros are expanded, in file order (a macro may use the ones before it), and
  `#` joins pieces (`dtv # { and Walter de Gruyter}`). A name no `@string` defines stays as
  its own text (`MCDERMOTT # { and G. Sussman}` -> "MCDERMOTT and G. Sussman"); a month name
  (`jan`) is a month.
- Field names compare case-insensitively; a repeated field: the first wins. A repeated
  citation key is still read (an entry, merged later by identity if it is the same paper);
  an empty key (`@article{,`) too. A block bibtexparser cannot split is skipped, counted and
  named by its key and line; the rest of the file is read.
- `crossref` (and biblatex `xdata`) fill the fields an entry lacks from the entry it names,
  wherever that is in the file (a parent's `title` becomes the child's `booktitle`), following
  chains up to 8 deep; a loop or a dangling name fills nothing more.
- `@set`, `@xdata`, `@comment`, `@preamble` are not papers (a set is counted as skipped).
- The text of each field is LaTeX decoded (accents, commands, protecting braces, math):
  title, abstract, names, venue (`journaltitle`, `journal`, `booktitle`), keywords (split at
  `,`/`;`). Names: `author`, else `editor`, split by bibtexparser's BibTeX name rules into
  "Given Family".
- Date: biblatex `date` (`2019-11-25`, a range's start), else `year` (its four digits) with
  `month`. DOI: `doi`, else one in `url`, `note` or `howpublished`. arXiv id: `eprint`
  (where `eprinttype`/`archiveprefix` is arXiv or the value is an arXiv id), else an arXiv
  URL or `arXiv:` id in `url`, `journal` or `note`.
- `Paper.entry` keeps the type and every field as resolved (macros expanded, LaTeX kept), so
  that the writer gives the entry back.
A file bibtexparser cannot split at all is one error naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from explorer import ids
from explorer.papers import Paper, ReadStats
from explorer.readers.common import fail, month_number, read_text
from explorer.readers.library import Entry, Library, latex_text, library_date, split_keywords

_NOT_PAPERS = {"comment", "preamble", "string", "xdata"}
_CROSSREF_DEPTH = 8
_KEY_OF = re.compile(r"@\s*[A-Za-z]+\s*[{(]\s*([^,\s{}()]*)")
# A parent's field as the child takes it (biblatex's inheritance, the common cases).
_INHERIT_AS = {"title": "booktitle", "subtitle": "booksubtitle", "shorttitle": ""}


def _pieces(value: str) -> list[str]:
    """`a # {b # c} # "d"` -> ["a", "{b # c}", '"d"']: split at `#` outside braces and quotes."""
    out, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if i and value[i - 1] == "\\":  # `\{`, `\}`, `\"`, `\#` are text
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            out.append(value[start:i].strip())
            start = i + 1
    out.append(value[start:].strip())
    return out


def resolve(value: str, strings: dict[str, str]) -> str:
    """A field's raw value with its enclosing braces or quotes gone, macros expanded (see the
    module's rules) and `#` pieces joined."""
    parts = [value.strip()] if "#" not in value else _pieces(value)
    out = []
    for part in parts:
        if (
            len(part) >= 2
            and part[0] == "{"
            and part[-1] == "}"
            or len(part) >= 2
            and part[0] == '"'
            and part[-1] == '"'
        ):
            out.append(part[1:-1])
        elif part.isdigit():
            out.append(part)
        else:
            out.append(strings.get(part.lower(), part))
    return "".join(out)


def _fields(block, strings: dict[str, str]) -> list[tuple[str, str]]:
    """An entry's fields, names lower-cased, values resolved; a repeated name: the first."""
    seen: set[str] = set()
    out = []
    for f in block.fields:
        name = str(f.key).strip().lower()
        if name in seen or not name:
            continue
        seen.add(name)
        out.append((name, resolve(str(f.value), strings)))
    return out


def _names(value: str) -> list[str]:
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    names = []
    for raw in split_multiple_persons_names(value):
        if raw.strip().lower() == "others":
            continue
        try:
            parts = parse_single_name_into_parts(raw, strict=False)
            given = " ".join(parts.first + parts.von)
            family = " ".join(parts.last + parts.jr)
            name = f"{given} {family}".strip()
        except Exception:  # a name bibtexparser cannot split: kept whole
            name = raw
        names.append(latex_text(name))
    return [n for n in names if n]


def _entry(key: str, kind: str, fields: dict[str, str], raw: list[tuple[str, str]]) -> Entry:
    def text(*names: str) -> str:
        return next((latex_text(fields[n]) for n in names if fields.get(n, "").strip()), "")

    month = fields.get("month", "").strip()
    month = month if month.isdigit() or month_number(month) else ""
    doi = fields.get("doi", "").strip()
    doi = ids.doi(doi) or ids.find_doi(doi) or ""
    notes = " ".join(fields.get(n, "") for n in ("url", "note", "howpublished"))
    doi = doi or ids.find_doi(notes) or ""
    eprint = fields.get("eprint", "").strip()
    archive = (fields.get("eprinttype") or fields.get("archiveprefix") or "").strip().lower()
    arxiv = ids.arxiv_id(eprint) if eprint and archive in ("", "arxiv") else None
    arxiv = arxiv or ids.find_arxiv(notes + " " + fields.get("journal", ""))
    url = next(iter(re.split(r"[\s;]+", fields.get("url", "").strip())), "") or None
    return Entry(
        key=key,
        title=text("title"),
        abstract=text("abstract"),
        authors=_names(fields.get("author") or fields.get("editor") or ""),
        date=library_date(fields.get("date"), fields.get("year"), month),
        venue=text("journaltitle", "journal", "booktitle", "eventtitle") or None,
        keywords=split_keywords(latex_text(fields.get("keywords", ""))),
        url=url,
        doi=doi or None,
        arxiv=arxiv,
        kind=kind,
        raw=raw,
    )


def _inherit(key: str, fields: dict[str, str], by_key: dict[str, dict[str, str]]) -> dict[str, str]:
    """`fields` with what its `crossref`/`xdata` chain gives (see the module's rules)."""
    out = dict(fields)
    seen = {key}
    parent = (fields.get("crossref") or fields.get("xdata") or "").strip()
    for _ in range(_CROSSREF_DEPTH):
        if not parent or parent in seen or parent not in by_key:
            break
        seen.add(parent)
        got = by_key[parent]
        for name, value in got.items():
            target = _INHERIT_AS.get(name, name)
            if target and target not in out and name not in ("crossref", "xdata", "ids"):
                out[target] = value
        parent = (got.get("crossref") or got.get("xdata") or "").strip()
    return out


def read_bibtex(path: Path, source: str) -> tuple[list[Paper], ReadStats]:
    """Read a BibTeX/BibLaTeX file (the rules are the module's docstring)."""
    import bibtexparser
    from bibtexparser import model

    text = read_text(path, source)
    try:
        lib = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as e:  # bibtexparser's own failures on text it cannot split
        raise fail(source, None, f"not readable as BibTeX ({type(e).__name__}: {e})") from None
    strings: dict[str, str] = {}
    entries = []  # (line, key, type, fields), file order
    out = Library(source, "bibtex")
    for block in lib.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, model.String):
            strings[str(block.key).lower()] = resolve(str(block.value), strings)
        elif isinstance(block, model.Entry):
            entries.append((line, block))
        elif isinstance(block, model.ParsingFailedBlock):
            inner = block.ignore_error_block
            if isinstance(inner, model.Entry):  # a repeated key or field: read all the same
                entries.append((line, inner))
            else:
                m = _KEY_OF.search(block.raw or "")
                what = str(block.error).split("\n")[0][:80]
                out.skip(m.group(1) if m else "", f"unreadable: {what}", line)
    read = []
    for line, block in entries:
        kind = str(block.entry_type).lower()
        if kind in _NOT_PAPERS:
            continue
        raw = _fields(block, strings)
        read.append((line, str(block.key), kind, raw))
    by_key: dict[str, dict[str, str]] = {}
    for _, key, _, raw in read:
        by_key.setdefault(key, dict(raw))
    for line, key, kind, raw in read:
        if kind == "set":
            out.skip(key, "a set of entries, not a paper", line)
            continue
        fields = _inherit(key, dict(raw), by_key)
        out.add(_entry(key, kind, fields, raw), line)
    if out.stats.rows == 0:
        raise fail(source, None, "no BibTeX entries (is it a .bib file?)")
    return out.result()
