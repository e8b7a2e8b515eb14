"""Topic maps, the page: a Plotly figure as one self-contained, offline HTML file.

plotly.js goes inline and nothing is fetched, so the page opens without a network. A small
script adds a search box that dims papers whose titles do not match. Corpus text arrives
already escaped by `explorer.maps.figure`, and Plotly's own HTML writer escapes `<`, `>` and `/`
inside the inline JSON (checked by the tests), so no title can close a <script>.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explorer.atomic import write_bytes
from explorer.maps import levels
from explorer.maps.figure import map_figure
from explorer.maps.landscape import Landscape
from explorer.papers import Corpus
from explorer.storage import Layout

# Runs after the plot is drawn: a search box that dims every paper whose title does not contain
# the typed text. Titles are read back from the hover labels (which start with the escaped
# title in <b>…</b>) and only ever compared or shown with textContent, never parsed as HTML.
_SEARCH_JS = """
(function () {
  var gd = document.getElementById('{plot_id}');
  var box = document.createElement('div');
  box.style.cssText = 'position:fixed;top:8px;left:50%;transform:translateX(-50%);z-index:10;' +
    'font:13px sans-serif;background:rgba(255,255,255,0.92);padding:4px 8px;' +
    'border:1px solid #ccc;border-radius:4px';
  var input = document.createElement('input');
  input.type = 'search'; input.id = 'explorer-search'; input.placeholder = 'find in titles';
  input.setAttribute('aria-label', 'find papers by title');
  var count = document.createElement('span');
  count.id = 'explorer-search-count'; count.style.marginLeft = '6px';
  box.appendChild(input); box.appendChild(count);
  document.body.insertBefore(box, document.body.firstChild);
  function titleOf(h) {
    var t = h.slice(3, h.indexOf('</b>')).replace(/<br>/g, ' ');
    return t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').toLowerCase();
  }
  var titles = gd.data.map(function (tr) {
    return tr.customdata ? (tr.hovertext || []).map(titleOf) : null;
  });
  input.addEventListener('input', function () {
    var q = input.value.trim().toLowerCase(), n = 0, sel = [], idx = [];
    titles.forEach(function (ts, i) {
      if (!ts) return;
      idx.push(i);
      if (!q) { sel.push(null); return; }
      var s = [];
      ts.forEach(function (t, j) { if (t.indexOf(q) >= 0) s.push(j); });
      n += s.length; sel.push(s);
    });
    Plotly.restyle(gd, {selectedpoints: sel}, idx);
    count.textContent = q ? n + (n === 1 ? ' match' : ' matches') : '';
  });
})();
"""


# Labels were placed for a 1200-pixel figure; the page fills the window, whatever its size. After
# every redraw (resize, zoom), a topic label that overlaps a bigger topic's label is hidden,
# and the page says how many are hidden: zooming in brings them back.
_LABELS_JS = """
(function () {
  var gd = document.getElementById('{plot_id}');
  var note = document.createElement('div');
  note.id = 'explorer-hidden-labels';
  note.style.cssText = 'position:fixed;bottom:6px;left:10px;z-index:10;font:12px sans-serif;' +
    'color:#555;background:rgba(255,255,255,0.85);padding:2px 6px';
  document.body.appendChild(note);
  function tidy() {
    var kept = [], hidden = 0;
    gd.querySelectorAll('.annotation').forEach(function (g) {
      var i = Number(g.getAttribute('data-index'));
      var a = (gd.layout.annotations || [])[i];
      if (!a || String(a.name || '').indexOf('topic ') !== 0) return;
      g.style.visibility = '';
      var r = g.getBoundingClientRect();
      var hit = kept.some(function (k) {
        return r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom;
      });
      if (hit) { g.style.visibility = 'hidden'; hidden += 1; } else { kept.push(r); }
    });
    var what = hidden === 1 ? ' topic label hides' : ' topic labels hide';
    note.textContent = hidden ?
      hidden + what + ' behind others at this size: zoom in to see them' : '';
  }
  gd.on('plotly_afterplot', tidy);
  tidy();
})();
"""


def to_html(fig: go.Figure, *, search: bool = True) -> str:
    """The figure as one self-contained HTML page: plotly.js inline, no external URL fetched.

    The figure fills the window (its fixed height is for notebooks) and follows resizes.
    """
    fig = go.Figure(fig).update_layout(height=None, width=None, autosize=True)
    page = fig.to_html(
        include_plotlyjs=True,  # inline (~4.7 MB): the page must open offline, never "cdn"
        include_mathjax=False,
        full_html=True,
        div_id="explorer-map",
        default_width="100%",
        default_height="97vh",
        config={
            "displaylogo": False,
            "scrollZoom": True,
            "responsive": True,
            # plotly.js offers to upload the chart to Plotly Cloud: never, from an offline map.
            "modeBarButtonsToRemove": ["sendChartToCloud"],
            "showSendToCloud": False,
        },
        post_script=[_LABELS_JS, levels.LEVELS_JS, *([_SEARCH_JS] if search else [])],
    )
    title = fig.layout.title.text if fig.layout.title and fig.layout.title.text else "explorer map"
    # Plotly's writer escapes <, > and / inside its JSON, so corpus text cannot close the
    # <script>; the <title> text is already escaped (it came through _esc).
    return page.replace("<head>", f"<head><title>{title}</title>", 1)


def write_html(fig: go.Figure, path: str | os.PathLike[str], *, search: bool = True) -> Path:
    """Write `fig` as an offline HTML page, atomically (temp file + rename); returns the path."""
    path = Path(path)
    write_bytes(path, to_html(fig, search=search).encode("utf-8"))
    return path


def map_title(name: str, n: int) -> str:
    return f"{name}: {n:,} papers"


def write_map(path: Path, name: str, corpus: Corpus, land: Landscape, **options: Any) -> Path:
    """The corpus's map as one self-contained HTML page at `path` (atomically)."""
    by_topic = options.get("color_by", "cluster") == "cluster"
    fig = map_figure(
        land.coords,
        corpus,
        land.clusters,
        land.label_names,
        title=options.pop("title", None) or map_title(name, len(corpus)),
        **options,
    )
    if by_topic and land.tree.depth > 1:  # labels by zoom, a field's hue for its topics
        xy = np.asarray(land.coords, dtype=np.float64)
        fig = levels.static_labels(fig, land.tree, xy, list(corpus.ids))
    return write_html(fig, path)


