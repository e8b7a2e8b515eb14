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
from explorer.readers import FORMATS, formats_help
from explorer.search.query import check_k


def _errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a library error into one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except ExplorerError as e:
            raise click.ClickException(str(e)) from None
        except OSError as e:  # a full or read-only disk, a cache folder that is a file, ...
            from explorer.storage import disk_error

            raise click.ClickException(str(disk_error(e, "cannot use the cache"))) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; everything already built is kept") from None

    return wrapper


def _corpus_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--corpus",
        "-c",
        default=None,
        metavar="NAME",
        help="A built corpus (default: the seed corpus, built on first use).",
    )(f)


def _output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")(f)
    f = click.option("-k", "k", type=int, default=10, show_default=True, help="How many papers.")(f)
    return f


def _open(corpus: str | None):
    from explorer.storage import SEED_NAME
    from explorer.workspace import Explorer

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
        title_w = max(20, shutil.get_terminal_size((100, 20)).columns - id_w - 28)
    click.echo(f"{'#':>3}  {'score':>5}  {'cos':>5}  {'year':>4}  {'id':<{id_w}}  title")
    for h in hits:
        title = h.paper.title
        if title_w is not None and len(title) > title_w:
            title = title[: title_w - 1] + "…"
        year = h.paper.year or ""
        cos = "" if h.cosine is None else f"{h.cosine:5.3f}"
        click.echo(
            f"{h.rank:>3}  {h.score:5.3f}  {cos:>5}  {year:>4}  {h.paper.id:<{id_w}}  {title}"
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="explorer")
def main() -> None:
    """Find related papers and map the landscape of a corpus, offline on a CPU."""


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_corpus_option
@click.option(
    "--model", default=None, help="Model name or local path (default: bundled all-MiniLM-L6-v2)."
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
@_errors
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
) -> None:
    """Read FILES (default: the seed corpus), embed what is new, index them, write the map.

    Prints the map's path (or, with --no-map, the corpus folder) on stdout."""
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
    )
    assert ex.report is not None
    click.echo(ex.report.summary(), err=True)
    click.echo(str(ex.report.output))


