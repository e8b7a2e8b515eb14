"""A corpus's map drawn: as a Plotly figure (`draw`: its topics labelled by zoom, a query and
its hits, a library's layer with the papers recommended for it; the marks come from
explorer.maps: figure, levels, library), and as a table of its papers (`map_frame`).
`Explorer.figure` and `Explorer.to_pandas` call these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from explorer.frames import papers_frame
from explorer.maps.landscape import Landscape
from explorer.papers import Hit, Paper
from explorer.parts import Parts, highlight_on
from explorer.search.library import Library

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go


def draw(
    parts: Parts,
    land: Landscape,
    *,
    color_by: str,
    highlight: str | None,
    k: int,
    title: str,
    mode: str,
    library: Library | None = None,
    recommended: list[Hit] | None = None,
) -> go.Figure:
    """The map of `land`; `highlight` (an id, a title or free text) marks the query and its k
    related papers (ranked in `mode`); `library` adds its layer, and `recommended` (its hits,
    drawn without a highlight) the papers recommended for it with the library papers closest."""
    from explorer.maps import figure

    marks, point, label = None, None, None
    hits = recommended or []
    if highlight is not None:
        hits, point, label = highlight_on(parts, highlight, k, land, mode)
    if hits:
        marks = {parts.corpus.position(h.paper.id): h.score for h in hits}
    fig = figure.map_figure(
        land.coords,
        parts.corpus,
        land.clusters,
        land.label_names,
        color_by=color_by,
        highlight=marks,
        query_point=point,
        query_label=label,
        title=title,
    )
    if color_by == "cluster" and land.tree.depth > 1:  # labels by zoom (maps/levels.py)
        from explorer.maps import levels

        xy = np.asarray(land.coords, dtype=np.float64)
        fig = levels.static_labels(fig, land.tree, xy, list(parts.corpus.ids))
    if library is not None:
        from explorer.maps import library as layer

        xy = layer.place_library(library.rows, library.vectors, parts.vectors, land.coords)
        layer.add_library_layer(fig, list(library.papers), xy, library.rows)
        likes = {h.paper.id: (h.why or {}).get("library", []) for h in hits}
        layer.note_recommended(fig, likes)
    return fig


def map_frame(papers: Iterable[Paper], land: Landscape) -> pd.DataFrame:
    """`papers_frame` with each paper's place on the map `land` (x, y), its topic (topic_id,
    -1 for none, and topic label) and its topic at every level of the tree (topic_L,
    topic_id_L; L = 0 the coarsest)."""
    xy, names = land.coords, land.label_names
    return papers_frame(
        papers,
        x=[float(v) for v in xy[:, 0]],
        y=[float(v) for v in xy[:, 1]],
        topic_id=[int(c) for c in land.clusters],
        topic=[names.get(int(c)) for c in land.clusters],
        **land.tree.columns(),
    )
