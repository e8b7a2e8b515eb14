"""The web page as a Jupyter widget (anywidget) over the kernel's own `Explorer`, no HTTP.

    from explorer import Explorer
    from explorer.web.widget import ExplorerWidget
    w = ExplorerWidget(Explorer.build())
    w                       # the page in the cell: search, map, card, selection, export
    w.selection             # the papers selected on the map, as list[Paper]
    w.selection_frame()     # ... as a pandas DataFrame
    w.query, w.filters      # the search box's text; years, categories, topics, mode
    w.select(ids)           # select papers from Python; w.highlight(ex.related(...)) marks hits
    ExplorerWidget(ex, library="mylib.bib")  # your library as a layer, its recommended papers

The front end is the page's own modules (`static/`), inlined in the widget's ES module (see
widget.js) and talking through custom messages that `dispatch.Dispatcher` answers with the web
app's own request logic. plotly.js is the page's vendored bundle, sent as a message's binary
buffer when a page first needs it (a traitlet would put its 5 MB into every saved notebook).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from explorer.libraries import LibrarySource
from explorer.papers import ExplorerError, Hit, Paper
from explorer.search.library import Library
from explorer.web.assets import ASSETS, STATIC
from explorer.web.dispatch import Dispatcher
from explorer.workspace import Explorer

if TYPE_CHECKING:
    import pandas as pd

# the page's ES modules, by their import names
MODULES = ("panels.js", "plot.js", "library.js", "levels.js", "edits.js", "app.js")
SCOPE = ".explorer-widget"
PLOTLY = "plotly.js"  # the one request that is not the web API's: the vendored bundle


def esm() -> str:
    """The widget's module: widget.js with the page's module texts inlined as strings."""
    sources = {name: (STATIC / name).read_text("utf-8") for name in MODULES}
    text = Path(__file__).with_name("widget.js").read_text("utf-8")
    return text.replace("__SOURCES__", json.dumps(sources, ensure_ascii=True).replace("</", "<\\/"))


def scoped_css(css: str, scope: str = SCOPE) -> str:
    """The page's style sheet, every rule under `scope`, so that nothing of JupyterLab's own
    page is restyled (the page styles `body`, `header`, `aside`, `*`)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        parts = []
        for s in selectors.split(","):
            s = s.strip()
            if not s:
                continue
            if s in ("body", "html", ":root"):
                parts.append(scope)
            elif s == "*":
                parts.append(f"{scope}, {scope} *")
            else:
                parts.append(f"{scope} {s}")
        out.append(f"{', '.join(parts)} {{{body.strip()}}}")
    # the page fills the window; in a cell it fills the widget's height
    out.append(f"{scope} .explorer {{ height: 100%; }}")
    out.append(  # a light page in JupyterLab's dark theme too (the page's colours assume white)
        f"{scope} {{ position: relative; border: 1px solid #ddd; overflow: hidden; "
        "background: #fff; color-scheme: light; }"
    )
    return "\n".join(out) + "\n"


@functools.cache
def plotly_bundle() -> bytes:
    return ASSETS["plotly.min.js"].read()


class ExplorerWidget(anywidget.AnyWidget):
    """explorer's page in a notebook cell, over `explorer` (an opened or built `Explorer`)."""

    _esm = esm()
    _css = scoped_css(ASSETS["app.css"].read().decode("utf-8"))
    height = traitlets.Int(720, min=300).tag(sync=True)
    # the page's state, as its front end reports it
    selected_ids = traitlets.List(traitlets.Unicode()).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    examples = traitlets.List(traitlets.Unicode()).tag(sync=True)
    negatives = traitlets.List(traitlets.Unicode()).tag(sync=True)
    filters = traitlets.Dict().tag(sync=True)
    paper = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    # set from Python: hits to mark on the map and list as the results
    highlighted = traitlets.List(traitlets.Dict()).tag(sync=True)
    highlight_note = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        explorer: Explorer,
        *,
        height: int = 720,
        library: LibrarySource | None = None,
        **kwargs: Any,
    ) -> None:
        """`library`: your library (files, a built corpus's name or `explorer.library(…)`),
        shown as the web app's `--library` shows it: a map layer you can show, hide and select,
        and the papers recommended for it as the results."""
        if not isinstance(explorer, Explorer):
            raise ExplorerError(
                f"ExplorerWidget needs an Explorer (Explorer.build() or Explorer.open()), "
                f"not {type(explorer).__name__}"
            )
        dispatcher = Dispatcher(explorer, library)  # a library that can not be read: an error
        super().__init__(height=height, **kwargs)
        self.explorer = explorer
        self.dispatcher = dispatcher
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or "id" not in content:
            return  # not ours: anywidget has its own kinds
        if content.get("name") == PLOTLY:  # the page's plotly.js, once per page, as bytes
            self.send({"id": content["id"], "result": PLOTLY}, buffers=[plotly_bundle()])
        else:
            self.send(self.dispatcher.reply(content))

    # -- reading the page's state ----------------------------------------------------------

    @property
    def selection(self) -> list[Paper]:
        """The papers selected on the map (a box or lasso, or `select`), in corpus order."""
        corpus = self.explorer.corpus
        return [corpus.get(i) for i in dict.fromkeys(self.selected_ids) if i in corpus]

    def selection_frame(self) -> pd.DataFrame:
        """The selection as a DataFrame (`explorer.frames.papers_frame`): needs pandas."""
        from explorer.frames import papers_frame

        return papers_frame(self.selection)

    @property
    def selection_df(self) -> pd.DataFrame:
        return self.selection_frame()

    # -- setting it from Python --------------------------------------------------------------

    def _resolve(self, items: Iterable[str | Paper]) -> list[Paper]:
        if isinstance(items, (str, Paper, Hit)):
            items = [items]
        out = []
        for x in items:
            if isinstance(x, Hit):
                x = x.paper
            out.append(self.explorer.find(x.id if isinstance(x, Paper) else str(x)).paper)
        return out

    def select(self, ids: Iterable[str | Paper]) -> list[Paper]:
        """Select these papers (any id form or title `Explorer.find` takes) on the map and in
        the selection table; returns them. An unknown one is an ExplorerError, nothing changes."""
        papers = self._resolve(ids)
        self.selected_ids = list(dict.fromkeys(p.id for p in papers))
        return self.selection

    def clear_selection(self) -> None:
        self.selected_ids = []

    def highlight(self, hits: Iterable[Hit | Paper | str], note: str = "") -> None:
        """Mark these on the map and list them as the results: `Hit`s (e.g. `ex.related(...)`)
        keep their scores and reasons; papers or ids are listed in the order given."""
        if isinstance(hits, (str, Paper, Hit)):
            hits = [hits]
        rows: list[dict[str, Any]] = []
        for i, h in enumerate(hits, 1):
            if not isinstance(h, Hit):
                h = Hit(self._resolve([h])[0], score=math.nan, rank=i)
            d = h.to_dict()
            if d["score"] != d["score"]:  # a paper, not a hit: no score to show
                d["score"] = None
            rows.append(d)
        self.highlight_note = note
        self.highlighted = rows

    @property
    def library(self) -> Library | None:
        """The library shown (read against this corpus), or None."""
        layer = self.dispatcher.state.layer
        return None if layer is None else layer.lib

    @property
    def highlighted_ids(self) -> list[str]:
        return [d["id"] for d in self.highlighted]