def _ranking_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Mode, filters, diversity and explanations: the same on `related` and `search`."""
    from explorer.search.query import MODES

    opts = [
        click.option(
            "--mode",
            type=click.Choice(MODES),
            default=None,
            help="Ranking: dense vectors, lexical BM25 or both fused (default: hybrid, "
            "measured best; see docs/quality.md).",
        ),
        click.option(
            "--year",
            "years",
            default=None,
            metavar="FROM-TO",
            help="Only papers of these years: 2020-2024, 2020-, -2024 or 2024.",
        ),
        click.option(
            "--category",
            "categories",
            multiple=True,
            metavar="CAT",
            help="Only papers in CAT, primary or cross-listed (cs.CL; 'cs' = all cs.*). "
            "Repeatable.",
        ),
        click.option(
            "--author",
            default=None,
            metavar="TEXT",
            help="Only papers with an author whose name contains TEXT (any case).",
        ),
        click.option(
            "--ids",
            "ids",
            multiple=True,
            metavar="ID,ID…|@FILE",
            help="Only these papers: comma-separated ids, or @FILE with one id a line.",
        ),
        click.option(
            "--diverse",
            type=click.FloatRange(0.0, 1.0),
            default=None,
            metavar="LAMBDA",
            help="Re-rank for diversity (MMR): 1 = plain ranking, 0.7 = some variety.",
        ),
        click.option(
            "--explain",
            is_flag=True,
            help="Say why each paper is related: shared terms, most similar sentences.",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _ids(values: tuple[str, ...]) -> list[str] | None:
    if not values:
        return None
    out: list[str] = []
    for v in values:
        if v.startswith("@"):
            try:
                out += [x.strip() for x in Path(v[1:]).read_text("utf-8").splitlines() if x.strip()]
            except OSError as e:
                raise ExplorerError(f"cannot read ids from {v[1:]}: {e.strerror}") from None
        else:
            out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def _print_why(hits: list[Hit]) -> None:
    """Two indented lines under a hit: shared terms, then the most similar sentence pair."""
    width = shutil.get_terminal_size((100, 20)).columns - 8 if sys.stdout.isatty() else None

    def cut(s: str) -> str:
        return s if width is None or len(s) <= width else s[: width - 1] + "…"

    for h in hits:
        w = h.why or {}
        ex = w.get("example", {})
        click.echo(f"{h.rank:>3}  {h.paper.title}")
        click.echo(
            cut(
                f"       like: {ex.get('title') or ex.get('text', '')} "
                f"(cosine {w.get('similarity', 0):.3f})"
            )
        )
        terms = ", ".join(t["term"] for t in w.get("shared_terms", [])) or "(no distinctive term)"
        click.echo(cut(f"       shared terms: {terms}"))
        pair = w.get("sentences")
        if pair:
            click.echo(cut(f"       closest sentences ({pair['similarity']:.3f}):"))
            click.echo(cut(f"         « {pair['a']} »"))
            click.echo(cut(f"         « {pair['b']} »"))


def _show(hits: list[Hit], as_json: bool, k: int, pool: str, explain: bool) -> None:
    _print_hits(hits, as_json, k, pool)
    if explain and not as_json:
        click.echo("")
        _print_why(hits)


_FILTERED = "papers pass the filters"


@main.command()
@click.argument("queries", nargs=-1, required=False, metavar="ID_OR_TITLE…")
@click.option(
    "--not",
    "negatives",
    multiple=True,
    metavar="ID_OR_TITLE",
    help="A paper unlike what you want: its neighbours move down. Repeatable.",
)
@click.option(
    "--text",
    "texts",
    multiple=True,
    metavar="TEXT",
    help="Free text as one more positive example. Repeatable.",
)
@click.option(
    "--not-text",
    "negative_texts",
    multiple=True,
    metavar="TEXT",
    help="Free text as a negative example. Repeatable.",
)
@_corpus_option
@_ranking_options
@_output_options
@_errors
def related(
    queries: tuple[str, ...],
    negatives: tuple[str, ...],
    texts: tuple[str, ...],
    negative_texts: tuple[str, ...],
    corpus: str | None,
    mode: str | None,
    years: str | None,
    categories: tuple[str, ...],
    author: str | None,
    ids: tuple[str, ...],
    diverse: float | None,
    explain: bool,
    k: int,
    as_json: bool,
) -> None:
    """Papers related to one or more papers of the corpus, given by ID or (partial) TITLE.

    Several examples are combined (Rocchio: their mean, minus 0.15 × the mean of the --not
    ones); the examples themselves are never returned.
    """
    check_k(k)
    if not queries and not texts:
        raise ExplorerError("give at least one paper (id or title) or --text")
    ex = _open(corpus)
    pos = [ex.find(q) for q in queries]
    neg = [ex.find(q) for q in negatives]
    hits = ex.related(
        *[m.paper.id for m in pos],
        negatives=[m.paper.id for m in neg],
        texts=texts,
        negative_texts=negative_texts,
        k=k,
        mode=mode,
        years=years,
        categories=categories,
        author=author,
        ids=_ids(ids),
        diverse=diverse,
        explain=explain,
    )
    # After ranking, so that a mistake in any option is the only line a user sees.
    for m in pos:
        click.echo(m.describe(), err=True)
    for m in neg:
        click.echo("not: " + m.describe(), err=True)
    filtered = bool(years or categories or author or ids)
    _show(hits, as_json, k, _FILTERED if filtered else "other papers in the corpus", explain)


@main.command()
@click.argument("text")
@_corpus_option
@_ranking_options
@_output_options
@_errors
def search(
    text: str,
    corpus: str | None,
    mode: str | None,
    years: str | None,
    categories: tuple[str, ...],
    author: str | None,
    ids: tuple[str, ...],
    diverse: float | None,
    explain: bool,
    k: int,
    as_json: bool,
) -> None:
    """Papers related to free TEXT: a phrase or a whole draft abstract ('-' reads stdin)."""
    check_k(k)
    if text == "-":
        text = sys.stdin.read()
    ex = _open(corpus)
    hits = ex.search(
        text,
        k=k,
        mode=mode,
        years=years,
        categories=categories,
        author=author,
        ids=_ids(ids),
        diverse=diverse,
        explain=explain,
    )
    filtered = bool(years or categories or author or ids)
    _show(hits, as_json, k, _FILTERED if filtered else "papers in the corpus", explain)


@main.command("eval")
@click.argument("judgements", required=False, type=click.Path(path_type=Path))
@click.option(
    "--label",
    default=None,
    metavar="FIELD",
    help="Relevance proxy instead of a file: papers sharing FIELD ('category' = primary "
    "category, or an extra field such as 'label') are relevant to each other.",
)
@_corpus_option
@click.option(
    "-k", "k", type=int, default=10, show_default=True, help="Cut-off of R@k, P@k, nDCG@k."
)
@click.option(
    "--depth", type=int, default=100, show_default=True, help="Ranked list length for MRR and MAP."
)
@click.option(
    "--queries",
    type=int,
    default=1000,
    show_default=True,
    help="At most this many query papers (a seeded sample when there are more).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of that sample.")
@click.option(
    "--diverse",
    type=click.FloatRange(0.0, 1.0),
    default=0.7,
    show_default=True,
    metavar="LAMBDA",
    help="λ of the 'with diversity' rows.",
)
@click.option(
    "--clusters/--no-clusters",
    default=True,
    show_default=True,
    help="With --label, also V-measure and ARI of the topic clusters.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_errors
def eval_(
    judgements: Path | None,
    label: str | None,
    corpus: str | None,
    k: int,
    depth: int,
    queries: int,
    seed: int,
    diverse: float,
    clusters: bool,
    as_json: bool,
) -> None:
    """Ranking quality per mode on your corpus, from JUDGEMENTS (query id, relevant id, grade;
    CSV, TSV, TREC qrels or JSONL) or from a --label shared by related papers."""
    ex = _open(corpus)
    report = ex.evaluate(
        judgements,
        label=label,
        k=k,
        depth=depth,
        queries=queries,
        seed=seed,
        diverse=diverse,
        clusters=clusters,
    )
    click.echo(
        f"{ex.name}: {report.queries} queries, relevant = {report.relevance}; "
        f"{report.seconds:.1f}s",
        err=True,
    )
    if report.skipped_unknown:
        click.echo(
            f"note: {report.skipped_unknown} judgements name papers not in the corpus; skipped",
            err=True,
        )
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.table())


def _landscape_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--seed", type=int, default=None, help="Random seed of the layout (default 42)."
    )(f)
    f = click.option(
        "--min-cluster-size",
        type=int,
        default=None,
        help="Smallest topic (default: from the corpus size).",
    )(f)
    f = click.option(
        "--assign-noise/--keep-noise",
        default=None,
        help="Put would-be outliers in their nearest topic.",
    )(f)
    return f


def _settings(seed: int | None, min_cluster_size: int | None, assign_noise: bool | None):
    """Settings from options; None when no option was given (the corpus's last settings stay)."""
    from dataclasses import replace

    from explorer.maps.landscape import Settings

    if seed is None and min_cluster_size is None and assign_noise is None:
        return None
    if min_cluster_size is not None and min_cluster_size < 2:
        raise ExplorerError(f"--min-cluster-size must be at least 2, got {min_cluster_size}")
    changes: dict[str, Any] = {
        "seed": seed,
        "min_cluster_size": min_cluster_size,
        "assign_noise": assign_noise,
    }
    return replace(Settings(), **{k: v for k, v in changes.items() if v is not None})


@main.command(name="map")
@_corpus_option
@click.option(
    "--color-by",
    type=click.Choice(["cluster", "year", "category"]),
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
    help="Where to write the HTML (default: <corpus>/map.html).",
)
@_landscape_options
@_errors
def map_(
    corpus: str | None,
    color_by: str,
    highlight: str | None,
    k: int,
    out: Path | None,
    seed: int | None,
    min_cluster_size: int | None,
    assign_noise: bool | None,
) -> None:
    """Write the corpus's interactive map as one self-contained HTML file; print its path."""
    check_k(k)
    ex = _open(corpus)
    settings = _settings(seed, min_cluster_size, assign_noise)
    path = ex.write_map(out, color_by=color_by, highlight=highlight, k=k, settings=settings)
    click.echo(str(path))


@main.command()
@_corpus_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "-n",
    "n_titles",
    type=int,
    default=3,
    show_default=True,
    help="Representative titles per topic.",
)
@_landscape_options
@_errors
def topics(
    corpus: str | None,
    as_json: bool,
    n_titles: int,
    seed: int | None,
    min_cluster_size: int | None,
    assign_noise: bool | None,
) -> None:
    """The corpus's topics: label, size and the papers closest to each topic's centre."""
    ex = _open(corpus)
    land = ex.landscape(_settings(seed, min_cluster_size, assign_noise))
    found = [
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


if __name__ == "__main__":
    main()
