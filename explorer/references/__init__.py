"""Papers back out to a reference manager: BibTeX, RIS and CSL-JSON writers.

`write(papers, fmt)` gives the text of a file in one of `FORMATS`; `format_for(path)` picks
the format from a file name's suffix (`.bib`, `.ris`, `.json`) for `--export FILE`. A paper
read from a library file keeps its citation key, entry type and fields when written back in
its own format (`Paper.entry`); in another format, and for papers from other sources, each
writer maps `Paper`'s fields (see each module). Every writer escapes what its format needs,
so that no field can end an entry or start a command: the readers give the same papers back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from explorer.papers import ExplorerError, Paper
from explorer.references.bibtex import to_bibtex
from explorer.references.csl import to_csl_json
from explorer.references.ris import to_ris

__all__ = ["FORMATS", "format_for", "to_bibtex", "to_csl_json", "to_ris", "write"]

# format -> (file suffix, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "bibtex": ("bib", "application/x-bibtex"),
    "ris": ("ris", "application/x-research-info-systems"),
    "csl-json": ("json", "application/vnd.citationstyles.csl+json"),
}
_SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".biblatex": "bibtex", ".ris": "ris"}
_SUFFIXES[".json"] = "csl-json"


def write(papers: Sequence[Paper], fmt: str) -> str:
    """The papers as the text of a `fmt` file ("bibtex", "ris" or "csl-json")."""
    writers = {"bibtex": to_bibtex, "ris": to_ris, "csl-json": to_csl_json}
    if fmt not in writers:
        raise ExplorerError(f"unknown export format {fmt!r} (choose from: {', '.join(FORMATS)})")
    return writers[fmt](papers)


def format_for(path: str | Path) -> str:
    """The export format a file name asks for: `.bib`/`.bibtex`/`.biblatex` BibTeX, `.ris`
    RIS, `.json` CSL-JSON; any other suffix is an ExplorerError naming the file."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ExplorerError(
            f"{path}: unknown export format {suffix or '(no suffix)'!r} (use .bib, .ris or .json)"
        )
    return _SUFFIXES[suffix]
