"""What the commands share: error handling, options, opening a corpus, printing hits."""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from explorer.maps.landscape import Settings
from explorer.papers import ExplorerError, Hit
from explorer.search.query import DEFAULT_MODE, MODES, modes_help
from explorer.workspace import Explorer


def errors(f: Callable[..., Any]) -> Callable[..., Any]:
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


def corpus_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--corpus",
        "-c",
        default=None,
        metavar="NAME",
        help="A built corpus (default: the seed corpus, built on first use).",
    )(f)


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")(f)
    f = click.option("-k", "k", type=int, default=10, show_default=True, help="How many papers.")(f)
    return f


def open_corpus(corpus: str | None) -> Explorer:
    from explorer.storage import SEED_NAME

    if corpus is None or corpus == SEED_NAME:
        return Explorer.open_or_build_seeds()
    return Explorer.open(corpus)


def print_hits(
    hits: list[Hit], as_json: bool, k: int, pool: str = "papers", hint: str = ""
) -> None:
    """The hits as a table (or JSON); fewer than k said on stderr, none as one line and no
    table. `pool` names what was ranked ("papers that pass the filters"), `hint` why."""
    if not hits:
        click.echo(f"note: no {pool}{hint}", err=True)
        if as_json:
            click.echo("[]")
        return
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
    # cos first: it compares across queries; score (what ranked this list) is scaled within it.
    click.echo(f"{'#':>3}  {'cos':>5}  {'score':>5}  {'year':>4}  {'id':<{id_w}}  title")
    for h in hits:
        title = h.paper.title
        if title_w is not None and len(title) > title_w:
            title = title[: title_w - 1] + "…"
        year = h.paper.year or ""
        cos = "" if h.cosine is None else f"{h.cosine:5.3f}"
        click.echo(
            f"{h.rank:>3}  {cos:>5}  {h.score:5.3f}  {year:>4}  {h.paper.id:<{id_w}}  {title}"
        )


SCORES_HELP = (
    "Columns: cos = cosine similarity of the paper and the query, comparable across queries "
    "and modes; score = what ranked the list (sentences, the default: 0.5 x dense + 0.3 x "
    "sentence alignment + 0.2 x BM25; hybrid: 0.8 x dense + 0.2 x BM25; each scaled to "
    "[0, 1] over the candidates, so the first is often 1.000 and only the order within one "
    "list means something; dense: the cosine; lexical: BM25)."
)


def ranking_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Mode, filters, diversity and explanations: the same on `related` and `search`."""
    opts = [
        click.option(
            "--mode",
            type=click.Choice(MODES),
            default=None,
            help=f"Ranking: {modes_help()} (default: {DEFAULT_MODE}, measured best; "
            "see docs/quality.md).",
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
            "--topic",
            "topics",
            multiple=True,
            metavar="ID|LEVEL.ID",
            help="Only papers of this topic of the map: its id (`explorer topics`) or LEVEL.ID "
            "at any level of the topic tree (`explorer topics --tree`). Repeatable.",
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


def parse_ids(values: tuple[str, ...]) -> list[str] | None:
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


def print_why(hits: list[Hit]) -> None:
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


def show_hits(
    hits: list[Hit], as_json: bool, k: int, pool: str, explain: bool, hint: str = ""
) -> None:
    print_hits(hits, as_json, k, pool, hint)
    if explain and not as_json and hits:
        click.echo("")
        print_why(hits)


class _ClusterSize(click.ParamType):
    """A smallest topic size of at least 2, or "auto" (from the corpus size)."""

    name = "N|auto"

    def convert(self, value: Any, param: Any, ctx: Any) -> int | str:
        if isinstance(value, int) or value == "auto":
            return value
        try:
            n = int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number nor 'auto'", param, ctx)
        if n < 2:
            self.fail(f"must be at least 2 (or 'auto'), got {n}", param, ctx)
        return n


def landscape_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--seed", type=int, default=None, help="Random seed of the layout (default 42)."
    )(f)
    f = click.option(
        "--min-cluster-size",
        type=_ClusterSize(),
        default=None,
        help="Smallest topic: a number, or 'auto' (from the corpus size, the default).",
    )(f)
    f = click.option(
        "--assign-noise/--keep-noise",
        default=None,
        help="Put would-be outliers in their nearest topic.",
    )(f)
    return f


def setting_changes(
    seed: int | None, min_cluster_size: int | str | None, assign_noise: bool | None
) -> dict[str, Any]:
    """The settings the options change ("auto" is None: derived from the corpus size)."""
    changes: dict[str, Any] = {}
    if seed is not None:
        changes["seed"] = seed
    if min_cluster_size is not None:
        changes["min_cluster_size"] = None if min_cluster_size == "auto" else min_cluster_size
    if assign_noise is not None:
        changes["assign_noise"] = assign_noise
    return changes


def settings_from(
    base: Settings,
    seed: int | None,
    min_cluster_size: int | str | None,
    assign_noise: bool | None,
) -> Settings | None:
    """The corpus's own settings with the options' changes, for this command's output only;
    None when no option was given."""
    from dataclasses import replace

    changes = setting_changes(seed, min_cluster_size, assign_noise)
    return replace(base, **changes) if changes else None


FILTERED = "papers that pass the filters"


def years_hint(ex: Explorer, years: str | None) -> str:
    """What a year filter that left nothing could have been: the corpus's years."""
    if not years:
        return ""
    known = [y for y in (p.year for p in ex.corpus) if y is not None]
    if not known:
        return " (this corpus's papers have no years)"
    return f" (--year {years}; this corpus's papers are from {min(known)}-{max(known)})"
