"""The parts of one opened (or just built) corpus, each read from its generation when first used.

`Explorer` asks its questions of a `Parts`: the papers and the index come with it; the vectors
(memory-mapped), the BM25 index, the sentence vectors, the map and the model are read or loaded
on first use, so that `explorer related <id>` on 75,000 papers loads no model and parses eleven
papers. `load()` reads them all at once, for a server that must keep answering from this
generation after a build has replaced it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer.embed.embedder import Embedder
from explorer.index.vectors import VectorIndex
from explorer.maps import landscape
from explorer.maps.landscape import Landscape, Settings
from explorer.papers import Corpus, ExplorerError, Hit
from explorer.storage import Layout, models_root

if TYPE_CHECKING:
    from explorer.index.lexical import LexicalIndex
    from explorer.index.sentences import SentenceVectors
    from explorer.search.explain import Explainer


@dataclass
class Parts:
    """A built corpus's parts (see the module's docstring). `embedder`, `lexical` and `land`
    may be handed over by a build that has them in memory already."""

    name: str
    corpus: Corpus
    index: VectorIndex
    manifest: dict[str, Any]
    layout: Layout
    embedder: Embedder | None = None
    lexical_: LexicalIndex | None = None
    land: Landscape | None = None
    vectors_: NDArray[np.float32] | None = field(default=None, repr=False)
    sentences_: SentenceVectors | None = field(default=None, repr=False)
    topic_names: list[str | None] | None = field(default=None, repr=False)
    # (the saved landscape, it with the corpus's topic edits applied, why each edit was not kept)
    edited_: tuple[Landscape, Landscape, list[str | None]] | None = field(default=None, repr=False)

    @property
    def model(self) -> Embedder:
        """The model that made this corpus's vectors, loaded on first use (free-text queries)."""
        if self.embedder is None:
            self.embedder = Embedder(
                self.manifest.get("model"),
                backend=self.manifest.get("backend", "torch"),
                model_cache=models_root(self.layout.root.parent),
            )
            if self.embedder.model_id != self.manifest["model_id"]:
                raise ExplorerError(
                    f"corpus {self.name!r} was embedded with {self.manifest['model_id']!r}, "
                    f"which resolves to {self.embedder.model_id!r} here; rebuild the corpus"
                )
        return self.embedder

    @property
    def model_loaded(self) -> bool:
        """Whether the model is in memory: a free-text query loads it first (seconds)."""
        e = self.embedder
        # An embedder passed in without lazy loading (`build(embedder=…)`) counts as loaded.
        return e is not None and getattr(e, "_backend", e) is not None

    @property
    def vectors(self) -> NDArray[np.float32]:
        """(n, d) float32, rows in corpus order (memory-mapped from disk)."""
        if self.vectors_ is None:
            try:
                self.vectors_ = np.load(self.layout.vectors, mmap_mode="r", allow_pickle=False)
            except FileNotFoundError:  # two builds committed since it was opened
                raise ExplorerError(
                    f"corpus {self.name!r} was rebuilt since it was opened and the files it "
                    "was opened on are gone; open it again"
                ) from None
        return self.vectors_

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 index, loaded from the corpus's `bm25/` (no model); a corpus of an older
        version without one has it built there on first use."""
        lex = self.lexical_
        if lex is None:
            from explorer.index.lexical import LexicalIndex, load_or_build

            texts, corpus_hash = (lambda: [p.text for p in self.corpus]), self.corpus.content_hash
            if self.layout.generation is None:  # version 1: its folder may be written
                lex = load_or_build(self.layout.bm25, texts, corpus_hash)
            else:  # a committed generation is never changed: a missing index is built here
                try:
                    lex = LexicalIndex.load(self.layout.bm25, corpus_hash=corpus_hash)
                except ExplorerError:
                    lex = LexicalIndex.build(texts(), corpus_hash=corpus_hash)
            self.lexical_ = lex
        return lex

    @property
    def sentences(self) -> SentenceVectors:
        """Each paper's sentence vectors, memory-mapped from the corpus's `sentences/`; a corpus
        built before they existed has them made here (with the model, cached ones reused)."""
        store = self.sentences_
        if store is None:
            from explorer.index.sentences import SentenceVectors, embed_store

            if not self.manifest.get("sentences", True):
                raise ExplorerError(
                    f"corpus {self.name!r} was built without sentence vectors "
                    "(--no-sentences); build it again with --sentences to rank by them"
                )
            try:
                store = SentenceVectors.load(
                    self.layout.sentences,
                    corpus_hash=self.corpus.content_hash,
                    model_id=str(self.manifest.get("model_id")),
                )
            except ExplorerError:
                print(
                    f"corpus {self.name!r} was built without sentence vectors: embedding them "
                    "now (`explorer build` keeps them)",
                    file=sys.stderr,
                )
                store = embed_store(self.corpus, self.model, self.layout.root.parent)
            self.sentences_ = store
        return store

    def explainer(self) -> Explainer:
        """Explanations read the saved sentence vectors (those the ranking aligned); a corpus
        built without them has its sentences embedded per explanation instead."""
        from explorer.search.explain import Explainer

        store = self.sentences_
        if store is None and self.layout.sentences.exists():
            store = self.sentences
        return Explainer(self.corpus, self.vectors, self.lexical, self.model, store)

    # -- the landscape ------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The corpus's own map settings: the ones it was built with (`build(settings=…)`)."""
        try:
            return Settings(**self.manifest["settings"])
        except (KeyError, TypeError):
            return Settings()

    def landscape(self, settings: Settings | None = None) -> Landscape:
        """Map coordinates (n, 2), clusters (n,) and topics. Without `settings`, the corpus's
        own (made by `build`); other settings give a one-off view, computed once and kept in
        `<corpus>/views/`, which never changes what the corpus, its map or `topics` show."""
        settings = settings or self.settings
        own = settings == self.settings
        if own and self.land is not None:
            return self.edited(self.land)
        corpus_hash = self.corpus.content_hash
        land = landscape.load(self.layout.landscape, settings, corpus_hash) if own else None
        vkey = landscape.view_key(corpus_hash, str(self.manifest.get("model_id")))
        view = self.layout.views / settings.key(vkey)[:16]
        if land is None:
            land = landscape.load(view, settings, vkey)
        if land is None:
            texts = [p.text for p in self.corpus]
            # Other topic settings on the corpus's own map: the map is reused, not laid out.
            mine = None if own else self.land
            if mine is None and not own:
                mine = landscape.load(self.layout.landscape, self.settings, corpus_hash)
            land = landscape.compute(np.asarray(self.vectors), texts, settings, vkey, reuse=mine)
            with contextlib.suppress(OSError):  # a read-only cache: computed, just not kept
                landscape.save(view, land, vkey)
        if own:
            self.land = land
            return self.edited(land)
        return land

    def edited(self, land: Landscape) -> Landscape:
        """`land` (the corpus's own) with its topic edits (`<corpus>/edits.json`) applied."""
        if self.edited_ is not None and self.edited_[0] is land:
            return self.edited_[1]
        from explorer.maps import edits_file

        out, why = edits_file.applied(self.layout, land, self.corpus.ids)
        self.edited_ = (land, out, why)
        return out

    def topic_edits(self) -> list[dict[str, Any]]:
        """The corpus's topic edits, oldest first, each with "n" (its number, 0 the oldest),
        "edit" (a line) and "kept" (None) or why this map could not keep it."""
        from explorer.maps import edits, edits_file

        done = edits_file.read(self.layout)
        self.landscape()
        why = self.edited_[2] if self.edited_ is not None else []
        return [
            {**e, "n": i, "edit": edits.describe(e), "not_kept": why[i] if i < len(why) else None}
            for i, e in enumerate(done)
        ]

    def edit(self, op: str, *args: Any) -> dict[str, Any]:
        """Make and keep one topic edit (`maps.edits`: "rename", "merge" or "move"), checked
        against the map as edited so far; the map shows it from now on."""
        from explorer.maps import edits, edits_file
        from explorer.search.lookup import find_paper

        tree, ids = self.landscape().tree, self.corpus.ids
        if op == "move":
            paper, key = args
            args = (self.corpus.position(find_paper(self.corpus, str(paper)).paper.id), key)
        made = {"rename": edits.rename, "merge": edits.merge, "move": edits.move}[op]
        edit = made(tree, ids, *args)
        edits_file.add(self.layout, edit)
        self.forget_edits()
        return edit

    def undo_edit(self, i: int = -1) -> dict[str, Any]:
        from explorer.maps import edits_file

        gone = edits_file.remove(self.layout, i)
        self.forget_edits()
        return gone

    def forget_edits(self) -> None:
        self.edited_, self.topic_names = None, None

    def in_topic(
        self, topic: str | int | Sequence[str | int] | None, ids: Sequence[str] | None
    ) -> Sequence[str] | None:
        """`ids` narrowed to the papers of `topic` (any of several), on the corpus's own map: a
        topic id at its default level (7) or LEVEL.ID at any level ("0.3", 0 the coarsest)."""
        if topic is None:
            return ids
        from explorer.maps.tree import parse_key

        tree = self.landscape().tree
        keys = [topic] if isinstance(topic, (str, int)) else list(topic)
        rows = sorted({int(r) for k in keys for r in tree.rows(*parse_key(k, tree.default))})
        inside = [self.corpus[r].id for r in rows]
        if ids is None:
            return inside
        given = {self.corpus.position(i) for i in ids if i in self.corpus}
        return [self.corpus[r].id for r in sorted(given & set(rows))]

    def topic_labels(self) -> list[str | None] | None:
        """Each paper's topic label on the corpus's own map, None without a saved map: read,
        never laid out, so that a query never waits for UMAP."""
        if self.topic_names is None:
            land = self.land
            if land is None and self.layout.generation is not None:
                land = landscape.load(
                    self.layout.landscape, self.settings, self.corpus.content_hash
                )
            if land is not None:
                self.land = land
                land = self.edited(land)
            names = land.label_names if land is not None else {}
            self.topic_names = (
                [names.get(int(c)) for c in land.clusters] if land is not None else []
            )
        return self.topic_names or None

    def load(self) -> None:
        """Read now what queries would read later from this generation's files: the vectors
        (memory-mapped), the saved map, BM25 and sentence vectors. A build removes a generation
        when the next-but-one commits; loaded parts keep answering from their own. Nothing is
        computed and no model is loaded; a part that is not saved stays lazy."""
        from explorer.index.lexical import LexicalIndex
        from explorer.index.sentences import SentenceVectors

        _ = self.vectors
        lay, digest = self.layout, self.corpus.content_hash

        def attempt(read: Any) -> Any:
            try:
                return read()
            except (ExplorerError, OSError):  # a stale part stays lazy, as it was
                if not lay.folder.is_dir():
                    raise ExplorerError(f"corpus {self.name!r} was rebuilt while loading") from None
                return None

        if lay.generation is not None:  # a version-1 corpus makes its parts when they are used
            if self.land is None:
                self.land = attempt(lambda: landscape.load(lay.landscape, self.settings, digest))
            if self.lexical_ is None and lay.bm25.exists():
                self.lexical_ = attempt(lambda: LexicalIndex.load(lay.bm25, corpus_hash=digest))
            if self.sentences_ is None and lay.sentences.exists():
                model_id = str(self.manifest.get("model_id"))
                self.sentences_ = attempt(
                    lambda: SentenceVectors.load(
                        lay.sentences, corpus_hash=digest, model_id=model_id
                    )
                )
        self.topic_labels()


def highlight_on(
    parts: Parts, query: str, k: int, land: Landscape, mode: str
) -> tuple[list[Hit], tuple[float, float], str]:
    """What a map highlights for `query`: a paper of the corpus (by id or title) and its k
    related papers, or else free text, its k hits and where it lands; (hits, point, label)."""
    from explorer.maps import topics
    from explorer.search import asking
    from explorer.search.lookup import find_paper
    from explorer.search.ranking import Filters

    try:
        match = find_paper(parts.corpus, query)
    except ExplorerError:
        match = None
    if match is not None:
        row = parts.corpus.position(match.paper.id)
        x, y = land.coords[row]
        hits = asking.rank(parts, [row], [], [], [], k, mode, Filters.make(), None, False)
        return hits, (float(x), float(y)), match.paper.title
    hits = asking.rank(parts, [], [], [query], [], k, mode, Filters.make(), None, False)
    at = topics.place(parts.model.embed([query]), np.asarray(parts.vectors), land.coords)[0]
    return hits, (float(at[0]), float(at[1])), query
