"""Topic maps, the drawing half: coordinates in, a Plotly figure out (hover, colours, labels).

Never sees a model. Corpus text is shown as text: Plotly renders a few HTML tags in hover
labels and annotations, so every title, author and abstract is escaped before it goes in.
`explorer.maps.page` writes the figure as an offline HTML page.
"""

from __future__ import annotations

import calendar
import datetime
import html
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer.maps import sampled
from explorer.maps.placement import (
    HEIGHT,
    LABEL_FONT,
    MARGIN,
    MARGIN_LEGEND,
    MARGIN_SCALE,
    bounds_of,
    place_labels,
    px_per_unit,
)
from explorer.papers import ExplorerError, Paper
from explorer.text import clean_text, first_sentence

if TYPE_CHECKING:  # plotly is imported when a figure is drawn, not when the CLI starts
    import plotly.graph_objects as go


# Paul Tol's "muted" qualitative scheme: nine colours told apart with every common colour
# vision deficiency (min CAM02-UCS ΔE 11.8 under simulated deuteranomaly, protanomaly and
# tritanomaly; tests/test_maps.py), none grey: grey is only for noise and "other".
PALETTE = "#332288 #88CCEE #44AA99 #117733 #999933 #DDCC77 #CC6677 #882255 #AA4499".split()
NOISE_COLOR = "#c8c8c8"


def _esc(s: str) -> str:
    """Corpus text → Plotly pseudo-HTML that shows it literally (only &, <, > matter to it)."""
    return html.escape(s, quote=False)


def _wrap(s: str, width: int) -> str:
    """Escape `s` and break it into lines of about `width` characters with <br>.

    A greedy word wrap: textwrap is ten times slower, which shows at 100,000 points.
    """
    lines: list[str] = []
    line = ""
    for word in s.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(_esc(x) for x in lines)


def hover_text(
    paper: Paper, topic: str | None = None, rank: int | None = None, score: float | None = None
) -> str:
    """One point's hover label. Starts with the bold escaped title (the page's search reads it)."""
    authors = ", ".join(paper.authors[:3])
    if paper.et_al or len(paper.authors) > 3:
        authors += " et al."
    meta = " · ".join(str(x) for x in (paper.year, paper.primary_category) if x)
    lines = [f"<b>{_wrap(clean_text(paper.title), 80)}</b>"]
    if rank is not None:
        lines.append(f"<b>#{rank}</b>" + (f" (score {score:.3f})" if score is not None else ""))
    lines += [_esc(x) for x in (authors, meta) if x]
    if topic:
        lines.append(f"topic: {_esc(topic)}")
    if paper.abstract.strip():
        lines.append(f"<i>{_wrap(first_sentence(paper.abstract), 90)}</i>")
    elif paper.no_abstract:
        lines.append("<i>no abstract: placed by its title</i>")
    return "<br>".join(lines)


def _colors(values: Sequence[Any]) -> dict[Any, str]:
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(values)}


def topic_colors(xy: NDArray[np.floating], labels: NDArray[np.integer]) -> dict[int, str]:
    """A palette colour per topic such that topics sharing one lie far apart on the map.

    Nine colours cannot tell 30 topics apart by colour alone (the labels and legend do), but
    neighbours should never look like one topic: biggest first, each topic takes the colour
    whose nearest topic of that colour is farthest from its centre (an unused colour first).
    """
    xy = np.asarray(xy, dtype=np.float64)
    labels = np.asarray(labels)
    ids = [int(c) for c, _ in Counter(labels[labels >= 0].tolist()).most_common()]
    centres = {c: np.median(xy[labels == c], axis=0) for c in ids}
    out: dict[int, str] = {}
    for c in ids:
        far = [
            min(
                (float(np.hypot(*(centres[c] - centres[d]))) for d in out if out[d] == col),
                default=math.inf,
            )
            for col in PALETTE
        ]
        out[c] = PALETTE[int(np.argmax(far))]  # ties: the first such colour
    return out


