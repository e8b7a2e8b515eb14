"""`explorer build`: read, embed, index and lay out a corpus."""

from __future__ import annotations

import json
from pathlib import Path

import click

from explorer.cli.options import corpus_option, errors, landscape_options, setting_changes
from explorer.papers import ExplorerError
from explorer.readers import FORMATS, formats_help


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@corpus_option
@click.option(
    "--model",
    default=None,
    help="Model name or local path (default: bundled all-MiniLM-L6-v2); 'static': a static "
    "model distilled from it once, tens of times faster, for a first map of millions "
    "(pip install 'explorer[static]').",
)
@click.option(
    "--listing-year", type=int, default=None, help="Year for year-less dates in seed listings."
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Map a field to your column name, e.g. --column abstract=summary.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help=f"The files' format (default: from the suffix): {formats_help()}.",
)
@click.option("--no-map", is_flag=True, help="Skip the map and topics (index only).")
@click.option(
    "--progress/--quiet",
    "progress",
    default=None,
    help="A line per stage on stderr, with its time and peak memory "
    "(default: for 64 papers or more).",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Re-index and lay the map out afresh (added papers are otherwise placed on it).",
)
@click.option(
    "--sentences/--no-sentences",
    default=None,
    help="Keep each paper's sentence vectors (the default ranking and --sentences use them; "
    "they come from the papers' own pass); --no-sentences reads each text only up to the "
    "model's 256 tokens (1.1-1.5x faster) and ranks by 'hybrid'. Kept as the corpus's choice "
    "until given again.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where the model runs: here, or on a Ray actor pool (pip install 'explorer[ray]'); "
    "the same vectors land in the same cache.",
)
@click.option(
    "--address",
    default=None,
    metavar="HOST:PORT",
    help="With --engine ray: the Ray cluster to use (default: start one on this machine).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Let FILES replace the corpus's papers (without it, files other than its own may only "
    "grow it: its papers first, unchanged).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the build's report as JSON on stdout (a growth build's: the topics its new "
    "papers joined, in grown_topics) instead of the map's path.",
)
@landscape_options
@errors
def build(
    files: tuple[Path, ...],
    corpus: str | None,
    model: str | None,
    listing_year: int | None,
    columns: tuple[str, ...],
    fmt: str | None,
    no_map: bool,
    rebuild: bool,
    progress: bool | None,
    sentences: bool | None,
    engine: str,
    address: str | None,
    replace: bool,
    as_json: bool,
    seed: int | None,
    min_cluster_size: int | str | None,
    assign_noise: bool | None,
) -> None:
    """Read FILES, embed what is new, index them, write the map. Without FILES: the files
    the --corpus was built from, read again (default: the seed corpus).

    Prints the map's path (or, with --no-map, the corpus folder) on stdout; a build that grew
    the corpus says which topics its new papers joined. --seed,
    --min-cluster-size and --assign-noise change the corpus's own map settings, which `map`,
    `topics` and map.html then share; 'auto' returns the topic size to automatic."""
    from explorer.workspace import Explorer

    mapping = {}
    for c in columns:
        field, sep, col = c.partition("=")
        if not sep or not field or not col:
            raise ExplorerError(f"--column takes FIELD=COLUMN, got {c!r}")
        mapping[field.strip()] = col.strip()
    ex = Explorer.build(
        list(files),
        name=corpus,
        model=model,
        listing_year=listing_year,
        columns=mapping or None,
        fmt=fmt,
        with_map=not no_map,
        rebuild=rebuild,
        progress=progress,
        sentences=sentences,
        settings=setting_changes(seed, min_cluster_size, assign_noise) or None,
        engine=engine,
        address=address,
        replace=replace,
    )
    assert ex.report is not None
    click.echo(ex.report.summary(), err=True)
    if grew := ex.report.growth():  # a growth build: which topics the new papers joined
        click.echo(grew, err=True)
    for field, (was, now) in ex.report.extra.get("settings_changed", {}).items():
        show = {None: "auto"}
        click.echo(
            f"map setting {field}: {show.get(was, was)} -> {show.get(now, now)} "
            "(now this corpus's own)",
            err=True,
        )
    if as_json:
        click.echo(json.dumps(ex.report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(str(ex.report.output))
