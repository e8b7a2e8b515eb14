"""`explorer topics rename|merge|move|edits|undo`: topic edits, kept per corpus (edits.json)."""

from __future__ import annotations

import json
from typing import Any

import click

from explorer.cli.options import corpus_option, errors, open_corpus


def _open(ctx: click.Context, corpus: str | None) -> Any:
    """The corpus named here or before the command (`explorer topics -c NAME rename …`)."""
    given = corpus or (ctx.parent.params.get("corpus") if ctx.parent else None)
    return open_corpus(given)


def _done(edit: dict[str, Any]) -> None:
    from explorer.maps.edits import describe

    click.echo(describe(edit))


@click.command()
@corpus_option
@click.argument("key")
@click.argument("label")
@click.pass_context
@errors
def rename(ctx: click.Context, corpus: str | None, key: str, label: str) -> None:
    """Label topic KEY (LEVEL.ID, or an id at the map's own level) LABEL."""
    _done(_open(ctx, corpus).rename_topic(key, label))


@click.command()
@corpus_option
@click.argument("a")
@click.argument("b")
@click.pass_context
@errors
def merge(ctx: click.Context, corpus: str | None, a: str, b: str) -> None:
    """Merge topic B into topic A (one level): A keeps its label; B's papers and children
    join A."""
    _done(_open(ctx, corpus).merge_topics(a, b))


@click.command()
@corpus_option
@click.argument("paper")
@click.argument("key")
@click.pass_context
@errors
def move(ctx: click.Context, corpus: str | None, paper: str, key: str) -> None:
    """Move PAPER (an id or a title) into topic KEY (and KEY's parents; below KEY, its
    biggest child)."""
    _done(_open(ctx, corpus).move_paper(paper, key))


@click.command()
@corpus_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
@errors
def edits(ctx: click.Context, corpus: str | None, as_json: bool) -> None:
    """The corpus's topic edits, oldest first, numbered for `undo`; those this map could not
    keep (their topic is gone after a rebuild) say why."""
    found = _open(ctx, corpus).topic_edits()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no topic edits", err=True)
    for e in found:
        click.echo(
            f"{e['n']:>3}  {e['edit']}"
            + (f"  (NOT KEPT: {e['not_kept']})" if e["not_kept"] else "")
        )


@click.command()
@corpus_option
@click.argument("n", type=int, default=-1)
@click.pass_context
@errors
def undo(ctx: click.Context, corpus: str | None, n: int) -> None:
    """Drop topic edit N (as `explorer topics edits` numbers it; default: the newest)."""
    gone = _open(ctx, corpus).undo_edit(n)
    from explorer.maps.edits import describe

    click.echo(f"undone: {describe(gone)}")


COMMANDS = (rename, merge, move, edits, undo)
