"""The `Explorer` facade: one built corpus and the questions you can ask of it.

It wires the stages (read → embed → index → search; project → cluster → map) and keeps their
artefacts where `storage.py` says. Every method is a thin call into a stage module.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer import building, opening
from explorer.building import BuildReport
from explorer.embed.embedder import Embedder
from explorer.generations import read_manifest
from explorer.index.vectors import VectorIndex
from explorer.maps import landscape, topics
from explorer.maps.landscape import Landscape, Settings
from explorer.maps.topics import Topic
from explorer.papers import Corpus, ExplorerError, Hit
from explorer.search.query import (
    DEFAULT_COMBINE,
    DEFAULT_MODE,
    MODES,
    Match,
    check_k,
    check_mode,
    find_paper,
    make_query,
    needs_lexical,
    needs_sentences,
    ranked,
)
from explorer.search.ranking import Filters
from explorer.storage import (
    SEED_NAME,
    Layout,
    cache_root,
    models_root,
)
from explorer.text import split_sentences

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from explorer.index.lexical import LexicalIndex
    from explorer.index.sentences import SentenceVectors
    from explorer.search.evaluate import EvalReport
    from explorer.search.explain import Explainer


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
        self.name = name
        self.corpus = corpus
        self.index = index
        self.manifest = manifest
        self.layout = Layout.of((root or cache_root()) / name, manifest)
        self._embedder = embedder
        self._vectors: NDArray[np.float32] | None = None
        self._lexical = lexical
        self._sentence_store: SentenceVectors | None = None
        self._land = land
        self._topic_names: list[str | None] | None = None
        self.report: BuildReport | None = None  # set by `build`

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
        `explorer.report`, with each stage's seconds in `report.extra["stages"]`.

        `engine="ray"` embeds on a Ray actor pool (`explorer.embed.distributed`): a local Ray
        instance, or the cluster at `address`; the same vectors land in the same cache."""
        b = building.build(paths, engine=engine, address=address, **options)
        embedder = b.embedder
        ex = cls(
            b.name,
            b.corpus,
            b.index,
            b.manifest,
            embedder=embedder,
            root=b.root,
            lexical=b.lexical,
            land=b.landscape,
        )
        ex.report = b.report
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
            self.name, root=self.layout.root.parent, embedder=self._embedder
        ).load()

    def load(self) -> Explorer:
        """Read now what queries would read later from this generation's files: the vectors
        (memory-mapped), the saved map, BM25 and sentence vectors. A build removes a generation
        when the next-but-one commits; a loaded `Explorer` keeps answering from its own. Nothing
        is computed and no model is loaded; a part that is not saved stays lazy."""
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
            if self._land is None:
                self._land = attempt(lambda: landscape.load(lay.landscape, self.settings, digest))
            if self._lexical is None and lay.bm25.exists():
                self._lexical = attempt(lambda: LexicalIndex.load(lay.bm25, corpus_hash=digest))
            if self._sentence_store is None and lay.sentences.exists():
                model_id = str(self.manifest.get("model_id"))
                self._sentence_store = attempt(
                    lambda: SentenceVectors.load(
                        lay.sentences, corpus_hash=digest, model_id=model_id
                    )
                )
        self._topic_labels()
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

    @property
    def _model(self) -> Embedder:
        """The model that made this corpus's vectors, loaded on first use (free-text queries)."""
        if self._embedder is None:
            model = self.manifest.get("model")
            self._embedder = Embedder(
                model,
                backend=self.manifest.get("backend", "torch"),
                model_cache=models_root(self.layout.root.parent),
            )
            if self._embedder.model_id != self.manifest["model_id"]:
                raise ExplorerError(
                    f"corpus {self.name!r} was embedded with {self.manifest['model_id']!r}, "
                    f"which resolves to {self._embedder.model_id!r} here; rebuild the corpus"
                )
        return self._embedder

    @property
    def model_loaded(self) -> bool:
        """Whether the model is in memory: a free-text query loads it first (seconds)."""
        e = self._embedder
        # An embedder passed in without lazy loading (`build(embedder=…)`) counts as loaded.
        return e is not None and getattr(e, "_backend", e) is not None

    @property
    def vectors(self) -> NDArray[np.float32]:
        """(n, d) float32, rows in corpus order (memory-mapped from disk)."""
        if self._vectors is None:
            try:
                self._vectors = np.load(self.layout.vectors, mmap_mode="r", allow_pickle=False)
            except FileNotFoundError:  # two builds committed since it was opened
                raise ExplorerError(
                    f"corpus {self.name!r} was rebuilt since it was opened and the files it "
                    "was opened on are gone; open it again"
                ) from None
        return self._vectors

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors (n, d) for `texts`, from the model that made the corpus's: comparable with
        `vectors` by dot product. Loads the model on first use."""
        return self._model.embed(list(texts))

    def find(self, id_or_title: str) -> Match:
        """Which paper an id or (partial) title names; raises ExplorerError if none."""
        return find_paper(self.corpus, id_or_title)

    @property
    def _bm25(self) -> LexicalIndex:
        """The BM25 index, loaded from the corpus's `bm25/` (no model); a corpus of an older
        version without one has it built there on first use."""
        lex = self._lexical
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
            self._lexical = lex
        return lex

    @property
    def default_mode(self) -> str:
        """The ranking used when none is named: `DEFAULT_MODE` ("sentences"), or "hybrid" for a
        corpus built with `sentences=False` (it has no sentence vectors)."""
        return DEFAULT_MODE if self.manifest.get("sentences", True) else "hybrid"

    @property
    def _sentences(self) -> SentenceVectors:
        """Each paper's sentence vectors, memory-mapped from the corpus's `sentences/`; a corpus
        built before they existed has them made here (with the model, cached ones reused)."""
        store = self._sentence_store
        if store is None:
            from explorer.index.sentences import SentenceVectors

            if not self.manifest.get("sentences", True):
                raise ExplorerError(
                    f"corpus {self.name!r} was built without sentence vectors "
                    "(--no-sentences); build it again with --sentences to rank by them"
                )
            corpus_hash = self.corpus.content_hash
            try:
                store = SentenceVectors.load(
                    self.layout.sentences,
                    corpus_hash=corpus_hash,
                    model_id=str(self.manifest.get("model_id")),
                )
            except ExplorerError:
                store = self._embed_sentences()
            self._sentence_store = store
        return store

    def _embed_sentences(self) -> SentenceVectors:
        from explorer.index.sentences import embed_store

        print(
            f"corpus {self.name!r} was built without sentence vectors: embedding them now "
            "(`explorer build` keeps them)",
            file=sys.stderr,
        )
        return embed_store(self.corpus, self._model, self.layout.root.parent)

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
        diverse: float | None = None,
        explain: bool = False,
        sentences: Sequence[int] | None = None,
        combine: str = DEFAULT_COMBINE,
    ) -> list[Hit]:
        """The k papers most like the examples (ids or titles, and/or free `texts`), least like
        the `negatives` (a title that fits several papers, such as "Gemini", names them all);
        the examples themselves excluded. See `search` for the other options.

        `sentences`: query by part of one example paper, its abstract's sentences by number
        (1 = the first; `sentences_of` lists them): only that evidence ranks ("related by
        method"). `combine`: how several examples combine: "mean" (Rocchio), "max" (each
        candidate scored by its closest example) or "blend" (the average of the two: the
        measured best, see docs/quality.md).
        """
        check_k(k)
        bad = [e for e in (*examples, *negatives) if not isinstance(e, str)]
        if bad:
            raise ExplorerError(f"examples are ids or titles, got {bad[0]!r}; pass k=… by name")
        pos = [self.corpus.position(self.find(e).paper.id) for e in examples]
        named = [self.find(e) for e in negatives]
        neg = [self.corpus.position(m.paper.id) for m in named]
        if not pos and not texts:
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
            picked = self._picked(pos.pop(), sentences)
        return self._rank(
            pos,
            neg,
            list(texts),
            list(negative_texts),
            k,
            mode,
            Filters.make(years, categories, author, ids),
            diverse,
            explain,
            picked=picked,
            combine=combine,
        )

    def _text_sentences(
        self, texts: list[str], vectors: NDArray[np.float32] | None
    ) -> list[NDArray[np.float32]]:
        """Each free text's sentence vectors; a one-sentence text (a phrase) is its own vector."""
        out = []
        for i, t in enumerate(texts):
            sents = split_sentences(t)
            if len(sents) <= 1 and vectors is not None:
                out.append(vectors[i : i + 1])
            else:
                out.append(self._model.embed(sents or [t]))
        return out

    def sentences_of(self, id_or_title: str) -> list[str]:
        """A paper's abstract as numbered sentences: item i - 1 is sentence i of `related(…,
        sentences=[i])`."""
        return split_sentences(self.find(id_or_title).paper.abstract)

    def _picked(
        self, row: int, numbers: Sequence[int]
    ) -> tuple[list[str], NDArray[np.float32], NDArray[np.float32], int]:
        """Sentences `numbers` (1-based) of paper `row`: them, their mean vector, vectors, row."""
        sents, vecs = self._sentences.pick(row, self.corpus[row], numbers)
        mean = vecs.mean(axis=0)
        return sents, (mean / np.linalg.norm(mean)).astype(np.float32), vecs, row

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
        diverse: float | None = None,
        explain: bool = False,
    ) -> list[Hit]:
        """The k papers most similar to free text: a phrase or a whole draft abstract.

        mode: one of `MODES`, "dense", "lexical" or "hybrid" (default: the measured best,
        `DEFAULT_MODE`); see `explorer.search.query.RANKERS`.
        Filters, applied before ranking (k results whenever k papers pass): `years` ("2020-2024",
        "2020-", "-2024", "2024"), `categories` (any of a paper's categories; "cs" = all cs.*),
        `author` (substring), `ids`. `diverse`: MMR's λ in [0, 1] (1 = plain ranking).
        `explain`: each hit's `why` holds shared terms and the most similar sentence pair.
        """
        check_k(k)
        if not text or not text.strip():
            raise ExplorerError("empty query: give a phrase or an abstract to search for")
        return self._rank(
            [],
            [],
            [text],
            [],
            k,
            mode,
            Filters.make(years, categories, author, ids),
            diverse,
            explain,
        )

    def _rank(
        self,
        pos: list[int],
        neg: list[int],
        texts: list[str],
        neg_texts: list[str],
        k: int,
        mode: str | None,
        filters: Filters,
        diverse: float | None,
        explain: bool,
        *,
        picked: tuple[list[str], NDArray[np.float32], NDArray[np.float32], int] | None = None,
        combine: str = "mean",
    ) -> list[Hit]:
        mode = check_mode(self.default_mode if mode is None else mode)
        # Filters first: a mistake in one is the only thing a user sees, before any model loads.
        allowed = filters.mask(self.corpus) if filters.active else None
        tv = self._model.embed(texts) if texts else None  # free text needs the model
        nv = self._model.embed(neg_texts) if neg_texts else None
        lexical = needs_lexical(mode)
        lex = self._bm25 if lexical or explain else None
        store = self._sentences if needs_sentences(mode) else None
        text_sents = self._text_sentences(texts, tv) if store is not None else []
        if picked is not None:  # part of a paper: its sentences act as one free text
            texts = [*texts, " ".join(picked[0])]
            tv = picked[1][None] if tv is None else np.concatenate([tv, picked[1][None]])
            text_sents.append(picked[2])
        query = make_query(
            self.vectors,
            lex if lexical else None,
            self.corpus,
            positives=pos,
            negatives=neg,
            pos_vectors=tv,
            neg_vectors=nv,
            pos_texts=texts,
            neg_texts=neg_texts,
            sentences=store,
            pos_sentences=text_sents,
            combine=combine,
        )
        if picked is not None:
            query = replace(query, exclude=(*query.exclude, picked[3]))
        hits = ranked(
            self.corpus,
            self.index,
            self.vectors,
            lex,
            query,
            k,
            mode=mode,
            allowed=allowed,
            diverse=diverse,
            sentences=store,
        )
        topics_of = self._topic_labels()
        if topics_of is not None:
            hits = [replace(h, topic=topics_of[self.corpus.position(h.paper.id)]) for h in hits]
        if explain and hits:
            exs: list[int | str] = [*pos, *texts]
            d = self.vectors.shape[1]
            ev = np.concatenate(
                [
                    np.asarray(self.vectors[pos], np.float32).reshape(len(pos), d),
                    *([tv] if tv is not None else []),
                ]
            )
            explainer = self._explainer()
            if picked is not None:  # the picked sentences' saved vectors: no model needed
                explainer.remember(picked[0], picked[2])
            why = explainer.hits(exs, ev, [self.corpus.position(h.paper.id) for h in hits])
            hits = [replace(h, why=w) for h, w in zip(hits, why, strict=True)]
        return hits

    def explain(self, a: str, b: str) -> dict[str, Any]:
        """Why papers `a` and `b` (ids or titles) are related, for a map's hover or side panel:
        {"example": {"id", "title"}, "similarity", "shared_terms": [{"term", "weight"}…],
        "sentences": {"a", "b", "similarity"}}. Loads the model (for sentence embeddings)."""
        ra = self.corpus.position(self.find(a).paper.id)
        rb = self.corpus.position(self.find(b).paper.id)
        return self._explainer().pair(ra, rb)

    def _explainer(self) -> Explainer:
        """Explanations read the saved sentence vectors (those the ranking aligned); a corpus
        built without them has its sentences embedded per explanation instead."""
        from explorer.search.explain import Explainer

        store = self._sentence_store
        if store is None and self.layout.sentences.exists():
            store = self._sentences
        return Explainer(self.corpus, self.vectors, self._bm25, self._model, store)

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
            lambda: self._bm25,
            sentences=lambda: self._sentences,
            topics=lambda: self.landscape().clusters,
            corpus_name=self.name,
            judgements=judgements,
            label=label,
            **options,
        )

    # -- the landscape --------------------------------------------------------------------

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
        if own and self._land is not None:
            return self._land
        corpus_hash = self.corpus.content_hash
        land = landscape.load(self.layout.landscape, settings, corpus_hash) if own else None
        vkey = landscape.view_key(corpus_hash, str(self.manifest.get("model_id")))
        view = self.layout.views / settings.key(vkey)[:16]
        if land is None:
            land = landscape.load(view, settings, vkey)
        if land is None:
            texts = [p.text for p in self.corpus]
            # Other topic settings on the corpus's own map: the map is reused, not laid out.
            mine = None if own else self._land
            if mine is None and not own:
                mine = landscape.load(self.layout.landscape, self.settings, corpus_hash)
            land = landscape.compute(np.asarray(self.vectors), texts, settings, vkey, reuse=mine)
            with contextlib.suppress(OSError):  # a read-only cache: computed, just not kept
                landscape.save(view, land, vkey)
        if own:
            self._land = land
        return land

    def _topic_labels(self) -> list[str | None] | None:
        """Each paper's topic label on the corpus's own map, None without a saved map: read,
        never laid out, so that a query never waits for UMAP."""
        if self._topic_names is None:
            land = self._land
            if land is None and self.layout.generation is not None:
                land = landscape.load(
                    self.layout.landscape, self.settings, self.corpus.content_hash
                )
            names = land.label_names if land is not None else {}
            self._topic_names = (
                [names.get(int(c)) for c in land.clusters] if land is not None else []
            )
        return self._topic_names or None

    def topics(self, settings: Settings | None = None) -> list[Topic]:
        """The corpus's topics, biggest first: label, size and its most central papers."""
        return [
            replace(t, papers=tuple(self.corpus[r] for r in t.rows))
            for t in self.landscape(settings).topics
        ]

    def to_pandas(self, *, with_map: bool = True) -> pd.DataFrame:
        """Every paper as a row of a pandas DataFrame (pandas is optional): id, title, authors,
        year, date, categories, url, abstract and, `with_map`, its map position (x, y) and
        topic (topic_id, -1 for none, and topic label)."""
        from explorer.frames import papers_frame

        if not with_map:
            return papers_frame(self.corpus)
        land = self.landscape()
        names = land.label_names
        return papers_frame(
            self.corpus,
            x=np.asarray(land.coords)[:, 0].tolist(),
            y=np.asarray(land.coords)[:, 1].tolist(),
            topic_id=[int(c) for c in land.clusters],
            topic=[names.get(int(c)) for c in land.clusters],
        )

    def figure(
        self,
        *,
        color_by: str = "cluster",
        highlight: str | None = None,
        k: int = 10,
        settings: Settings | None = None,
        title: str | None = None,
    ) -> go.Figure:
        """The interactive map as a Plotly figure; `highlight` (an id, a title or free text)
        marks the query and its k related papers."""
        from explorer.maps import figure, page

        land = self.landscape(settings)
        marks, point, label = None, None, None
        if highlight is not None:
            hits, point, label = self._highlight(highlight, k, land)
            marks = {self.corpus.position(h.paper.id): h.score for h in hits}
        return figure.map_figure(
            land.coords,
            self.corpus,
            land.clusters,
            land.label_names,
            color_by=color_by,
            highlight=marks,
            query_point=point,
            query_label=label,
            title=title or page.map_title(self.name, len(self.corpus)),
        )

    def write_map(self, path: str | Path | None = None, **options: Any) -> Path:
        """Write the map as one self-contained, offline HTML file; returns its path.

        Without a path: the corpus's own map (`<corpus>/map.html`, made by `build`) when no
        option changes it, else a one-off view in `<corpus>/views/`, never over the corpus's map.
        """
        from explorer.maps import page

        if path is None:
            own = {
                k: v
                for k, v in options.items()
                if v is not None
                and not (k == "color_by" and v == "cluster")
                and not (k == "settings" and v == self.settings)
                and k != "k"
            }
            if not own and self.layout.generation is not None and self.layout.map_html.exists():
                stable = self.layout.stable_map
                want = self.manifest.get("files", {}).get("map.html", {}).get("bytes")
                ok = stable.exists() and stable.stat().st_size == want
                return stable if ok else self.layout.map_html
            digest = hashlib.sha256(repr(sorted(own.items())).encode()).hexdigest()[:12]
            path = self.layout.views / (f"map-{digest}.html" if own else "map.html")
        return page.write_html(self.figure(**options), Path(path))

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
        where = topics.place(self._model.embed([query]), np.asarray(self.vectors), land.coords)[0]
        return hits, (float(where[0]), float(where[1])), query