@functools.cache  # one tiny drawing per process, not per call
def notebook_renderer() -> str:
    """Plotly's renderer for notebooks: interactive, plus a PNG copy of each figure where kaleido
    and a Chrome or Chromium can draw one, so that a saved notebook shows its maps on GitHub
    (which renders no plotly.js). Tries one tiny figure; "plotly_mimetype" alone otherwise."""
    try:
        go.Figure(go.Scatter(x=[0], y=[0])).to_image(format="png", width=10, height=10)
    except Exception:  # kaleido missing, or no browser for it: interactive only
        return "plotly_mimetype"
    return "plotly_mimetype+png"


def map_path(layout: Layout, manifest: dict[str, Any], options: dict[str, Any], own: Any) -> Path:
    """Where `Explorer.write_map` writes without a path: the corpus's own map (made by the
    build) when no option changes it (`own`: the corpus's settings), else a one-off view in
    `<corpus>/views/`, never over the corpus's map."""
    changed = {
        k: v
        for k, v in options.items()
        if v is not None
        and not (k == "color_by" and v == "cluster")
        and not (k == "settings" and v == own)
        and k != "k"
    }
    if not changed and layout.generation is not None and layout.map_html.exists():
        stable = layout.stable_map
        want = manifest.get("files", {}).get("map.html", {}).get("bytes")
        ok = stable.exists() and stable.stat().st_size == want
        return stable if ok else layout.map_html
    digest = hashlib.sha256(repr(sorted(changed.items())).encode()).hexdigest()[:12]
    return layout.views / (f"map-{digest}.html" if changed else "map.html")
