"""The topic tree on a map: each level's colours, label places and the zoom that shows them.

Level 0 (the coarsest) takes the palette's colours as `figure.topic_colors` gives them
(neighbouring fields differ); every topic below takes a shade of its field's hue
(`maps.shades`), siblings different shades, so a field keeps its hue at every zoom. Level 0's
labels are placed on the whole map; a finer topic's among its siblings, on its parent's part of
the map (where it is read: zoomed into its parent), each by `placement.place_labels`.

Which level's labels show (the same rule in the static page's script here and the app's
static/levels.js): at full view (zoomed in less than FULL_VIEW times) level 0's; zoomed in
further, the finest level with 1 to LABELS_IN_VIEW topic centres inside the view; labels that
still overlap at that zoom are hidden by the page's overlap rule.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.maps import figure, placement, shades
from explorer.maps.tree import Tree

FULL_VIEW = 1.5
LABELS_IN_VIEW = 10


def colours(tree: Tree, xy: NDArray[np.float64]) -> list[dict[int, str]]:
    """Each level's topic colours: level 0 from the palette, below it shades of the field's hue
    (siblings by size, biggest first, take the shades in turn)."""
    out = [figure.topic_colors(xy, tree.levels[0])]
    for lv in range(1, tree.depth):
        mine: dict[int, str] = {}
        for parent in tree.topics[lv - 1]:
            field = out[0].get(root(tree, lv - 1, parent.id), figure.NOISE_COLOR)
            for step, child in enumerate(parent.children):
                mine[child] = shades.shade(field, step)
        out.append(mine)
    return out


def root(tree: Tree, level: int, topic_id: int) -> int:
    """The level-0 ancestor of a topic."""
    while level > 0:
        parent = tree.topic(level, topic_id).parent
        topic_id, level = (-1 if parent is None else parent), level - 1
    return topic_id


def places(
    tree: Tree, xy: NDArray[np.float64], level: int, margin: Any = placement.MARGIN
) -> dict[int, tuple[str, float, float]]:
    """A level's labels: {topic id: (text with "\\n" breaks, x, y)}; a topic left off has none."""
    labels = tree.levels[level]
    names = {t.id: t.label for t in tree.topics[level]}
    groups = (
        [np.arange(len(labels))]
        if level == 0
        else [np.flatnonzero(tree.levels[level - 1] == p.id) for p in tree.topics[level - 1]]
    )
    out: dict[int, tuple[str, float, float]] = {}
    for rows in groups:
        if len(rows):
            for c, text, x, y, *_ in placement.place_labels(
                xy[rows], labels[rows], names, margin=margin
            ):
                out[int(c)] = (text, float(x), float(y))
    return out


def centres(tree: Tree, xy: NDArray[np.float64], level: int) -> dict[int, tuple[float, float]]:
    """Each topic's centre (the median of its papers) at `level`."""
    labels = tree.levels[level]
    found = {t.id: np.median(xy[labels == t.id], axis=0) for t in tree.topics[level]}
    return {c: (float(m[0]), float(m[1])) for c, m in found.items()}


def static_labels(fig: Any, tree: Tree, xy: NDArray[np.float64], ids: list[str]) -> Any:
    """`explorer map`'s figure (coloured by topic, papers `ids` in the rows of `xy`) with its
    points in the tree's colours (a field's hue, its topics' shades) and a label per topic at
    every level, level 0's shown; the page script (LEVELS_JS) shows a finer level's as the view
    narrows. Topic names go through the figure's escaping (`figure._esc`)."""
    cols = colours(tree, xy)
    row = {p: i for i, p in enumerate(ids)}
    mine = cols[tree.default]
    for trace in fig.data:
        if trace.customdata is not None and len(trace.customdata):
            topic = [tree.levels[tree.default][row[str(d)]] for d in trace.customdata]
            trace.marker.color = [mine.get(int(c), figure.NOISE_COLOR) for c in topic]
    keep = [a for a in fig.layout.annotations if not (a.name or "").startswith("topic ")]
    keep = [a for a in keep if a.name != "labels left off"]  # every level is drawn by zoom
    notes: list[Any] = list(keep)
    cents = []
    for lv in range(tree.depth):
        mid = centres(tree, xy, lv)
        cents.append([[round(v, 5) for v in mid[t.id]] for t in tree.topics[lv]])
        for c, (text, x, y) in places(tree, xy, lv).items():
            notes.append(
                dict(
                    x=x,
                    y=y,
                    text=figure._esc(text).replace("\n", "<br>"),
                    showarrow=False,
                    name=f"topic {lv}.{c}",
                    visible=lv == 0,
                    font=dict(size=placement.LABEL_FONT + (2 if lv == 0 else 0), color="#222"),
                    bgcolor="rgba(255,255,255,0.8)",
                    bordercolor=cols[lv].get(c, figure.NOISE_COLOR),
                    borderwidth=2 if lv == 0 else 1,
                    borderpad=3,
                )
            )
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    whole = [[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]]
    meta = {"explorer_levels": {"whole": whole, "centres": cents}}
    # assigned, not update_layout's: that merges a list into the old one element by element
    fig.layout.annotations, fig.layout.shapes = notes, []
    fig.layout.meta = json.loads(json.dumps(meta))
    return fig


# The static page's labels by zoom (the rule in this module's docstring): after every zoom or
# pan, the level to show is chosen from the view and only its labels are made visible.
LEVELS_JS = """
(function () {
  var gd = document.getElementById('{plot_id}');
  var m = gd.layout.meta && gd.layout.meta.explorer_levels;
  if (!m) return;
  var FULL = __FULL__, MOST = __MOST__, shown = 0, busy = false;
  gd.dataset.labelLevel = '0';
  function span(r) { return Math.abs(r[1] - r[0]) || 1; }
  function choose(vx, vy) {
    var zoom = Math.max(span(m.whole[0]) / span(vx), span(m.whole[1]) / span(vy));
    if (zoom < FULL) return 0;
    var x0 = Math.min(vx[0], vx[1]), x1 = Math.max(vx[0], vx[1]);
    var y0 = Math.min(vy[0], vy[1]), y1 = Math.max(vy[0], vy[1]);
    for (var lv = m.centres.length - 1; lv > 0; lv--) {
      var n = m.centres[lv].filter(function (c) {
        return c[0] >= x0 && c[0] <= x1 && c[1] >= y0 && c[1] <= y1; }).length;
      if (n >= 1 && n <= MOST) return lv;
    }
    return 0;
  }
  gd.on('plotly_relayout', function () {
    var L = gd._fullLayout;
    if (busy || !L.xaxis || !L.xaxis.range) return;
    var lv = choose(L.xaxis.range, L.yaxis.range);
    if (lv === shown) return;
    shown = lv; gd.dataset.labelLevel = String(lv);
    var upd = {};
    (gd.layout.annotations || []).forEach(function (a, i) {
      var k = /^topic (\\d+)\\./.exec(a.name || '');
      if (k) upd['annotations[' + i + '].visible'] = Number(k[1]) === lv;
    });
    busy = true;
    Plotly.relayout(gd, upd).then(function () { busy = false; gd.emit('plotly_afterplot'); });
  });
})();
""".replace("__FULL__", str(FULL_VIEW)).replace("__MOST__", str(LABELS_IN_VIEW))
