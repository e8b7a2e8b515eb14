"""A build's stages, each making its part of the staged generation or reusing the committed
one's: the vectors and index (grown when papers were only appended), the sentence vectors, BM25
(in a child process beside a large map) and the landscape (linked, grown, re-clustered on the
saved map, or laid out afresh). `building.build` runs them in order under the corpus's lock.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer.embed.embedder import Embedder
from explorer.generations import link_or_copy
from explorer.index.sentences import (
    SEPARATE,
    SentenceVectors,
    embed_corpus,
    embed_store,
    method_of,
)
from explorer.index.vectors import VectorIndex
from explorer.maps import landscape
from explorer.maps.landscape import Landscape, Settings
from explorer.papers import Corpus, ExplorerError
from explorer.progress import Stages
from explorer.storage import Layout

if TYPE_CHECKING:
    from explorer.index.lexical import BackgroundBuild, LexicalIndex

# From this many papers (BM25 then takes 3 s, starting a process 1 s), BM25 is built in a child
# process while the map is laid out: UMAP with a seed runs on one core, leaving the other free.
BACKGROUND_LEXICAL_MIN = 10_000


def settings_of(manifest: dict[str, Any] | None) -> Settings:
    try:
        return Settings(**manifest["settings"]) if manifest else Settings()
    except (KeyError, TypeError):
        return Settings()


def embed_and_index(
    corpus: Corpus,
    embedder: Embedder,
    folder: Path,
    old: dict[str, Any] | None,
    was: Layout,
    stage: Stages,
    rebuild: bool,
    with_sentences: bool = True,
) -> tuple[NDArray[np.float32], int, VectorIndex, SentenceVectors | None]:
    """Vectors and sentence vectors (cached ones reused, the rest embedded in one run) and the
    index: grown from the committed one when papers were only appended, else built afresh."""
    from explorer.embed.cache import VectorCache

    n = len(corpus)
    cache = VectorCache(folder.parent, embedder.model_id)
    try:
        how = "one pass each, sentences pooled" if method_of(embedder) != SEPARATE else ""
        what = f"{n:,} papers" + (" and their sentences" if with_sentences else "")
        what += f" ({embedder.backend_name}{'; ' + how if with_sentences and how else ''}; "
        what += "cached ones reused)"
        with stage("embed", what):
            # Straight into the arrays the build keeps (sentences in float16, as saved).
            vectors = np.empty((n, cache.dim() or embedder.dim), dtype=np.float32)
            sentences, embedded = embed_corpus(corpus, embedder, cache, vectors, with_sentences)
    finally:
        cache.close()
    n_old = 0 if rebuild or old is None else appended_to(old, corpus, embedder.model_id)
    with stage("index", f"{len(corpus) - n_old:,} vectors"):
        if n_old:  # papers were only appended: grow the index (an HNSW graph is costly)
            assert old is not None
            index = VectorIndex.load(
                was.index, model_id=embedder.model_id, corpus_hash=old["corpus_hash"]
            )
            index.add(vectors[n_old:], corpus.ids[n_old:], corpus.content_hash)
        else:
            index = VectorIndex.build(
                vectors, corpus.ids, model_id=embedder.model_id, corpus_hash=corpus.content_hash
            )
    return vectors, embedded, index, sentences


def kept_sentences(
    corpus: Corpus, embedder: Embedder, folder: Path, was: Layout, staged: Layout, stage: Stages
) -> int:
    """The sentence vectors of an unchanged corpus: linked from the committed generation (1),
    or made now for one built before they existed or made another way (0, from the vector
    cache where it can)."""
    try:
        SentenceVectors.load(
            was.sentences,
            corpus_hash=corpus.content_hash,
            model_id=embedder.model_id,
            method=method_of(embedder),
        )
        link_or_copy(was.sentences, staged.sentences)
        return 1
    except ExplorerError:
        pass
    with stage("embed", "sentences (cached ones reused)"):
        embed_store(corpus, embedder, folder.parent).save(staged.sentences)
    return 0


def lexical(
    corpus: Corpus, was: Layout | None, staged: Layout, with_map: bool, stage: Stages
) -> tuple[LexicalIndex | None, BackgroundBuild | None]:
    """The BM25 index in the staged generation: linked from the committed one when current;
    else built now, or (for a large corpus whose map is laid out next) in a child process."""
    from explorer.index.lexical import BackgroundBuild, LexicalIndex

    if was is not None and was.bm25.exists():
        try:
            with stage("lexical", silent=True):  # timed; a kept index is not news
                lexical = LexicalIndex.load(was.bm25, corpus_hash=corpus.content_hash)
                link_or_copy(was.bm25, staged.bm25)
            return lexical, None
        except ExplorerError:
            pass
    texts = [p.text for p in corpus]
    if with_map and len(corpus) >= BACKGROUND_LEXICAL_MIN:
        return None, BackgroundBuild(staged.bm25, texts, corpus.content_hash)
    with stage("lexical", "BM25 index"):
        lexical = LexicalIndex.build(texts, corpus_hash=corpus.content_hash)
        lexical.save(staged.bm25)
    return lexical, None


def land_of(
    corpus: Corpus,
    vectors: NDArray[np.float32],
    settings: Settings,
    old: dict[str, Any] | None,
    was: Layout,
    staged: Layout,
    rebuild: bool,
    stage: Stages,
    model_id: str,
) -> tuple[Landscape, bool, int]:
    """The corpus's landscape in the staged generation, whether it was made now, and how many
    papers were placed on the saved map (the last rows; 0 unless it grew): linked from the
    committed generation (or a saved view) when current, grown when papers were appended, else
    laid out afresh."""
    corpus_hash = corpus.content_hash
    # Nothing laid out from another model's (or backend's) vectors is reused.
    same_model = old is not None and old.get("model_id") == model_id
    if not rebuild and same_model:
        land = landscape.load(was.landscape, settings, corpus_hash)
        if land is not None:
            link_or_copy(was.landscape, staged.landscape)
            return land, False, 0
        vkey = landscape.view_key(corpus_hash, model_id)
        view = was.views / settings.key(vkey)[:16]
        land = landscape.load(view, settings, vkey) if view.exists() else None
        if land is not None:  # these settings were viewed before: they become the corpus's own
            land = replace(land, key=settings.key(corpus_hash))
            landscape.save(staged.landscape, land, corpus_hash)
            return land, True, 0
        grown = landscape.grown_from(was.landscape, settings, corpus)
        if grown is not None:
            new = len(corpus) - len(grown.coords)
            with stage("place", f"{new:,} new papers on the map"):
                land = landscape.extend(grown, vectors, corpus_hash)
            landscape.save(staged.landscape, land, corpus_hash)
            return land, True, new
    # Only the topics' settings changed: the saved map is found again, not laid out again.
    prev = None
    if not rebuild and same_model and was.landscape.exists():
        prev = landscape.load(was.landscape, settings_of(old), corpus_hash)
    texts = [p.text for p in corpus]
    land = landscape.compute(vectors, texts, settings, corpus_hash, stage, reuse=prev)
    landscape.save(staged.landscape, land, corpus_hash)
    return land, True, 0


def appended_to(old: dict[str, Any], corpus: Corpus, model_id: str) -> int:
    """How many papers the built corpus had, if `corpus` only appends papers to it; else 0."""
    n_old = int(old.get("count", 0))
    if old.get("model_id") != model_id or not 0 < n_old < len(corpus):
        return 0
    return n_old if corpus.prefix_hash(n_old) == old.get("corpus_hash") else 0
