"""`explorer map` and `topics`: the landscape as an HTML page and as a list."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from explorer.cli.options import (
    corpus_option,
    errors,
    landscape_options,
    open_corpus,
    settings_from,
)
from explorer.maps.figure import COLOR_BY
from explorer.maps.topics import Topic
from explorer.papers import ExplorerError
from explorer.search.query import check_k


@click.command(name="map")
@corpus_option
@click.option(
    "--color-by",
    type=click.Choice(COLOR_BY),
    default="cluster",
    show_default=True,
)
@click.option(
    "--highlight",
    metavar="QUERY",
    default=None,
    help="Mark a paper (id or title) or free text, and its k related papers.",
)
@click.option("-k", "k", type=int, default=10, show_default=True, help="How many to highlight.")
@click.option(
    "--library",
    "libraries",
    multiple=True,
    metavar="FILE|CORPUS",
    help="Draw your library (hollow markers, a legend entry) and mark the k papers most like "
    "it: its files (BibTeX, RIS, CSL-JSON, JSON Lines, …; repeatable) or a built corpus.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the HTML (default: the corpus's map.html; with other options, a "
    "one-off page in <corpus>/views/, never over the corpus's map).",
)
@landscape_options
@errors
def map_(
    corpus: str | None,
    color_by: str,
    highlight: str | None,
    k: int,
    libraries: tuple[str, ...],
    out: Path | None,
    seed: int | None,
    min_cluster_size: int | str | None,
    assign_noise: bool | None,
) -> None:
    """Write the corpus's interactive map as one self-contained HTML file; print its path.

    The options shape this map only; `explorer build --min-cluster-size …` changes the
    corpus's own."""
    check_k(k)
    ex = open_corpus(corpus)
    settings = settings_from(ex.settings, seed, min_cluster_size, assign_noise)
    library = (libraries[0] if len(libraries) == 1 else list(libraries)) if libraries else None
    path = ex.write_map(
        out, color_by=color_by, highlight=highlight, k=k, settings=settings, library=library
    )
    click.echo(str(path))


@click.group(invoke_without_command=True)
@corpus_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (an array; with --tree, the tree)."
)
@click.option(
    "-n",
    "n_titles",
    type=int,
    default=3,
    show_default=True,
    help="Representative titles per topic.",
)
@click.option(
    "--level",
    type=int,
    default=None,
    help="A level of the topic tree: 0 the coarsest (default: the map's own topics).",
)
@click.option("--tree", "as_tree", is_flag=True, help="Every level, children under their parent.")
@click.option(
    "--grown-since",
    metavar="DATE",
    default=None,
    help="Only topics with papers dated on or after DATE (YYYY-MM-DD), by how many.",
)
@landscape_options
@click.pass_context
@errors
def topics(
    ctx: click.Context,
    corpus: str | None,
    as_json: bool,
    n_titles: int,
    level: int | None,
    as_tree: bool,
    grown_since: str | None,
    seed: int | None,
    min_cluster_size: int | str | None,
    assign_noise: bool | None,
) -> None:
    """The corpus's topics: label, size and the papers closest to each topic's centre; with
    --level or --tree, the topic tree's (fields, topics, finer topics). Its commands edit
    them (rename, merge, move; kept through rebuilds): see `explorer topics edits --help`."""
    if ctx.invoked_subcommand is not None:
        return
    ex = open_corpus(corpus)
    land = ex.landscape(settings_from(ex.settings, seed, min_cluster_size, assign_noise))
    tree = land.tree
    lv = tree.check(level)
    new = grown(ex, tree.levels, grown_since) if grown_since is not None else None

    def entry(t: Topic) -> dict[str, Any]:
        d: dict[str, Any] = {"id": t.id, "label": t.label, "size": t.size}
        if new is not None:
            d["new"] = new.get((t.level, t.id), 0)
        d |= {"level": t.level, "parent": t.parent, "children": list(t.children)}
        d["papers"] = [
            {"id": ex.corpus[r].id, "title": ex.corpus[r].title} for r in t.rows[:n_titles]
        ]
        return d

    def keep(t: Topic) -> bool:
        return new is None or new.get((t.level, t.id), 0) > 0

    noise = tree.noise(lv)
    if as_tree:
        levels = [[entry(t) for t in level if keep(t)] for level in tree.topics]
        if as_json:
            out = {"default_level": tree.default, "levels": levels}
            out["noise"] = [tree.noise(i) for i in range(tree.depth)]
            click.echo(json.dumps(out, ensure_ascii=False, indent=2))
            return
        by_id = [{t["id"]: t for t in level} for level in levels]
        for t in levels[0]:
            _print_branch(t, by_id, 0)
        if noise:
            click.echo(f"(noise: {noise} of {len(ex.corpus)} papers, at every level)", err=True)
        return
    found = [entry(t) for t in tree.topics[lv] if keep(t)]
    if new is not None:
        found.sort(key=lambda t: (-t["new"], t["id"]))
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if tree.depth > 1:
        click.echo(f"level {lv} of 0-{tree.depth - 1} (0 the coarsest)", err=True)
    for t in found:
        more = f"  +{t['new']}" if new is not None else ""
        click.echo(f"{t['id']:>3}  {t['size']:>6}{more}  {t['label']}")
        for p in t["papers"]:
            click.echo(f"             · {p['title']}")
    if noise:
        click.echo(
            f"({noise} of {len(ex.corpus)} papers belong to no topic; --assign-noise places them)",
            err=True,
        )


def _print_branch(t: dict[str, Any], by_id: list[dict[int, dict[str, Any]]], depth: int) -> None:
    more = f"  +{t['new']}" if "new" in t else ""
    click.echo(f"{'    ' * depth}{t['level']}.{t['id']:<4} {t['size']:>6}{more}  {t['label']}")
    for c in t["children"]:
        if c in by_id[depth + 1]:
            _print_branch(by_id[depth + 1][c], by_id, depth + 1)


def grown(ex: Any, levels: Any, since: str) -> dict[tuple[int, int], int]:
    """How many papers dated on or after `since` each topic of each level holds."""
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", since):
        raise ExplorerError(f"bad date {since!r}: give YYYY-MM-DD (or YYYY-MM, YYYY)")
    rows = [i for i, p in enumerate(ex.corpus) if p.date and p.date >= since]
    out: dict[tuple[int, int], int] = {}
    for lv, labels in enumerate(levels):
        for c in labels[rows]:
            if c >= 0:
                out[(lv, int(c))] = out.get((lv, int(c)), 0) + 1
    return out


def _add_edits() -> None:
    from explorer.cli.topic_edits import COMMANDS

    for command in COMMANDS:
        topics.add_command(command)


_add_edits()
