"""Sentence vectors: each paper's title and abstract sentences, embedded like the papers.

One vector per paper blurs an abstract's method (one or two sentences of eight) into its
topic; the sentences keep it. They re-rank a query's candidates by alignment (each query
sentence's best match among the candidate's sentences, averaged; the idea behind late
interaction and Aspire's sentence alignment), and the "why related" sentence pair is read
from the same alignment.

    sentences/
      vectors.npy   (m, d) float16, L2-normalised rows: half of float32's bytes, and a cosine
                    moves by less than 1e-3
      offsets.npy   (n + 1,) int64: paper i's sentences are rows offsets[i]:offsets[i + 1]
      meta.json     corpus hash, model id, splitter version, method, counts: loading checks
                    them

How they are made (`method`): "late-1", pooled from the token states of the pass that embeds
the paper (`explorer.embed.late`: one pass a paper, windows past the model's 256 tokens), or
"separate", each sentence embedded on its own (an embedder without token states, and stores
made before the one pass).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer import atomic
from explorer.papers import Corpus, ExplorerError, Paper
from explorer.text import clean_text, split_sentences

if TYPE_CHECKING:
    from explorer.embed.cache import VectorCache
    from explorer.embed.embedder import Embedder

# Bump when `paper_sentences` changes: a saved store split another way is rebuilt.
SPLITTER_VERSION = 1
SEPARATE = "separate"  # each sentence embedded on its own (`method`; the other is cache.LATE)


def paper_sentences(paper: Paper) -> list[str]:
    """What is embedded per sentence: the title, then the abstract's sentences (never empty)."""
    out = [t for t in [clean_text(paper.title)] if t] + split_sentences(paper.abstract)
    return out or [paper.text]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flatten(corpus: Corpus) -> tuple[list[str], NDArray[np.int64]]:
    """Every paper's sentences in one list, and where each paper's start (n + 1,)."""
    per = [paper_sentences(p) for p in corpus]
    offsets = np.zeros(len(per) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in per], out=offsets[1:])
    return [s for ss in per for s in ss], offsets


class SentenceVectors:
    """The sentence vectors of a corpus, rows grouped by paper (see the module's docstring)."""

    def __init__(
        self, vectors: NDArray[np.floating], offsets: NDArray[np.int64], meta: dict[str, Any]
    ) -> None:
        self.vectors = vectors
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.meta = meta

    @classmethod
    def make(
        cls,
        vectors: NDArray[np.floating],
        offsets: NDArray[np.int64],
        *,
        corpus_hash: str,
        model_id: str,
        method: str = SEPARATE,
    ) -> SentenceVectors:
        meta = {
            "corpus_hash": corpus_hash,
            "model_id": model_id,
            "splitter_version": SPLITTER_VERSION,
            "method": method,
            "count": len(offsets) - 1,
            "sentences": int(offsets[-1]),
            "dim": int(vectors.shape[1]) if vectors.ndim == 2 else 0,
        }
        return cls(np.asarray(vectors, dtype=np.float16), offsets, meta)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def of(self, row: int) -> NDArray[np.float32]:
        """Paper `row`'s sentence vectors (m, d), float32."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return np.asarray(self.vectors[a:b], dtype=np.float32)

    def save(self, folder: Path) -> Path:
        def fill(tmp: Path) -> None:
            atomic.write_npy(tmp / "vectors.npy", np.asarray(self.vectors, dtype=np.float16))
            atomic.write_npy(tmp / "offsets.npy", self.offsets)
            atomic.write_json(tmp / "meta.json", self.meta)

        return atomic.replace_dir(folder, fill)

    @classmethod
    def load(
        cls,
        folder: Path,
        *,
        corpus_hash: str | None = None,
        model_id: str | None = None,
        method: str | None = None,
    ) -> SentenceVectors:
        """Load a saved store (memory-mapped); ExplorerError when missing, stale, made another
        way than `method` (when given), or damaged."""
        folder = atomic.recover_dir(Path(folder))
        try:
            meta = json.loads((folder / "meta.json").read_text("utf-8"))
            if meta.get("splitter_version") != SPLITTER_VERSION:
                raise ExplorerError(f"sentence vectors at {folder} were split another way")
            if corpus_hash is not None and meta.get("corpus_hash") != corpus_hash:
                raise ExplorerError(f"sentence vectors at {folder} are of another corpus")
            if model_id is not None and meta.get("model_id") != model_id:
                raise ExplorerError(f"sentence vectors at {folder} are of another model")
            if method is not None and meta.get("method", SEPARATE) != method:
                raise ExplorerError(f"sentence vectors at {folder} were made another way")
            vectors = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
            offsets = np.load(folder / "offsets.npy", allow_pickle=False)
            if len(offsets) != meta["count"] + 1 or offsets[-1] != len(vectors):
                raise ValueError("offsets and vectors disagree")
        except FileNotFoundError as e:
            raise ExplorerError(
                f"no sentence vectors at {folder} ({Path(e.filename).name} is missing)"
            ) from None
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            raise ExplorerError(f"damaged sentence vectors at {folder}: {e}") from None
        return cls(vectors, offsets, meta)

    def align(
        self, query: NDArray[np.float32], rows: Sequence[int] | NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Alignment of each candidate row to the query's sentences `query` (m, d): for each
        query sentence its best cosine among the candidate's sentences, averaged (m ≥ 1)."""
        at = np.asarray(rows, dtype=np.int64)
        if not len(at):
            return np.zeros(0)
        starts, ends = self.offsets[at], self.offsets[at + 1]
        take = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        cand = np.asarray(self.vectors[take], dtype=np.float32)
        lengths = ends - starts
        sims = np.asarray(query, dtype=np.float32) @ cand.T  # (m, total)
        bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        best = np.maximum.reduceat(sims, bounds, axis=1)  # (m, candidates)
        return best.mean(axis=0).astype(np.float64)

    def pick(
        self, row: int, paper: Paper, numbers: Sequence[int]
    ) -> tuple[list[str], NDArray[np.float32]]:
        """Sentences `numbers` (1-based, of the abstract) of paper `row`: the sentences and their
        vectors (m, d); an error names the paper and its range when a number is out of it."""
        sents = paper_sentences(paper)
        n = len(split_sentences(paper.abstract))
        first = len(sents) - n  # the title comes first
        bad = [
            i for i in numbers if isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= n
        ]
        if bad or not numbers:
            raise ExplorerError(
                f"sentence {bad[0] if bad else 'numbers'!s} out of range: {paper.id} has "
                f"{n} abstract sentences, numbered 1 to {n}"
            )
        at = [first + i - 1 for i in sorted(set(numbers))]
        return [sents[i] for i in at], self.of(row)[at]


