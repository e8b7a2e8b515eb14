"""The `Explorer` facade: one built corpus and the questions you can ask of it.

It wires the stages (read → embed → index → search; project → cluster → map) and keeps their
artefacts where `storage.py` says. Every method is a thin call into a stage module.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer import building, drawing, opening
from explorer.building import BuildReport
from explorer.embed.embedder import Embedder
from explorer.generations import read_manifest
from explorer.index.vectors import VectorIndex
from explorer.libraries import NEW_DAYS, LibrarySource, read_library, recent_since, with_library
from explorer.maps.landscape import Landscape, Settings
from explorer.maps.topics import Topic
from explorer.papers import Corpus, ExplorerError, Hit
from explorer.parts import Parts
from explorer.search import asking
from explorer.search.library import Library, library_why
from explorer.search.lookup import Match, find_paper
from explorer.search.query import DEFAULT_COMBINE, DEFAULT_MODE, MODES, check_k, needs_sentences
from explorer.search.ranking import Filters
from explorer.storage import SEED_NAME, Layout, cache_root
from explorer.text import split_sentences

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from explorer.index.lexical import LexicalIndex
    from explorer.search.evaluate import EvalReport


class Explorer:
    """A built corpus: its papers, vectors and index, and the questions you can ask of it."""

    def __init__(
        self,
        name: str,
        corpus: Corpus,
        index: VectorIndex,
        manifest: dict[str, Any],
        *,
        embedder: Embedder | None = None,
        root: Path | None = None,
        lexical: LexicalIndex | None = None,
        land: Landscape | None = None,
    ) -> None:
        layout = Layout.of((root or cache_root()) / name, manifest)
        self._parts = Parts(name, corpus, index, manifest, layout, embedder, lexical, land)
        self.report: BuildReport | None = None  # set by `build`

    # The corpus and its parts (`explorer.parts.Parts`: each read when first used).
    @property
    def name(self) -> str:
        return self._parts.name

    @property
    def corpus(self) -> Corpus:
        return self._parts.corpus

    @property
    def index(self) -> VectorIndex:
        return self._parts.index

    @property
    def manifest(self) -> dict[str, Any]:
        return self._parts.manifest

    @property
    def layout(self) -> Layout:
        return self._parts.layout

    @property
    def vectors(self) -> NDArray[np.float32]:
        """(n, d) float32, rows in corpus order (memory-mapped from disk)."""
        return self._parts.vectors

    @property
    def model_loaded(self) -> bool:
        """Whether the model is in memory: a free-text query loads it first (seconds)."""
        return self._parts.model_loaded

    @property
    def settings(self) -> Settings:
        """The corpus's own map settings: the ones it was built with (`build(settings=…)`)."""
        return self._parts.settings

    # -- building and opening -------------------------------------------------------------

    @classmethod
    def build(
        cls,
        paths: str | Path | Sequence[str | Path] | None = None,
        *,
        engine: str = "local",
        address: str | None = None,
        **options: Any,
    ) -> Explorer:
        """Read `paths` (default: the seed corpus), embed what is not cached, index, save, lay
        out the map: see `explorer.building.build` for the options. What was done is
        `ex.report` (`explorer.report.BuildReport`), with each stage's seconds in
        `report.extra["stages"]` and, after a growth build, the topics its new papers joined
        (`report.grown_topics`, `grown_fields`).

        `engine="ray"` embeds on a Ray actor pool (`explorer.embed.distributed`): a local Ray
        instance, or the cluster at `address`; the same vectors land in the same cache."""
        b = building.build(paths, engine=engine, address=address, **options)
        ex = cls(b.name, b.corpus, b.index, b.manifest, embedder=b.embedder, root=b.root)
        ex._parts.lexical_, ex._parts.land, ex.report = b.lexical, b.landscape, b.report
        if b.landscape is not None:  # the topic edits this build's map could not keep, said
            try:
                said = [(e["n"], e["not_kept"]) for e in ex.topic_edits() if e["not_kept"]]
                lost = [f"topic edit {n} not kept: {why}" for n, why in said]
            except ExplorerError as e:  # the build stands; the edits file needs mending
                lost = [str(e)]
            b.report.extra["edits_not_kept"] = lost
            for line in lost:
                print(f"note: {line}", file=sys.stderr)
        return ex

    @classmethod
    def open(
        cls, name: str = SEED_NAME, *, root: Path | None = None, embedder: Embedder | None = None
    ) -> Explorer:
        """Open a built corpus without loading any model. `embedder`: a model already loaded, for
        free text; kept only if it made the corpus's vectors (the same `model_id`)."""
        o = opening.open_built(name, root or cache_root())
        if embedder is not None and embedder.model_id != o.manifest.get("model_id"):
            embedder = None
        return cls(o.name, o.corpus, o.index, o.manifest, root=o.root, embedder=embedder)

    def reopen(self) -> Explorer:
        """The corpus as it is committed now (a build may have replaced it since this was
        opened), `load`ed; the model, if loaded, is kept when it made the new vectors too."""
        return Explorer.open(
            self.name, root=self.layout.root.parent, embedder=self._parts.embedder
        ).load()

    def load(self) -> Explorer:
        """Read now what queries would read later from this generation's files (`Parts.load`):
        a build removes a generation when the next-but-one commits, and a loaded `Explorer`
        keeps answering from its own. No model is loaded."""
        self._parts.load()
        return self

    @classmethod
    def open_or_build_seeds(cls, root: Path | None = None) -> Explorer:
        """The default corpus is built on first use, so `explorer related X` just works."""
        root = root or cache_root()
        if read_manifest(Layout(root / SEED_NAME)) is None:
            print("building the seed corpus first…", file=sys.stderr)
            return cls.build(root=root)
        try:
            return cls.open(SEED_NAME, root=root)
        except ExplorerError as e:  # damaged: the seeds are ours to rebuild
            print(f"{e}: building it again…", file=sys.stderr)
            return cls.build(root=root)

    # -- questions ------------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors (n, d) for `texts`, from the model that made the corpus's: comparable with
        `vectors` by dot product. Loads the model on first use."""
        return self._parts.model.embed(list(texts))

    def find(self, id_or_title: str) -> Match:
        """Which paper an id or (partial) title names; raises ExplorerError if none."""
        return find_paper(self.corpus, id_or_title)

    @property
    def default_mode(self) -> str:
        """The ranking used when none is named: `DEFAULT_MODE` ("sentences"), or "hybrid" for a
        corpus built with `sentences=False` (it has no sentence vectors)."""
        return DEFAULT_MODE if self.manifest.get("sentences", True) else "hybrid"

    def related(
        self,
        *examples: str,
        negatives: Sequence[str] = (),
        texts: Sequence[str] = (),
        negative_texts: Sequence[str] = (),
        k: int = 10,
        mode: str | None = None,
        years: str | tuple[int | None, int | None] | None = None,
        categories: str | Sequence[str] = (),
        author: str | None = None,
        ids: Sequence[str] | None = None,
        topic: str | int | Sequence[str | int] | None = None,
        diverse: float | None = None,
        explain: bool = False,
        sentences: Sequence[int] | None = None,
        combine: str = DEFAULT_COMBINE,
        library: LibrarySource | None = None,
        since: str | None = None,
    ) -> list[Hit]:
        """The k papers most like the examples (ids or titles, and/or free `texts`), least like
        the `negatives` (a title that fits several papers, such as "Gemini", names them all);
        the examples themselves excluded. See `search` for the other options.

        `library`: a researcher's library (files, a built corpus's name, or `self.library(…)`)
        as more examples, combined by `combine`; the library's papers are never returned, and
        each hit's `why["library"]` names the library papers closest to it. `since`
        ("YYYY-MM-DD"): only papers dated on or after it (`new`).

        `sentences`: query by part of one example paper, its abstract's sentences by number
        (1 = the first; `sentences_of` lists them): only that evidence ranks ("related by
        method"). `combine`: how several examples combine: "mean" (Rocchio), "max" (each
        candidate scored by its closest example) or "blend" (the average of the two: the
        measured best, see docs/quality.md).
        """
        check_k(k)
        ids = self._parts.in_topic(topic, ids)  # a topic of any level: `search`
        bad = [e for e in (*examples, *negatives) if not isinstance(e, str)]
        if bad:
            raise ExplorerError(f"examples are ids or titles, got {bad[0]!r}; pass k=… by name")
        pos = [self.corpus.position(self.find(e).paper.id) for e in examples]
        named = [self.find(e) for e in negatives]
        neg = [self.corpus.position(m.paper.id) for m in named]
        filters = Filters.make(years, categories, author, ids, since)  # its errors come first
        lib = self.library(library) if library is not None else None
        if lib is not None:
            pos = list(dict.fromkeys([*pos, *lib.in_corpus]))
        if not pos and not texts and not (lib and lib.outside):
            raise ExplorerError("give at least one example paper (id or title) or text")
        if set(pos) & set(neg):
            raise ExplorerError("a paper cannot be both a positive and a negative example")
        # A negative name that fits a family ("Gemini": "Gemini: A Family…" and "Gemini 1.5:
        # …") is every paper it fits, except those given as examples.
        more = [self.corpus.position(p.id) for m in named for p in m.others]
        neg = list(dict.fromkeys([*neg, *(r for r in more if r not in pos)]))
        picked = None
        if sentences is not None:
            if len(pos) != 1:
                raise ExplorerError(
                    f"sentences are picked from one example paper; got {len(pos)} papers"
                )
            picked = asking.picked(self._parts, pos.pop(), sentences)
        all_texts, embedded = list(texts), None
        if lib is not None and lib.outside:
            ranks_sentences = needs_sentences(self.default_mode if mode is None else mode)
            all_texts, embedded = with_library(self._parts, all_texts, lib, ranks_sentences)
        hits = asking.rank(
            self._parts,
            pos,
            neg,
            all_texts,
            list(negative_texts),
            k,
            self.default_mode if mode is None else mode,
            filters,
            diverse,
            explain,
            pick=picked,
            combine=combine,
            embedded=embedded,
        )
        return hits if lib is None else library_why(hits, lib, self.vectors, self.corpus)

    def library(self, source: LibrarySource, **options: Any) -> Library:
        """A researcher's library read against this corpus (`explorer.libraries.read_library`):
        files (BibTeX, RIS, CSL-JSON, … or any format `build` reads) or a built corpus's name.
        Its papers the corpus holds are found by identity (id, DOI, arXiv id, or title and
        first author); the rest are embedded with this corpus's model (cached)."""
        return read_library(self._parts, source, sentences=self._ranks_sentences, **options)

    @property
    def _ranks_sentences(self) -> bool:
        return needs_sentences(self.default_mode)

    def new(
        self, library: LibrarySource, *, since: str | None = None, k: int = 50, **options: Any
    ) -> list[Hit]:
        """`related(library=…)` among the papers dated `since` or later (default: the last
        `NEW_DAYS` days before the corpus's newest date): the daily "what should I read"."""
        return self.related(library=library, since=since or self.recent_since(), k=k, **options)

    def recent_since(self, days: int = NEW_DAYS) -> str:
        """The day `days` before the newest date of the corpus's papers ("YYYY-MM-DD")."""
        return recent_since(self.corpus, days, self.name)

    def sentences_of(self, id_or_title: str) -> list[str]:
        """A paper's abstract as numbered sentences: item i - 1 is sentence i of `related(…,
        sentences=[i])`."""
        return split_sentences(self.find(id_or_title).paper.abstract)

    def search(
        self,
        text: str,
        k: int = 10,
        *,
        mode: str | None = None,
        years: str | tuple[int | None, int | None] | None = None,
        categories: str | Sequence[str] = (),
        author: str | None = None,
        ids: Sequence[str] | None = None,
        topic: str | int | Sequence[str | int] | None = None,
        diverse: float | None = None,
        explain: bool = False,
    ) -> list[Hit]:
        """The k papers most similar to free text: a phrase or a whole draft abstract.

        mode: one of `MODES`, "dense", "lexical" or "hybrid" (default: the measured best,
        `DEFAULT_MODE`); see `explorer.search.query.RANKERS`.
        Filters, applied before ranking (k results whenever k papers pass): `years` ("2020-2024",
        "2020-", "-2024", "2024"), `categories` (any of a paper's categories; "cs" = all cs.*),
        `author` (substring), `ids`, `topic` (a topic id at `topics()`'s default level, or
        "LEVEL.ID" at any level of the topic tree, or several). `diverse`: MMR's λ in [0, 1].
        `explain`: each hit's `why` holds shared terms and the most similar sentence pair.
        """
        check_k(k)
        if not text or not text.strip():
            raise ExplorerError("empty query: give a phrase or an abstract to search for")
        ids = self._parts.in_topic(topic, ids)
        return asking.rank(
            self._parts,
            [],
            [],
            [text],
            [],
            k,
            self.default_mode if mode is None else mode,
            Filters.make(years, categories, author, ids),
            diverse,
            explain,
        )

    def explain(self, a: str, b: str) -> dict[str, Any]:
        """Why papers `a` and `b` (ids or titles) are related, for a map's hover or side panel:
        {"example": {"id", "title"}, "similarity", "shared_terms": [{"term", "weight"}…],
        "sentences": {"a", "b", "similarity"}}. Loads the model (for sentence embeddings)."""
        ra = self.corpus.position(self.find(a).paper.id)
        rb = self.corpus.position(self.find(b).paper.id)
        return self._parts.explainer().pair(ra, rb)

    def evaluate(
        self, judgements: str | Path | None = None, *, label: str | None = None, **options: Any
    ) -> EvalReport:
        """Ranking quality on this corpus, per mode: see `explorer.search.evaluate.evaluate`.

        Relevance comes from a judgements file (query id, relevant id, optional grade) or from
        a `label` ("category" for the primary category, or a key of `Paper.extra`).
        """
        from explorer.search.evaluate import evaluate

        if not self.manifest.get("sentences", True):  # every mode this corpus can rank by
            options.setdefault("modes", tuple(m for m in MODES if not needs_sentences(m)))
        return evaluate(
            self.corpus,
            self.index,
            self.vectors,
            lambda: self._parts.lexical,
            sentences=lambda: self._parts.sentences,
            topics=lambda: self.landscape().clusters,
            corpus_name=self.name,
            judgements=judgements,
            label=label,
            **options,
        )

    # -- the landscape --------------------------------------------------------------------

    def landscape(self, settings: Settings | None = None) -> Landscape:
        """Map coordinates (n, 2), clusters (n,) and topics. Without `settings`, the corpus's
        own (made by `build`); other settings give a one-off view, computed once and kept in
        `<corpus>/views/`, which never changes what the corpus, its map or `topics` show."""
        return self._parts.landscape(settings)

    def topics(self, settings: Settings | None = None, *, level: int | None = None) -> list[Topic]:
        """The corpus's topics, biggest first: label, size and its most central papers. `level`:
        a level of the topic tree (0 the coarsest; None: the map's own topics), each topic with
        its `parent` one level up and `children` one level down (`landscape().tree`)."""
        tree = self.landscape(settings).tree
        return [
            replace(t, papers=tuple(self.corpus[r] for r in t.rows))
            for t in tree.topics[tree.check(level)]
        ]

    # Topic edits (`explorer.maps.edits`), kept in <corpus>/edits.json and applied on every
    # open. Topics: "LEVEL.ID" or an id at the default level; papers: an id or a title.

    def rename_topic(self, topic: str | int, label: str) -> dict[str, Any]:
        """Give a topic (of any level) its own label; returns the edit kept."""
        return self._parts.edit("rename", topic, label)

    def merge_topics(self, a: str | int, b: str | int) -> dict[str, Any]:
        """Merge topic `b` into topic `a` (one level): a keeps its label; returns the edit."""
        return self._parts.edit("merge", a, b)

    def move_paper(self, paper: str, topic: str | int) -> dict[str, Any]:
        """Move a paper into a topic (and its parents; below it, the topic's biggest child)."""
        return self._parts.edit("move", paper, topic)

    def topic_edits(self) -> list[dict[str, Any]]:
        """The corpus's topic edits, oldest first: each edit with "n" (0 the oldest), "edit"
        (a line) and "not_kept" (None, or why this map could not keep it)."""
        return self._parts.topic_edits()

    def undo_edit(self, i: int = -1) -> dict[str, Any]:
        """Drop topic edit `i` (its "n"; -1 the newest); returns it."""
        return self._parts.undo_edit(i)

    def to_pandas(self, *, with_map: bool = True) -> pd.DataFrame:
        """Every paper as a row of a pandas DataFrame (pandas is optional): id, title, authors,
        year, date, categories, url, abstract and, `with_map`, its map position (x, y) and
        topic (topic_id, -1 for none, and topic label), and its topic at every level of the
        topic tree (topic_0 the coarsest label, topic_1, …; topic_id_0, …)."""
        from explorer.frames import papers_frame

        if not with_map:
            return papers_frame(self.corpus)
        return drawing.map_frame(self.corpus, self.landscape())

    def figure(
        self,
        *,
        color_by: str = "cluster",
        highlight: str | None = None,
        k: int = 10,
        settings: Settings | None = None,
        title: str | None = None,
        library: LibrarySource | None = None,
    ) -> go.Figure:
        """The interactive map as a Plotly figure; `highlight` (an id, a title or free text)
        marks the query and its k related papers. `library` (as `related` takes it) adds a
        legend entry "your library" of hollow markers (papers the corpus lacks placed by their
        text) and, without `highlight`, marks the k papers recommended for it."""
        from explorer.maps import page

        lib = self.library(library) if library is not None else None
        likes = self.related(library=lib, k=k) if lib is not None and highlight is None else []
        return drawing.draw(
            self._parts,
            self.landscape(settings),
            color_by=color_by,
            highlight=highlight,
            k=k,
            title=title or page.map_title(self.name, len(self.corpus)),
            mode=self.default_mode,
            library=lib,
            recommended=likes,
        )

    def write_map(self, path: str | Path | None = None, **options: Any) -> Path:
        """Write the map as one self-contained, offline HTML file; returns its path.

        Without a path: the corpus's own map (`<corpus>/map.html`, made by `build`) when no
        option changes it, else a one-off view in `<corpus>/views/`, never over the corpus's map.
        `options` are `figure`'s (`library=…` draws your library and its recommendations).
        """
        from explorer.maps import page

        if path is None:
            lib = options.get("library")  # a library read already: named by where it came from
            named = {**options, "library": lib.name} if isinstance(lib, Library) else options
            if self.topic_edits():  # never over the build's map (its manifest vouches for it)
                named = {**named, "edits": len(self.topic_edits())}
            path = page.map_path(self.layout, self.manifest, named, self.settings)
        return page.write_html(self.figure(**options), Path(path))
