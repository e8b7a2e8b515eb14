"""The `Explorer` facade: one built corpus and the questions you can ask of it.

It wires the stages (read → embed → index → search; project → cluster → map) and keeps their
artefacts where `storage.py` says. Every method is a thin call into a stage module.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer import building, landscape, topics
from explorer.building import BuildReport
from explorer.embedding import Embedder
from explorer.index import VectorIndex
from explorer.landscape import Landscape, Settings
from explorer.papers import Corpus, ExplorerError, Hit
from explorer.progress import Stages
from explorer.ranking import Filters
from explorer.search import Match, check_k, check_mode, find_paper, make_query, ranked
from explorer.storage import (
    SEED_NAME,
    Layout,
    Lines,
    cache_root,
    check_name,
    models_root,
    read_manifest,
)
from explorer.topics import Topic

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from explorer.evaluate import EvalReport
    from explorer.lexical import LexicalIndex


class Explorer:
    """A built corpus: its papers, vectors and index, and the questions you can ask of it."""

    def __init__(
        self, name: str, corpus: Corpus, index: VectorIndex, manifest: dict[str, Any],
        *, embedder: Embedder | None = None, root: Path | None = None,
    ) -> None:
        self.name = name
        self.corpus = corpus
        self.index = index
        self.manifest = manifest
        self.layout = Layout((root or cache_root()) / name)
        self._embedder = embedder
        self._vectors: NDArray[np.float32] | None = None
        self.report: BuildReport | None = None  # set by `build`

    # -- building and opening -------------------------------------------------------------

    # `Explorer.build(paths, ...)`: read, embed, index, save, then the map (explorer/building.py).
    build = classmethod(building.build)

    @classmethod
    def open(cls, name: str = SEED_NAME, *, root: Path | None = None) -> Explorer:
        """Open a built corpus without loading any model."""
        root = root or cache_root()
        layout = Layout(root / check_name(name))
        manifest = read_manifest(layout)
        if manifest is None:
            built = sorted(p.parent.name for p in root.glob("*/manifest.json"))
            hint = f" (built: {', '.join(built)})" if built else ""
            raise ExplorerError(
                f"corpus {name!r} is not built in {root}{hint}; run `explorer build FILE --corpus {name}`"
            )
        index = VectorIndex.load(
            layout.index, model_id=manifest["model_id"], corpus_hash=manifest["corpus_hash"]
        )
        # Papers are parsed when used: `related <id>` on 75,000 papers parses eleven of them.
        # Each parsed paper is checked against the index's id for its row.
        try:
            lines = Lines(layout.papers)
        except FileNotFoundError:
            raise ExplorerError(f"{layout.papers} is missing; rebuild the corpus") from None
        try:
            titles = json.loads(layout.titles.read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            titles = None  # made by an older version, or damaged: read from the papers instead
        if titles is not None and len(titles) != len(index.ids):
            titles = None
        corpus = Corpus.saved(lines, index.ids, manifest["corpus_hash"], titles,
                              source=str(layout.papers))
        return cls(name, corpus, index, manifest, root=root)

    @classmethod
    def open_or_build_seeds(cls, root: Path | None = None) -> Explorer:
        """The default corpus is built on first use, so `explorer related X` just works."""
        root = root or cache_root()
        if read_manifest(Layout(root / SEED_NAME)) is None:
            print("building the seed corpus first…", file=sys.stderr)
            return cls.build(root=root)
        return cls.open(SEED_NAME, root=root)

    # -- questions ------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The model that made this corpus's vectors, loaded on first use (free-text queries)."""
        if self._embedder is None:
            model = self.manifest.get("model")
            self._embedder = Embedder(model, backend=self.manifest.get("backend", "torch"),
                                      model_cache=models_root(self.layout.root.parent))
            if self._embedder.model_id != self.manifest["model_id"]:
                raise ExplorerError(
                    f"corpus {self.name!r} was embedded with {self.manifest['model_id']!r}, "
                    f"which resolves to {self._embedder.model_id!r} here; rebuild the corpus"
                )
        return self._embedder

    @property
    def vectors(self) -> NDArray[np.float32]:
        """(n, d) float32, rows in corpus order (memory-mapped from disk)."""
        if self._vectors is None:
            self._vectors = np.load(self.layout.vectors, mmap_mode="r", allow_pickle=False)
        return self._vectors

    def find(self, id_or_title: str) -> Match:
        """Which paper an id or (partial) title names; raises ExplorerError if none."""
        return find_paper(self.corpus, id_or_title)

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 index, loaded from `<corpus>/bm25/` or built there on first use (no model)."""
        lex = getattr(self, "_lexical", None)
        if lex is None:
            from explorer.lexical import load_or_build

            lex = load_or_build(self.layout.bm25, lambda: [p.text for p in self.corpus],
                                self.corpus.content_hash)
            self._lexical = lex
        return lex

    def related(
        self, *examples: str, negatives: Sequence[str] = (), texts: Sequence[str] = (),
        negative_texts: Sequence[str] = (), k: int = 10, mode: str | None = None,
        years: str | tuple[int | None, int | None] | None = None,
        categories: str | Sequence[str] = (), author: str | None = None,
        ids: Sequence[str] | None = None, diverse: float | None = None, explain: bool = False,
    ) -> list[Hit]:
        """The k papers most like the examples (ids or titles, and/or free `texts`), least like
        the `negatives`; the examples themselves excluded. See `search` for the other options.
        """
        check_k(k)
        bad = [e for e in (*examples, *negatives) if not isinstance(e, str)]
        if bad:
            raise ExplorerError(f"examples are ids or titles, got {bad[0]!r}; pass k=… by name")
        pos = [self.corpus.position(self.find(e).paper.id) for e in examples]
        neg = [self.corpus.position(self.find(e).paper.id) for e in negatives]
        if not pos and not texts:
            raise ExplorerError("give at least one example paper (id or title) or text")
        if set(pos) & set(neg):
            raise ExplorerError("a paper cannot be both a positive and a negative example")
        return self._rank(pos, neg, list(texts), list(negative_texts), k, mode,
                          Filters.make(years, categories, author, ids), diverse, explain)

    def search(
        self, text: str, k: int = 10, *, mode: str | None = None,
        years: str | tuple[int | None, int | None] | None = None,
        categories: str | Sequence[str] = (), author: str | None = None,
        ids: Sequence[str] | None = None, diverse: float | None = None, explain: bool = False,
    ) -> list[Hit]:
        """The k papers most similar to free text: a phrase or a whole draft abstract.

        mode: "dense", "lexical" or "hybrid" (default: the measured best, `DEFAULT_MODE`).
        Filters, applied before ranking (k results whenever k papers pass): `years` ("2020-2024",
        "2020-", "-2024", "2024"), `categories` (any of a paper's categories; "cs" = all cs.*),
        `author` (substring), `ids`. `diverse`: MMR's λ in [0, 1] (1 = plain ranking).
        `explain`: each hit's `why` holds shared terms and the most similar sentence pair.
        """
        check_k(k)
        if not text or not text.strip():
            raise ExplorerError("empty query: give a phrase or an abstract to search for")
        return self._rank([], [], [text], [], k, mode,
                          Filters.make(years, categories, author, ids), diverse, explain)

    def _rank(self, pos: list[int], neg: list[int], texts: list[str], neg_texts: list[str],
              k: int, mode: str | None, filters: Filters, diverse: float | None,
              explain: bool) -> list[Hit]:
        mode = check_mode(mode)
        tv = self.embedder.embed(texts) if texts else None  # free text needs the model
        nv = self.embedder.embed(neg_texts) if neg_texts else None
        lex = self.lexical if mode != "dense" or explain else None
        query = make_query(self.vectors, lex if mode != "dense" else None, self.corpus,
                           positives=pos, negatives=neg, pos_vectors=tv, neg_vectors=nv,
                           pos_texts=texts, neg_texts=neg_texts)
        allowed = filters.mask(self.corpus) if filters.active else None
        hits = ranked(self.corpus, self.index, self.vectors, lex, query, k,
                      mode=mode, allowed=allowed, diverse=diverse)
        if explain and hits:
            from dataclasses import replace

            from explorer.explain import Explainer

            exs: list[int | str] = [*pos, *texts]
            d = self.vectors.shape[1]
            ev = np.concatenate([np.asarray(self.vectors[pos], np.float32).reshape(len(pos), d),
                                 *([tv] if tv is not None else [])])
            why = Explainer(self.corpus, self.vectors, self.lexical, self.embedder).hits(
                exs, ev, [self.corpus.position(h.paper.id) for h in hits])
            hits = [replace(h, why=w) for h, w in zip(hits, why)]
        return hits

    def evaluate(self, judgements: str | Path | None = None, *, label: str | None = None,
                 **options: Any) -> EvalReport:
        """Ranking quality on this corpus, per mode: see `explorer.evaluate.evaluate`.

        Relevance comes from a judgements file (query id, relevant id, optional grade) or from
        a `label` ("category" for the primary category, or a key of `Paper.extra`).
        """
        from explorer.evaluate import evaluate

        return evaluate(self, judgements=judgements, label=label, **options)

    # -- the landscape --------------------------------------------------------------------

    def _ensure_landscape(
        self, settings: Settings | None, rebuild: bool = False, stages: Stages | None = None
    ) -> tuple[Landscape, bool]:
        """(landscape, whether it was made now). No settings: the ones last used here.

        Papers appended to a laid-out corpus are placed on its map (old points stay where they
        are, topic labels are kept); `rebuild=True` lays the whole corpus out afresh.
        """
        folder, corpus_hash = self.layout.landscape, self.corpus.content_hash
        settings = settings or landscape.saved_settings(folder) or Settings()
        land = None if rebuild else landscape.load(folder, settings, corpus_hash)
        if land is not None:
            return land, False
        old = None if rebuild else landscape.grown_from(folder, settings, self.corpus)
        if old is not None:
            new = len(self.corpus) - len(old.coords)
            with (stages or Stages())("place", f"{new:,} new papers on the map"):
                land = landscape.extend(old, np.asarray(self.vectors), corpus_hash)
        else:
            texts = [p.text for p in self.corpus]
            land = landscape.compute(np.asarray(self.vectors), texts, settings, corpus_hash, stages)
        landscape.save(folder, land, corpus_hash)
        return land, True

    def landscape(self, settings: Settings | None = None) -> Landscape:
        """Map coordinates (n, 2), clusters (n,) and topics; computed once per corpus and settings."""
        return self._ensure_landscape(settings)[0]

    def topics(self, settings: Settings | None = None) -> list[Topic]:
        """The corpus's topics, biggest first: label, size and the rows of its central papers."""
        return self.landscape(settings).topics

    def figure(
        self, *, color_by: str = "cluster", highlight: str | None = None, k: int = 10,
        settings: Settings | None = None, title: str | None = None,
    ) -> go.Figure:
        """The interactive map as a Plotly figure; `highlight` (an id, a title or free text)
        marks the query and its k related papers."""
        from explorer import maps

        land = self.landscape(settings)
        marks, point, label = None, None, None
        if highlight is not None:
            hits, point, label = self._highlight(highlight, k, land)
            marks = {self.corpus.position(h.paper.id): h.score for h in hits}
        return maps.map_figure(
            land.coords, self.corpus, land.clusters, land.label_names, color_by=color_by,
            highlight=marks, query_point=point, query_label=label,
            title=title or f"{self.name}: {len(self.corpus):,} papers",
        )

    def write_map(self, path: str | Path | None = None, **options: Any) -> Path:
        """Write the map as one self-contained, offline HTML file (default `<corpus>/map.html`)."""
        from explorer import page

        return page.write_html(self.figure(**options), Path(path) if path else self.layout.map_html)

    def _highlight(
        self, query: str, k: int, land: Landscape
    ) -> tuple[list[Hit], tuple[float, float], str]:
        """A paper of the corpus (by id or title) or else free text: its hits, point and label."""
        try:
            match = self.find(query)
        except ExplorerError:
            match = None
        if match is not None:
            row = self.corpus.position(match.paper.id)
            x, y = land.coords[row]
            return self.related(match.paper.id, k=k), (float(x), float(y)), match.paper.title
        hits = self.search(query, k=k)
        where = topics.place(self.embedder.embed([query]), np.asarray(self.vectors), land.coords)[0]
        return hits, (float(where[0]), float(where[1])), query