def _decimal_date(date: str | None) -> float | None:
    """ "2025-07-02" → 2025.5 (the year and the fraction of it gone by); "2025-03" → its first
    day; "2025" → 2025.0. Papers of
    one or two years' listings, all one colour by year, spread out by date."""
    if not date or not date[:4].isdigit():
        return None
    try:
        day = datetime.date.fromisoformat(date[:10]) if len(date) >= 10 else None
    except ValueError:
        day = None
    year = int(date[:4])
    if day is None:  # "2025-03" (a month, as an arXiv id gives it): its first day
        month = date[5:7]
        if len(date) == 7 and month.isdigit() and 1 <= int(month) <= 12:
            day = datetime.date(year, int(month), 1)
        else:
            return float(year)
    return year + (day.timetuple().tm_yday - 1) / (366 if calendar.isleap(year) else 365)


@dataclass(frozen=True)
class Coloring:
    """One way to colour the points, as `color_by=NAME` and `--color-by NAME` offer it.

    `kind` is "topic" (each cluster its colour, noise grey), "groups" (one colour and legend
    entry per value, the most common first, the rest "other") or "scale" (a number per paper on
    a colour scale with a colour bar). `values(papers)` gives each paper its value, None where it
    has none (drawn grey). A new colouring is one row of `COLORINGS` plus its `values`.
    """

    name: str
    kind: str
    title: str
    values: Callable[[Sequence[Paper]], list[Any]] | None = None


COLORINGS: tuple[Coloring, ...] = (
    Coloring("cluster", "topic", "topic"),
    Coloring("year", "scale", "year", lambda papers: [p.year for p in papers]),
    Coloring("category", "groups", "category", lambda papers: [p.primary_category for p in papers]),
    Coloring("date", "scale", "date", lambda papers: [_decimal_date(p.date) for p in papers]),
)
_COLORING = {c.name: c for c in COLORINGS}
COLOR_BY = tuple(_COLORING)  # what the points can be coloured by


def _values(coloring: Coloring, papers: Sequence[Paper]) -> list[Any]:
    """Each paper's value; a colouring by a field that no paper has is an error, not grey."""
    assert coloring.values is not None
    values = coloring.values(papers)
    if papers and all(v is None for v in values):
        raise ExplorerError(
            f"cannot colour by {coloring.name}: no paper of this corpus has a {coloring.title}"
        )
    return values


