"""The command line: thin over the Python API. Results on stdout, messages on stderr."""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from explorer.papers import ExplorerError, Hit
from explorer.search import check_k


def _errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a library error into one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except ExplorerError as e:
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; everything already built is kept") from None

    return wrapper


def _corpus_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--corpus", "-c", default=None, metavar="NAME",
        help="A built corpus (default: the seed corpus, built on first use).",
    )(f)


def _output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")(f)
    f = click.option("-k", "k", type=int, default=10, show_default=True, help="How many papers.")(f)
    return f


def _open(corpus: str | None):
    from explorer.workspace import SEED_NAME, Explorer

    if corpus is None or corpus == SEED_NAME:
        return Explorer.open_or_build_seeds()
    return Explorer.open(corpus)


def _print_hits(hits: list[Hit], as_json: bool, k: int, pool: str = "papers") -> None:
    if len(hits) < k:
        click.echo(f"note: asked for {k}, but there are only {len(hits)} {pool}", err=True)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    # Ids are never cut (they are what you copy into the next command); titles are cut to the
    # terminal's width only when a person is reading a terminal.
    id_w = max((len(h.paper.id) for h in hits), default=2)
    title_w = None
    if sys.stdout.isatty():
        title_w = max(20, shutil.get_terminal_size((100, 20)).columns - id_w - 20)
    click.echo(f"{'#':>3}  {'score':>5}  {'year':>4}  {'id':<{id_w}}  title")
    for h in hits:
        title = h.paper.title
        if title_w is not None and len(title) > title_w:
            title = title[: title_w - 1] + "…"
        year = h.paper.year or ""
        click.echo(f"{h.rank:>3}  {h.score:5.3f}  {year:>4}  {h.paper.id:<{id_w}}  {title}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="explorer")
def main() -> None:
    """Find related papers and map the landscape of a corpus, offline on a CPU."""


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_corpus_option
@click.option("--model", default=None, help="Model name or local path (default: bundled all-MiniLM-L6-v2).")
@click.option("--listing-year", type=int, default=None, help="Year for year-less dates in seed listings.")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="Map a field to your column name, e.g. --column abstract=summary.")
@_errors
def build(files: tuple[Path, ...], corpus: str | None, model: str | None,
          listing_year: int | None, columns: tuple[str, ...]) -> None:
    """Read FILES (default: the seed corpus), embed what is new, and index them."""
    from explorer.workspace import Explorer

    mapping = {}
    for c in columns:
        field, sep, col = c.partition("=")
        if not sep or not field or not col:
            raise ExplorerError(f"--column takes FIELD=COLUMN, got {c!r}")
        mapping[field.strip()] = col.strip()
    ex = Explorer.build(list(files), name=corpus, model=model, listing_year=listing_year,
                        columns=mapping or None)
    assert ex.report is not None
    click.echo(ex.report.summary(), err=True)
    click.echo(str(ex.report.path))


@main.command()
@click.argument("query")
@_corpus_option
@_output_options
@_errors
def related(query: str, corpus: str | None, k: int, as_json: bool) -> None:
    """Papers related to a paper of the corpus, given by ID or (partial) TITLE."""
    check_k(k)
    ex = _open(corpus)
    match = ex.find(query)
    click.echo(match.describe(), err=True)
    _print_hits(ex.related(match.paper.id, k=k), as_json, k, "other papers in the corpus")


@main.command()
@click.argument("text")
@_corpus_option
@_output_options
@_errors
def search(text: str, corpus: str | None, k: int, as_json: bool) -> None:
    """Papers related to free TEXT: a phrase or a whole draft abstract ('-' reads stdin)."""
    check_k(k)
    if text == "-":
        text = sys.stdin.read()
    ex = _open(corpus)
    _print_hits(ex.search(text, k=k), as_json, k, "papers in the corpus")


if __name__ == "__main__":
    main()