def method_of(embedder: Embedder) -> str:
    """How `embedder` makes sentence vectors: in the papers' pass when it can ("late-1")."""
    from explorer.embed.cache import LATE

    return LATE if callable(getattr(embedder, "embed_late", None)) else SEPARATE


def embed_corpus(
    corpus: Corpus,
    embedder: Embedder,
    cache: VectorCache,
    vectors: NDArray[np.floating],
    with_sentences: bool = True,
) -> tuple[SentenceVectors | None, int]:
    """The papers' vectors into `vectors` (n, d) and, `with_sentences`, their sentence store;
    and how many papers were embedded (cached vectors are read). One pass a paper where the
    embedder gives token states (`method_of`), else the papers and then every sentence, in one
    run of length-sorted batches."""
    from explorer.embed.cache import Split, embed_cached, embed_late_cached

    n = len(corpus)
    per = [paper_sentences(p) for p in corpus] if with_sentences else []
    offsets = np.zeros(n + 1, dtype=np.int64)
    if with_sentences:
        np.cumsum([len(x) for x in per], out=offsets[1:])
    sent = np.empty((int(offsets[-1]), vectors.shape[1]), dtype=np.float16)
    method = method_of(embedder)
    if with_sentences and method != SEPARATE:
        from explorer.embed import late

        texts = _Texts(corpus, [])
        embedded = embed_late_cached(
            texts,
            lambda i: late.spans(texts[i], per[i]),
            lambda i: per[i],
            corpus.text_hashes,
            offsets,
            embedder,
            cache,
            Split(vectors, sent),
        )
    else:
        flat = [x for xs in per for x in xs]
        method = SEPARATE
        _, embedded = embed_cached(
            _Texts(corpus, flat),
            corpus.text_hashes + [text_hash(x) for x in flat],
            embedder,
            cache,
            count=n,
            out=Split(vectors, sent),
        )
    if not with_sentences:
        return None, embedded
    store = SentenceVectors.make(
        sent, offsets, corpus_hash=corpus.content_hash, model_id=embedder.model_id, method=method
    )
    return store, embedded


class _Texts(Sequence[str]):
    """The papers' texts, then `more`, by position: each paper's made when it is read."""

    def __init__(self, corpus: Corpus, more: list[str]) -> None:
        self.corpus, self.more = corpus, more

    def __len__(self) -> int:
        return len(self.corpus) + len(self.more)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        n = len(self.corpus)
        return self.corpus[i].text if i < n else self.more[i - n]


def embed_store(corpus: Corpus, embedder: Embedder, cache_root: Path) -> SentenceVectors:
    """Every paper's sentence vectors, through the vector cache under `cache_root` (cached ones
    are read, the rest embedded): for a corpus built before sentence vectors were kept, or
    made another way."""
    from explorer.embed.cache import VectorCache

    cache = VectorCache(cache_root, embedder.model_id)
    try:
        scratch = np.empty((len(corpus), cache.dim() or embedder.dim), dtype=np.float32)
        store, _ = embed_corpus(corpus, embedder, cache, scratch)
    finally:
        cache.close()
    assert store is not None
    return store
