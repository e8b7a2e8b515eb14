"""`explorer map` and `topics`: the landscape as an HTML page and as a list."""

from __future__ import annotations

import json
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
    path = ex.write_map(out, color_by=color_by, highlight=highlight, k=k, settings=settings)
    click.echo(str(path))


@click.command()
@corpus_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "-n",
    "n_titles",
    type=int,
    default=3,
    show_default=True,
    help="Representative titles per topic.",
)
@landscape_options
@errors
def topics(
    corpus: str | None,
    as_json: bool,
    n_titles: int,
    seed: int | None,
    min_cluster_size: int | str | None,
    assign_noise: bool | None,
) -> None:
    """The corpus's topics: label, size and the papers closest to each topic's centre."""
    ex = open_corpus(corpus)
    land = ex.landscape(settings_from(ex.settings, seed, min_cluster_size, assign_noise))
    found: list[dict[str, Any]] = [
        {
            "id": t.id,
            "label": t.label,
            "size": t.size,
            "papers": [
                {"id": ex.corpus[r].id, "title": ex.corpus[r].title} for r in t.rows[:n_titles]
            ],
        }
        for t in land.topics
    ]
    noise = int((land.clusters < 0).sum())
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for t in found:
        click.echo(f"{t['id']:>3}  {t['size']:>6}  {t['label']}")
        for p in t["papers"]:
            click.echo(f"             · {p['title']}")
    if noise:
        click.echo(
            f"({noise} of {len(ex.corpus)} papers belong to no topic; --assign-noise places them)",
            err=True,
        )
