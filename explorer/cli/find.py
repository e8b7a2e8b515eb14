"""`explorer related`, `search` and `eval`: ranked papers and how good the ranking is."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from explorer.cli.library import (
    export_format,
    export_hits,
    export_option,
    library_option,
    library_source,
    print_library_why,
)
from explorer.cli.options import (
    FILTERED,
    SCORES_HELP,
    corpus_option,
    errors,
    open_corpus,
    output_options,
    parse_ids,
    ranking_options,
    show_hits,
    years_hint,
)
from explorer.papers import ExplorerError
from explorer.search.query import COMBINES, DEFAULT_COMBINE, check_k


@click.command(epilog=SCORES_HELP)
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
@click.option(
    "--sentences",
    "picks",
    default=None,
    metavar="N,N…",
    help="Query by part of the paper: these sentences of its abstract only (3,4 or 3-5; "
    "`explorer sentences ID` numbers them), e.g. its method.",
)
@click.option(
    "--combine",
    type=click.Choice(COMBINES),
    default=DEFAULT_COMBINE,
    show_default=True,
    help="Several examples: their mean (Rocchio), each candidate's closest example (max), or "
    "the average of the two (blend: the measured best).",
)
@library_option
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Only papers dated on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY).",
)
@corpus_option
@ranking_options
@export_option
@output_options
@errors
def related(
    queries: tuple[str, ...],
    negatives: tuple[str, ...],
    texts: tuple[str, ...],
    negative_texts: tuple[str, ...],
    picks: str | None,
    combine: str,
    libraries: tuple[str, ...],
    since: str | None,
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
    k: int,
    as_json: bool,
) -> None:
    """Papers related to one or more papers of the corpus, given by ID or (partial) TITLE,
    free --text, or your --library.

    Several examples are combined (--combine; by default half the closest example's cosine,
    half the cosine to their mean, minus 0.15 × the cosine to the mean of the --not ones); the
    examples themselves are never returned. With --library, each result also names the
    library papers it is closest to.
    """
    check_k(k)
    if not queries and not texts and not libraries:
        raise ExplorerError("give at least one paper (id or title), --text or --library")
    if export_to is not None:
        export_format(export_to)
    ex = open_corpus(corpus)
    pos = [ex.find(q) for q in queries]
    neg = [ex.find(q) for q in negatives]
    lib = ex.library(library_source(libraries)) if libraries else None
    if lib is not None:
        click.echo(lib.describe(), err=True)
    hits = ex.related(
        *[m.paper.id for m in pos],
        negatives=list(negatives),  # a name that fits several papers is all of them
        texts=texts,
        negative_texts=negative_texts,
        k=k,
        mode=mode,
        years=years,
        categories=categories,
        author=author,
        ids=parse_ids(ids),
        topic=list(topics) or None,
        diverse=diverse,
        explain=explain,
        sentences=parse_numbers(picks) if picks is not None else None,
        combine=combine,
        library=lib,
        since=since,
    )
    # After ranking, so that a mistake in any option is the only line a user sees.
    for m in pos:
        click.echo(m.describe(), err=True)
    for m in neg:
        click.echo("not: " + m.describe(also="also not"), err=True)
    filtered = bool(years or categories or author or ids or since or topics)
    pool = FILTERED if filtered else "other papers in the corpus"
    hint = years_hint(ex, years) if not hits else ""
    show_hits(hits, as_json, k, pool, explain, hint)
    if lib is not None and hits and not as_json:
        print_library_why(hits)
    if export_to is not None:
        export_hits(hits, export_to)


def parse_numbers(text: str) -> list[int]:
    """ "3,4" or "3-5" or "1,3-4" → [3, 4] / [3, 4, 5] / [1, 3, 4]."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            a, b = 0, -1
        if not 1 <= a <= b or b - a > 1000:
            raise ExplorerError(
                f"--sentences takes sentence numbers such as 3,4 or 3-5, got {text!r}"
            )
        out += range(a, b + 1)
    return out


@click.command("sentences")
@click.argument("query", metavar="ID_OR_TITLE")
@corpus_option
@errors
def sentences_(query: str, corpus: str | None) -> None:
    """A paper's abstract, one numbered sentence a line: the numbers `related --sentences`
    takes."""
    ex = open_corpus(corpus)
    match = ex.find(query)
    click.echo(match.describe(), err=True)
    for i, s in enumerate(ex.sentences_of(match.paper.id), 1):
        click.echo(f"{i:>3}  {s}")


@click.command(epilog=SCORES_HELP)
@click.argument("text")
@corpus_option
@ranking_options
@export_option
@output_options
@errors
def search(
    text: str,
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
    k: int,
    as_json: bool,
) -> None:
    """Papers related to free TEXT: a phrase or a whole draft abstract ('-' reads stdin)."""
    check_k(k)
    if export_to is not None:
        export_format(export_to)
    if text == "-":
        text = sys.stdin.read()
    ex = open_corpus(corpus)
    hits = ex.search(
        text,
        k=k,
        mode=mode,
        years=years,
        categories=categories,
        author=author,
        ids=parse_ids(ids),
        topic=list(topics) or None,
        diverse=diverse,
        explain=explain,
    )
    filtered = bool(years or categories or author or ids or topics)
    pool = FILTERED if filtered else "papers in the corpus"
    show_hits(hits, as_json, k, pool, explain, years_hint(ex, years) if not hits else "")
    if export_to is not None:
        export_hits(hits, export_to)


@click.command("eval")
@click.argument("judgements", required=False, type=click.Path(path_type=Path))
@click.option(
    "--label",
    default=None,
    metavar="FIELD",
    help="Relevance proxy instead of a file: papers sharing FIELD ('category' = primary "
    "category, or an extra field such as 'label') are relevant to each other.",
)
@corpus_option
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
@click.option(
    "--pooled/--corpus-wide",
    default=None,
    help="Rank each (query, facet) pair's judged pool only, by CSFCube's protocol (MAP with "
    "grade ≥ 2 relevant, NDCG%20), or the whole corpus per query. Default: pooled when the "
    "judgements file has a facet column.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@errors
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
    pooled: bool | None,
    as_json: bool,
) -> None:
    """Ranking quality per mode on your corpus, from JUDGEMENTS (query id, relevant id, grade;
    CSV, TSV, TREC qrels or JSONL) or from a --label shared by related papers."""
    ex = open_corpus(corpus)
    report = ex.evaluate(
        judgements,
        label=label,
        k=k,
        depth=depth,
        queries=queries,
        seed=seed,
        diverse=diverse,
        clusters=clusters,
        pooled=pooled,
    )
    unit = "query-facet pairs" if report.protocol == "pooled" else "queries"
    click.echo(
        f"{ex.name}: {report.queries} {unit}, relevant = {report.relevance}; {report.seconds:.1f}s",
        err=True,
    )
    if report.skipped_unknown:
        click.echo(
            f"note: {report.skipped_unknown} judgements name papers not in the corpus; skipped",
            err=True,
        )
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.table())
