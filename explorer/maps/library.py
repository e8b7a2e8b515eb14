"""A researcher's library on a map: where its papers go, and the layer drawn over the topics.

Arrays and papers in; no model, no disk. A library paper the corpus holds sits at its own
point; one the corpus lacks is placed by its vector as a new paper is (`topics.place`: the
similarity-weighted mean of its nearest papers' points). The layer is one legend entry, "your
library", of hollow markers over the map; the papers recommended for the library are the
figure's highlighted top k, each hover naming the library papers it is most like. Corpus text
is escaped as `figure` escapes it (Plotly reads hover text as pseudo-HTML).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer.maps import topics
from explorer.maps.figure import _esc, hover_text
from explorer.papers import Paper

if TYPE_CHECKING:
    import plotly.graph_objects as go

LAYER = "your library"
COLOR = "#111111"


def place_library(
    rows: Sequence[int | None],
    library_vectors: NDArray[np.floating],
    vectors: NDArray[np.floating],
    coords: NDArray[np.floating],
) -> NDArray[np.float64]:
    """Each library paper's map position (m, 2): its corpus point where `rows[i]` names one,
    else placed by its vector among the corpus's (`topics.place`)."""
    xy = np.asarray(coords, dtype=np.float64)
    out = np.zeros((len(rows), 2), np.float64)
    inside = [i for i, r in enumerate(rows) if r is not None]
    if inside:
        out[inside] = xy[[int(rows[i]) for i in inside]]  # type: ignore[arg-type]
    outside = [i for i, r in enumerate(rows) if r is None]
    if outside and len(xy):
        lv = np.asarray(library_vectors, np.float32)[outside]
        out[outside] = topics.place(lv, np.asarray(vectors), xy, k=min(10, len(xy)))
    return out


def like_line(near: Sequence[Mapping[str, Any]], width: int = 3) -> str:
    """ "like: A; B; C": the library papers a recommended paper is closest to, as plain text."""
    return "like: " + "; ".join(str(n.get("title", "")) for n in list(near)[:width])


def add_library_layer(
    fig: go.Figure,
    papers: Sequence[Paper],
    xy: NDArray[np.floating],
    rows: Sequence[int | None],
    *,
    size: float = 9.0,
) -> None:
    """Draw the library over `fig`: one trace "your library (m)" of hollow markers, in the
    legend (a click there hides and shows it), whose `customdata` are the papers' ids."""
    import plotly.graph_objects as go

    xy = np.asarray(xy, np.float64)
    hover = [
        "<b>your library</b>"
        + ("" if r is not None else " (not in this corpus: placed by its text)")
        + "<br>"
        + hover_text(p)
        for p, r in zip(papers, rows, strict=True)
    ]
    fig.add_trace(
        go.Scattergl(
            x=xy[:, 0] if len(xy) else [],
            y=xy[:, 1] if len(xy) else [],
            mode="markers",
            name=f"{LAYER} ({len(papers)})",
            legendgroup=LAYER,
            marker=dict(symbol="circle-open", size=size + 6, color=COLOR, line=dict(width=2)),
            customdata=[p.id for p in papers],
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=True,
        )
    )


def note_recommended(fig: go.Figure, likes: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Add "like: …" (the library papers each is closest to) to the hover of every point whose
    id is a key of `likes` (the recommended papers), in whichever trace draws it."""
    if not likes:
        return
    for trace in fig.data:
        ids = getattr(trace, "customdata", None)
        hover = getattr(trace, "hovertext", None)
        if ids is None or hover is None or str(trace.name or "").startswith(LAYER):
            continue
        texts = list(hover)
        changed = False
        for i, pid in enumerate(ids):
            near = likes.get(str(pid))
            if near:
                texts[i] = f"{texts[i]}<br><b>{_esc(like_line(near))}</b>"
                changed = True
        if changed:
            trace.hovertext = texts