def map_figure(
    coords: NDArray[np.floating],
    papers: Sequence[Paper],
    labels: NDArray[np.integer],
    label_names: Mapping[int, str],
    *,
    color_by: str = "cluster",
    highlight: Mapping[int, float] | None = None,
    query_point: tuple[float, float] | None = None,
    query_label: str | None = None,
    title: str | None = None,
    point_limit: int | None = None,
) -> go.Figure:
    """A WebGL scatter of `papers` at `coords` (n, 2), coloured as `COLORINGS[color_by]` says.

    `labels` (n,) are cluster ids (-1 = noise, drawn grey) named by `label_names`; the names
    are drawn near the clusters' centres without overlapping. `highlight` maps rows to the
    scores of a query's top-k (drawn big and outlined, ranked by score, rank in the hover);
    `query_point` marks where the query itself falls. Every paper is one point in exactly one
    trace, whose `customdata` holds the paper ids; the query marker has no customdata. Above
    `point_limit` papers (default `sampled.PAGE_POINT_LIMIT`) only a density-thinned subset is
    drawn (`sampled.thin`: every topic kept); the title says how many, legend counts are all.
    """
    xy = np.asarray(coords, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(papers)
    if xy.shape != (n, 2) or labels.shape != (n,):
        raise ExplorerError(
            f"need coords (n, 2) and labels (n,) for n={n} papers, got {xy.shape}, {labels.shape}"
        )
    coloring = _COLORING.get(color_by)
    if coloring is None:
        raise ExplorerError(f"color_by must be {', '.join(COLOR_BY)}; got {color_by!r}")
    highlight, total = dict(highlight or {}), Counter(labels.tolist())
    kept = sampled.page_rows(xy, labels, point_limit, highlight)
    if kept is not None:
        at = {int(r): i for i, r in enumerate(kept)}
        highlight = {at[r]: s for r, s in highlight.items()}
        xy, labels, papers = xy[kept], labels[kept], [papers[int(i)] for i in kept]
        shown = f"{len(kept):,} of {n:,} papers shown (thinned where dense)"
        title, n = (f"{title}: {shown}" if title else shown), len(kept)
    ranks = {row: r for r, row in enumerate(sorted(highlight, key=lambda i: -highlight[i]), 1)}
    hover = [
        hover_text(p, label_names.get(int(c)) if c >= 0 else None, ranks.get(i), highlight.get(i))
        for i, (p, c) in enumerate(zip(papers, labels, strict=True))
    ]
    cluster_colors = topic_colors(xy, labels)
    # One trace per group of rows: a legend entry that toggles it (topics, categories).
    groups: list[tuple[str, list[int]]]
    values: list[Any] = []
    if coloring.kind == "topic":
        col = [cluster_colors[int(c)] if c >= 0 else NOISE_COLOR for c in labels]
        groups = [
            (f"{_esc(label_names.get(c) or f'topic {c}')} ({total[c]})", rows)
            for c in cluster_colors
            for rows in [np.flatnonzero(labels == c).tolist()]
        ]
        unassigned = np.flatnonzero(labels < 0).tolist()
        groups.append((f"no topic ({total[-1]})", unassigned))
    elif coloring.kind == "groups":
        assert coloring.values is not None
        key = [v or "unknown" for v in _values(coloring, papers)]
        counts = Counter(key)
        cat_colors = _colors([c for c, _ in counts.most_common(len(PALETTE) - 1)])
        col = [cat_colors.get(k, NOISE_COLOR) for k in key]
        groups = [(f"{c} ({counts[c]})", [i for i in range(n) if key[i] == c]) for c in cat_colors]
        rest = [i for i in range(n) if key[i] not in cat_colors]
        groups.append((f"other ({len(rest)})", rest))
    else:
        values = _values(coloring, papers)
        col = [NOISE_COLOR] * n
        groups = [
            (f"no {coloring.title}", [i for i in range(n) if values[i] is None]),
            (coloring.title, [i for i in range(n) if values[i] is not None]),
        ]
    size = float(np.clip(11 - 1.6 * math.log10(max(n, 1)), 3, 9))  # 8 at 40, 5 at 4,000 papers
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, rows in groups:
        rows = [i for i in rows if i not in ranks]  # highlighted rows get their own trace
        if not rows:
            continue
        marker: dict[str, object] = dict(size=size, opacity=0.85, color=[col[i] for i in rows])
        if any(papers[i].no_abstract for i in rows):  # placed by their title alone: hollow
            marker["symbol"] = ["circle-open" if papers[i].no_abstract else "circle" for i in rows]
        if coloring.kind == "scale" and name == coloring.title:
            marker.update(
                color=[values[i] for i in rows],
                colorscale="Viridis",
                showscale=True,
                colorbar=dict(title=coloring.title, thickness=12, x=1.0, xanchor="left"),
            )
        _add_points(fig, xy, papers, hover, rows, name, marker, coloring.kind != "scale")
    if ranks:
        rows = sorted(ranks, key=lambda i: -ranks[i])  # the best is drawn last, on top
        marker = dict(
            size=[size + (12 if ranks[i] == 1 else 7) for i in rows],
            opacity=1.0,
            color=[col[i] if coloring.kind != "scale" else "#ff7f0e" for i in rows],
            line=dict(color="#111111", width=2),
        )
        _add_points(fig, xy, papers, hover, rows, f"top {len(rows)}", marker, True)
    if query_point is not None:
        fig.add_trace(
            go.Scattergl(
                x=[query_point[0]],
                y=[query_point[1]],
                mode="markers",
                name="query",
                marker=dict(
                    symbol="star", size=22, color="#ffd700", line=dict(color="#111", width=2)
                ),
                hovertext=[_esc(query_label or "query")],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    bounds = bounds_of(np.vstack([xy, [query_point]]) if query_point is not None else xy)
    margin = {"scale": MARGIN_SCALE, "topic": MARGIN_LEGEND}.get(coloring.kind, MARGIN)
    sx, sy = px_per_unit(bounds, margin)
    notes: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    placed = place_labels(xy, labels, label_names, bounds, margin)
    for c, text, x, y, cx, cy, _, _ in placed:
        notes.append(
            dict(
                x=x,
                y=y,
                text=_esc(text).replace("\n", "<br>"),
                showarrow=False,
                name=f"topic {c}",
                font=dict(size=LABEL_FONT, color="#222"),
                bgcolor="rgba(255,255,255,0.8)",
                bordercolor=cluster_colors[c] if coloring.kind == "topic" else "#888",
                borderwidth=1,
                borderpad=3,
            )
        )
        if math.hypot((x - cx) * sx, (y - cy) * sy) > 25:  # a label pushed away points back
            lines.append(
                dict(
                    type="line",
                    x0=cx,
                    y0=cy,
                    x1=x,
                    y1=y,
                    layer="below",
                    line=dict(color="#888", width=1, dash="dot"),
                )
            )
    named = sum(1 for c in cluster_colors if label_names.get(c))
    if len(placed) < named:  # the map says so rather than drop labels silently
        notes.append(
            dict(
                text=f"{named - len(placed)} of {named} topic labels did not fit: "
                "zoom in, or read them in the legend",
                xref="paper",
                yref="paper",
                x=0,
                y=1,
                xanchor="left",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=11, color="#555"),
                name="labels left off",
            )
        )
    x0, x1, y0, y1 = bounds
    legend = (
        # a topic per entry: click hides it, double-click shows it alone; scrolls when long
        dict(x=1.01, xanchor="left", y=1, yanchor="top", font=dict(size=11), title="topics")
        if coloring.kind == "topic"
        else dict(orientation="h", x=0, y=0, yanchor="top")
    )
    fig.update_layout(
        annotations=notes,  # set once: add_annotation re-checks all earlier ones each time
        shapes=lines,
        # The width follows the page or the notebook cell; labels are placed for WIDTH.
        autosize=True,
        height=HEIGHT,
        margin=margin,
        template="plotly_white",
        title=dict(text=_esc(title), x=0.01) if title else None,
        hovermode="closest",
        xaxis=dict(range=[x0, x1], visible=False),
        yaxis=dict(range=[y0, y1], visible=False),
        legend=legend,
        dragmode="pan",
        hoverlabel=dict(align="left"),
    )
    return fig


def _add_points(
    fig: go.Figure,
    xy: NDArray[np.float64],
    papers: Sequence[Paper],
    hover: list[str],
    rows: list[int],
    name: str,
    marker: dict[str, Any],
    showlegend: bool,
) -> None:
    import plotly.graph_objects as go

    color = marker.get("color")
    if isinstance(color, list) and color and isinstance(color[0], str):
        marker = {**marker, **_discrete(color)}
    fig.add_trace(
        go.Scattergl(
            x=xy[rows, 0],
            y=xy[rows, 1],
            mode="markers",
            name=name,
            marker=marker,
            customdata=[papers[i].id for i in rows],
            hovertext=[hover[i] for i in rows],
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=showlegend,
        )
    )


def _discrete(colors: list[str]) -> dict[str, Any]:
    """Per-point colour strings → one colour, or numbers on a stepped colour scale.

    Plotly checks every colour string one by one (5 s for 100,000 points); numbers pass at once.
    """
    distinct = sorted(set(colors))
    if len(distinct) == 1:
        return {"color": distinct[0]}
    k = len(distinct)
    index = {c: i for i, c in enumerate(distinct)}
    scale = [[b / k, c] for i, c in enumerate(distinct) for b in (i, i + 1)]
    values = np.array([index[c] + 0.5 for c in colors])
    return {"color": values, "colorscale": scale, "cmin": 0, "cmax": k, "showscale": False}
