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
      meta.json     corpus hash, model id, splitter version, counts: loading checks them
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
    from explorer.embed.embedder import Embedder

# Bump when `paper_sentences` changes: a saved store split another way is rebuilt.
SPLITTER_VERSION = 1


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
    ) -> SentenceVectors:
        meta = {
            "corpus_hash": corpus_hash,
            "model_id": model_id,
            "splitter_version": SPLITTER_VERSION,
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
        cls, folder: Path, *, corpus_hash: str | None = None, model_id: str | None = None
    ) -> SentenceVectors:
        """Load a saved store (memory-mapped); ExplorerError when missing, stale or damaged."""
        folder = atomic.recover_dir(Path(folder))
        try:
            meta = json.loads((folder / "meta.json").read_text("utf-8"))
            if meta.get("splitter_version") != SPLITTER_VERSION:
                raise ExplorerError(f"sentence vectors at {folder} were split another way")
            if corpus_hash is not None and meta.get("corpus_hash") != corpus_hash:
                raise ExplorerError(f"sentence vectors at {folder} are of another corpus")
            if model_id is not None and meta.get("model_id") != model_id:
                raise ExplorerError(f"sentence vectors at {folder} are of another model")
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


def embed_store(corpus: Corpus, embedder: Embedder, cache_root: Path) -> SentenceVectors:
    """Every paper's sentence vectors, through the vector cache under `cache_root` (cached ones
    are read, the rest embedded): for a corpus built before sentence vectors were kept."""
    from explorer.embed.cache import VectorCache, embed_cached

    flat, offsets = flatten(corpus)
    cache = VectorCache(cache_root, embedder.model_id)
    try:
        vecs, _ = embed_cached(flat, [text_hash(s) for s in flat], embedder, cache)
    finally:
        cache.close()
    return SentenceVectors.make(
        vecs, offsets, corpus_hash=corpus.content_hash, model_id=embedder.model_id
    )
