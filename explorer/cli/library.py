"""A researcher's library against a corpus (`explorer new`, `related --library`), and results
written to a file a reference manager reads (`--export FILE`)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from explorer.atomic import write_text
from explorer.cli.options import (
    SCORES_HELP,
    corpus_option,
    errors,
    open_corpus,
    parse_ids,
    ranking_options,
    show_hits,
)
from explorer.libraries import NEW_DAYS
from explorer.papers import ExplorerError, Hit
from explorer.search.query import COMBINES, DEFAULT_COMBINE, check_k
from explorer.search.ranking import parse_since
from explorer.web.exports import FORMATS as EXPORT_FORMATS
from explorer.web.exports import export

# --export FILE: the format by the file's suffix
EXPORT_SUFFIXES = {f".{suffix}": name for name, (suffix, _) in EXPORT_FORMATS.items()}


def export_format(path: Path) -> str:
    """The export format for a file name, or a one-line error naming the suffixes."""
    fmt = EXPORT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXPORT_SUFFIXES))
        raise ExplorerError(f"--export {path}: unknown suffix {path.suffix!r} (use {known})")
    return fmt


def export_hits(hits: Sequence[Hit], path: Path) -> None:
    """The hits' papers, in rank order, written atomically to `path` (format by suffix)."""
    fmt = export_format(path)
    try:
        write_text(path, export([h.paper for h in hits], fmt))
    except OSError as e:
        raise ExplorerError(f"--export {path}: {e.strerror}") from None
    click.echo(f"exported {len(hits)} papers to {path}", err=True)


def export_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--export",
        "export_to",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="FILE",
        help="Also write the results to FILE, in the format of its suffix "
        f"({', '.join(sorted(EXPORT_SUFFIXES))}).",
    )(f)


def library_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--library",
        "libraries",
        multiple=True,
        metavar="FILE|CORPUS",
        help="Your library as examples: its files (BibTeX, RIS, CSL-JSON, JSON Lines, …; "
        "repeatable) or a built corpus. Its papers are never returned.",
    )(f)


def library_source(libraries: Sequence[str]) -> str | list[str]:
    """One name (a file or a built corpus) as is; several are files."""
    return libraries[0] if len(libraries) == 1 else list(libraries)


def print_library_why(hits: Sequence[Hit]) -> None:
    """Under the table, each hit's closest library papers."""
    width = shutil.get_terminal_size((100, 20)).columns - 10 if sys.stdout.isatty() else None
    click.echo("")
    for h in hits:
        near = (h.why or {}).get("library", [])
        line = "; ".join(f"{n['title']} ({n['cosine']:.2f})" for n in near)
        line = f"{h.rank:>3}  like: {line}"
        if width is not None and len(line) > width:
            line = line[: width - 1] + "…"
        click.echo(line)


@click.command(epilog=SCORES_HELP)
@click.option(
    "--library",
    "libraries",
    multiple=True,
    required=True,
    metavar="FILE|CORPUS",
    help="Your library: its files (BibTeX, RIS, CSL-JSON, JSON Lines, …; repeatable) or a "
    "built corpus.",
)
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help=f"Papers dated on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY; default: the last "
    f"{NEW_DAYS} days of the corpus's listing).",
)
@click.option(
    "--combine",
    type=click.Choice(COMBINES),
    default=DEFAULT_COMBINE,
    show_default=True,
    help="How the library's papers combine (see `related --help`).",
)
@corpus_option
@ranking_options
@export_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("-k", "k", type=int, default=50, show_default=True, help="How many papers.")
@errors
def new(
    libraries: tuple[str, ...],
    since: str | None,
    combine: str,
    corpus: str | None,
    mode: str | None,
    years: str | None,
    categories: tuple[str, ...],
    author: str | None,
    ids: tuple[str, ...],
    topics: tuple[str, ...],
    diverse: float | None,
    explain: bool,
    export_to: Path | None,
    as_json: bool,
    k: int,
) -> None:
    """New papers of the corpus most like your library: the daily "what should I read".

    Your library's papers that the corpus holds (same id, DOI, arXiv id, or title and first
    author) are examples and never results; the others are embedded (once: cached). Each result
    names the library papers it is closest to.
    """
    check_k(k)
    if export_to is not None:
        export_format(export_to)
    if since is not None:
        parse_since(since)  # a mistake there before anything is read
    ex = open_corpus(corpus)
    since = since or ex.recent_since()
    lib = ex.library(library_source(libraries))
    click.echo(lib.describe(), err=True)
    hits = ex.related(
        library=lib,
        since=since,
        k=k,
        mode=mode,
        years=years,
        categories=categories,
        author=author,
        ids=parse_ids(ids),
        topic=list(topics) or None,
        diverse=diverse,
        explain=explain,
        combine=combine,
    )
    show_hits(hits, as_json, k, f"papers dated {since} or later", explain, "")
    if hits and not as_json:
        print_library_why(hits)
    if export_to is not None:
        export_hits(hits, export_to)
