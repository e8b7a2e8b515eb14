"""A researcher's library, read against a built corpus: `read_library`.

A library is files (a BibTeX, RIS, CSL-JSON, … export, or any format `explorer build` reads)
or a built corpus. Its papers that the corpus holds (`explorer.search.library.match_rows`) are
the corpus's own rows; the others are embedded with the corpus's model through the vector
cache (a second ask embeds nothing), each with its sentence vectors when the corpus ranks by
them. Nothing is written but the cache.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from explorer.opening import open_built
from explorer.papers import Corpus, ExplorerError
from explorer.parts import Parts
from explorer.readers import read_corpus
from explorer.search.library import Library, match_rows
from explorer.storage import Layout

LibrarySource = Library | str | Path | Sequence[str | Path]
NEW_DAYS = 7  # `new` without `since`: the last week of the corpus's listing


def read_library(
    parts: Parts,
    source: LibrarySource,
    *,
    fmt: str | None = None,
    columns: Mapping[str, str] | None = None,
    sentences: bool = True,
) -> Library:
    """`source` read against `parts`'s corpus: files, or the name of a corpus built in the same
    cache (a name that is not a file); a `Library` read against this corpus is returned as is.
    `sentences`: embed the sentence vectors of the papers the corpus lacks."""
    if isinstance(source, Library):
        if source.corpus_hash != parts.corpus.content_hash:
            raise ExplorerError(
                f"library {source.name} was read against another corpus; read it again "
                f"against {parts.name!r}"
            )
        return source
    paths = [source] if isinstance(source, (str, Path)) else list(source)
    if not paths:
        raise ExplorerError("the library is empty: give its files or a built corpus's name")
    root = parts.layout.root.parent
    one = str(paths[0])
    if len(paths) == 1 and not Path(one).is_file() and (root / one / "manifest.json").exists():
        return _from_corpus(parts, one, root, sentences)
    name = ", ".join(Path(p).name for p in paths)
    papers = read_corpus(paths, fmt=fmt, columns=columns)
    return _embedded(parts, name, papers, sentences)


def _from_corpus(parts: Parts, name: str, root: Path, sentences: bool) -> Library:
    """A built corpus as the library: its own vectors and sentence vectors, no model."""
    if name == parts.name:
        raise ExplorerError(f"the library {name!r} is the corpus itself: nothing is left to find")
    o = open_built(name, root)
    want, have = parts.manifest.get("model_id"), o.manifest.get("model_id")
    if want != have:
        raise ExplorerError(
            f"library corpus {name!r} was built with the model {have}, corpus {parts.name!r} "
            f"with {want}: build the library with --model {parts.manifest.get('model')}"
        )
    lib = Parts(o.name, o.corpus, o.index, o.manifest, Layout.of(o.root / o.name, o.manifest))
    rows = match_rows(parts.corpus, list(lib.corpus))
    vectors = np.array(lib.vectors, np.float32)
    inside = [(i, r) for i, r in enumerate(rows) if r is not None]
    if inside:  # a paper the corpus holds is the corpus's paper, as from files
        vectors[[i for i, _ in inside]] = np.asarray(parts.vectors[[r for _, r in inside]])
    sents = None
    if sentences and o.manifest.get("sentences", True):
        store = lib.sentences
        sents = tuple(_some(store.of(i), vectors[i]) for i, r in enumerate(rows) if r is None)
    return Library(
        f"corpus {name!r}", lib.corpus, tuple(rows), vectors, sents, parts.corpus.content_hash
    )


def _embedded(parts: Parts, name: str, papers: Corpus, sentences: bool) -> Library:
    """Files' papers: the corpus's rows where it holds them, the rest embedded (cached)."""
    from explorer.embed.cache import VectorCache
    from explorer.index.sentences import embed_corpus

    rows = match_rows(parts.corpus, list(papers))
    corpus_vectors = parts.vectors
    d = corpus_vectors.shape[1]
    vectors = np.zeros((len(papers), d), np.float32)
    inside = [(i, r) for i, r in enumerate(rows) if r is not None]
    if inside:
        vectors[[i for i, _ in inside]] = np.asarray(corpus_vectors[[r for _, r in inside]])
    outside = [i for i, r in enumerate(rows) if r is None]
    sents: tuple[np.ndarray, ...] | None = None
    if outside:
        model = parts.model
        cache = VectorCache(parts.layout.root.parent, model.model_id)
        try:
            scratch = np.empty((len(outside), d), np.float32)
            sub = Corpus([papers[i] for i in outside])
            store, _ = embed_corpus(sub, model, cache, scratch, with_sentences=sentences)
        finally:
            cache.close()
        vectors[outside] = scratch
        if store is not None:
            sents = tuple(_some(store.of(j), scratch[j]) for j in range(len(outside)))
    elif sentences:
        sents = ()
    return Library(name, papers, tuple(rows), vectors, sents, parts.corpus.content_hash)


def _some(sentence_vectors: np.ndarray, paper_vector: np.ndarray) -> np.ndarray:
    """A paper's sentence vectors as float32; one without sentences is its own one sentence."""
    s = np.asarray(sentence_vectors, np.float32)
    return s if len(s) else np.asarray(paper_vector, np.float32)[None]


def with_library(
    parts: Parts, texts: list[str], lib: Library, sentences: bool
) -> tuple[list[str], tuple[NDArray[np.float32], list[NDArray[np.float32]]]]:
    """Free texts, then the library's papers outside the corpus, as texts with their vectors
    (the free texts embedded here, the library's read with it) and, `sentences`, their
    sentence vectors: what `asking.rank(embedded=…)` takes."""
    from explorer.search.asking import text_sentences

    vecs = [lib.vectors[lib.outside]]
    sents: list[NDArray[np.float32]] = []
    if texts:
        tv = parts.model.embed(texts)
        vecs.insert(0, tv)
        if sentences:
            sents = text_sentences(parts.model, texts, tv)
    sents += list(lib.sentences or ())
    lib_texts = [lib.papers[i].text for i in lib.outside]
    return [*texts, *lib_texts], (np.concatenate(vecs), sents)


def recent_since(corpus: Corpus, days: int, name: str) -> str:
    """The day `days` before the newest date of `corpus`'s papers ("YYYY-MM-DD")."""
    dates = [p.date for p in corpus if p.date]
    if not dates:
        raise ExplorerError(f"no paper of corpus {name!r} has a date: nothing is new")
    newest = max(d + "-01-01"[len(d) - 4 :] for d in dates)
    return (datetime.date.fromisoformat(newest) - datetime.timedelta(days=days)).isoformat()
