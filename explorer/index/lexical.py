"""Lexical (BM25) index: exact terms that dense vectors blur, saved as a folder without pickle.

    bm25/
      data.csc.index.npy, indices.csc.index.npy, indptr.csc.index.npy
                          the (papers × terms) BM25 weight matrix, CSC, plain .npy (no pickle)
      vocab.index.json    term → column
      params.index.json   k1, b, method (bm25s's own file)
      meta.json           corpus hash, tokenizer version, counts: loading checks both

bm25s builds the weight matrix; queries are scored here as one sparse matrix-vector product
`W @ q`, where `q` holds a weight per query term. That lets several example papers (and
negative ones) combine into one lexical query, Rocchio-style, exactly as they do on vectors.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from explorer import atomic
from explorer.papers import ExplorerError
from explorer.text import STOP_WORDS, stem, strip_latex

# Bump when `tokenize` changes: a saved index made by another tokenizer is rebuilt.
TOKENIZER_VERSION = 2  # 2: the merged stemmer of text.py ("classes" → "class")
K1, B = 1.5, 0.75  # bm25s's defaults (Lucene's variant), the usual BM25 parameters

# A word, or hyphenated compound ("gpt-4", "mixture-of-experts"), lower-cased.
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def tokenize_with_surface(text: str) -> list[tuple[str, str]]:
    """(term, surface word) pairs of `text`, in order: the term is what BM25 indexes.

    A hyphenated compound gives its parts and, when it has a letter and a digit or several
    parts, itself too ("gpt-4" → "gpt", "4", "gpt-4"): exact model names stay findable.
    Pure numbers and one-letter words are dropped, as are stop words.
    """
    out: list[tuple[str, str]] = []
    for m in _WORD.finditer(strip_latex(text).lower()):
        word = m.group(0)
        parts = word.split("-")
        for p in parts:
            if len(p) > 1 and not p.isdigit() and p not in STOP_WORDS:
                out.append((stem(p), p))
        if len(parts) > 1 and any(c.isalpha() for c in word):
            out.append((stem(word), word))
    return out


def tokenize(text: str) -> list[str]:
    """The terms of `text` that BM25 indexes (see `tokenize_with_surface`)."""
    return [t for t, _ in tokenize_with_surface(text)]


class LexicalIndex:
    """BM25 weights of a corpus, `weights` (n_papers, n_terms) float32 sparse, and its terms."""

    def __init__(
        self, weights: sparse.csc_matrix, vocab: dict[str, int], meta: dict[str, Any]
    ) -> None:
        self.weights = weights.tocsc()
        self.vocab = vocab
        self.meta = meta
        self._rows: sparse.csr_matrix | None = None  # row access, for explanations
        self._terms: list[str] | None = None
        self._idf: NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    @classmethod
    def build(cls, texts: Sequence[str], *, corpus_hash: str) -> LexicalIndex:
        """BM25 over `texts` (n,), one per paper, in corpus order."""
        import bm25s

        tokens = [tokenize(t) for t in texts]
        # bm25s needs one token somewhere; an all-stop-word corpus is not worth an error.
        if not any(tokens):
            tokens = [["\u2205"] for _ in tokens]
        model = bm25s.BM25(k1=K1, b=B)
        model.index(tokens, create_empty_token=False, show_progress=False)
        s = model.scores
        w = sparse.csc_matrix(
            (s["data"], s["indices"], s["indptr"]), shape=(s["num_docs"], len(model.vocab_dict))
        )
        # bm25s numbers terms in set order, which moves with Python's string hashing: sorted
        # terms make the columns, and so every score's summation order, the same on every run.
        terms = sorted(model.vocab_dict)
        w = w[:, [model.vocab_dict[t] for t in terms]].tocsc()
        vocab = {t: i for i, t in enumerate(terms)}
        meta = {
            "corpus_hash": corpus_hash,
            "tokenizer_version": TOKENIZER_VERSION,
            "count": len(texts),
            "terms": len(model.vocab_dict),
            "k1": K1,
            "b": B,
            "bm25s": bm25s.__version__,
        }
        return cls(w, vocab, meta)

    def save(self, folder: Path) -> Path:
        """Write the folder atomically in bm25s's own format (.npy saved with allow_pickle=False,
        JSON), plus our meta.json."""
        import bm25s

        model = bm25s.BM25(k1=K1, b=B)
        w = self.weights
        model.scores = {
            "data": w.data,
            "indices": w.indices,
            "indptr": w.indptr,
            "num_docs": int(w.shape[0]),
        }
        model.vocab_dict = self.vocab
        model.nonoccurrence_array = None  # only BM25L/BM25+ have one

        def fill(tmp: Path) -> None:
            model.save(tmp, allow_pickle=False, show_progress=False)
            atomic.write_json(tmp / "meta.json", self.meta)

        return atomic.replace_dir(folder, fill)

    @classmethod
    def load(cls, folder: Path, *, corpus_hash: str | None = None) -> LexicalIndex:
        """Load a saved index (never unpickling); ExplorerError when missing, stale or damaged."""
        # The files bm25s wrote, read directly: importing bm25s would import numba, which
        # costs a model-free command a quarter of a second.
        folder = atomic.recover_dir(Path(folder))
        try:
            meta = json.loads((folder / "meta.json").read_text("utf-8"))
            if meta.get("tokenizer_version") != TOKENIZER_VERSION:
                raise ExplorerError(f"lexical index at {folder} was made by another tokenizer")
            if corpus_hash is not None and meta.get("corpus_hash") != corpus_hash:
                raise ExplorerError(f"lexical index at {folder} was built from another corpus")
            vocab = json.loads((folder / "vocab.index.json").read_text("utf-8"))
            parts = [
                np.load(folder / f"{k}.csc.index.npy", allow_pickle=False)
                for k in ("data", "indices", "indptr")
            ]
            w = sparse.csc_matrix(tuple(parts), shape=(int(meta["count"]), len(vocab)))
        except FileNotFoundError as e:
            raise ExplorerError(
                f"no lexical index at {folder} ({Path(e.filename).name} is missing)"
            ) from None
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            raise ExplorerError(f"damaged lexical index at {folder}: {e}") from None
        return cls(w, vocab, meta)

    # -- queries --------------------------------------------------------------------------

    def query_vector(
        self, texts: Iterable[str], weights: Iterable[float] | None = None
    ) -> NDArray[np.float32]:
        """A lexical query (n_terms,) from texts: each text's term counts, L2-normalised,
        then summed with `weights` (default 1 each; negative for negative examples).

        Normalising each text first keeps a long abstract from outweighing a short one.
        """
        texts = list(texts)
        ws = [1.0] * len(texts) if weights is None else list(weights)
        q = np.zeros(len(self.vocab), dtype=np.float32)
        for text, wt in zip(texts, ws, strict=True):
            counts = Counter(t for t in tokenize(text) if t in self.vocab)
            if not counts:
                continue
            cols = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64, count=len(counts))
            vals = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            q[cols] += wt * vals / np.linalg.norm(vals)
        return q

    def scores(self, query: str | NDArray[np.float32]) -> NDArray[np.float32]:
        """BM25 score of every paper (n,) float32 for a text or a query vector (n_terms,).

        For a text this is bm25s's own score (each occurrence of a query term counts once)
        up to one positive factor per query, which changes no ranking.
        """
        q = self.query_vector([query]) if isinstance(query, str) else np.asarray(query, np.float32)
        cols = np.flatnonzero(q)
        if cols.size == 0:
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(self.weights[:, cols] @ q[cols], dtype=np.float32).ravel()

    def search(
        self, query: str | NDArray[np.float32], k: int, *, allowed: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Top-k (scores (k',), rows (k',)) best first, k' = min(k, allowed rows).

        Exact: every allowed paper is scored, so a filter never loses results. Ties go to the
        earlier row, so results are the same on every run.
        """
        s = self.scores(query)
        rows = np.arange(len(s)) if allowed is None else np.flatnonzero(allowed)
        return top_k(s[rows], rows, k)

    # -- explanations ---------------------------------------------------------------------

    def term(self, col: int) -> str:
        if self._terms is None:
            self._terms = [""] * len(self.vocab)
            for t, c in self.vocab.items():
                self._terms[c] = t
        return self._terms[col]

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """Term → Lucene's IDF, log(1 + (n − df + 0.5) / (df + 0.5)), for known terms."""
        if self._idf is None:
            df = np.diff(self.weights.indptr).astype(np.float64)  # papers holding each term
            n = len(self)
            self._idf = np.log1p((n - df + 0.5) / (df + 0.5))
        return {t: float(self._idf[self.vocab[t]]) for t in terms if t in self.vocab}

    def row_weights(self, row: int) -> dict[str, float]:
        """Term → BM25 weight in paper `row`: IDF × saturated term frequency, > 0."""
        if self._rows is None:
            self._rows = self.weights.tocsr()
        r = self._rows
        start, end = r.indptr[row], r.indptr[row + 1]
        return {
            self.term(int(c)): float(v)
            for c, v in zip(r.indices[start:end], r.data[start:end], strict=True)
        }


def top_k(
    scores: NDArray[np.floating], rows: NDArray[np.int64], k: int
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The k best of `scores` (m,) with their `rows` (m,), best first, ties to the lower row."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    # argpartition is O(m); the final small sort is stable on (-score, row) for reproducibility.
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    kth = scores[part].min()
    part = np.flatnonzero(scores >= kth)  # keep every tie of the k-th score, then cut
    order = np.lexsort((rows[part], -scores[part]))[:k]
    sel = part[order]
    return np.asarray(scores[sel], np.float32), np.asarray(rows[sel], np.int64)


def load_or_build(
    folder: Path, texts: Callable[[], Sequence[str]], corpus_hash: str
) -> LexicalIndex:
    """The saved index when it matches `corpus_hash` and this tokenizer, else build and save
    it from `texts()` (called only then: a large corpus's texts are not read to load it)."""
    try:
        return LexicalIndex.load(folder, corpus_hash=corpus_hash)
    except ExplorerError:
        pass
    index = LexicalIndex.build(texts(), corpus_hash=corpus_hash)
    index.save(folder)
    return index


class BackgroundBuild:
    """Build and save the index in a child process while this one does other work.

    A build's layout (UMAP with a seed, HDBSCAN) runs on one core; BM25 (pure Python
    tokenizing, 25 s on 75k papers) fits on the other. The child is a fresh interpreter fed the
    texts on stdin, not a `multiprocessing` process: a fork would copy the parent's inference and
    OpenMP threads mid-flight, and a spawn re-runs the caller's script when it lacks an
    `if __name__ == "__main__"` guard. Whatever goes wrong in the child, `result()` builds the
    index here instead, where errors read plainly.
    """

    def __init__(self, folder: Path, texts: Sequence[str], corpus_hash: str) -> None:
        import os
        import subprocess
        import sys
        import threading

        self.folder, self.texts, self.corpus_hash = Path(folder), texts, corpus_hash
        code = "from explorer.index.lexical import _child_main; _child_main()"
        # The child imports this very package, wherever it was imported from here.
        here = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        self._feeder: threading.Thread | None = None
        try:
            self._child: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-c", code, str(self.folder), corpus_hash],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path},
            )
        except (OSError, ValueError, TypeError):  # no process to be had: result() builds here
            self._child = None
            return
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        assert self._child is not None and self._child.stdin is not None
        try:
            with self._child.stdin as pipe:
                pipe.write(json.dumps(list(self.texts)).encode("utf-8"))
        except OSError:  # the child is gone: result() builds here
            pass

    def result(self) -> LexicalIndex:
        """Wait for the child; the saved index (built here if the child did not make it)."""
        if self._feeder is not None:
            self._feeder.join()
        if self._child is not None:
            self._child.wait()
        return load_or_build(self.folder, lambda: self.texts, self.corpus_hash)


def _child_main() -> None:
    """A child's whole job: texts (a JSON list) on stdin; folder and corpus hash as arguments.
    Failures exit quietly: the parent then builds the index itself and reports any error."""
    import sys

    try:
        texts = json.loads(sys.stdin.buffer.read())
        LexicalIndex.build(texts, corpus_hash=sys.argv[2]).save(Path(sys.argv[1]))
    except BaseException:  # noqa: BLE001 - the parent redoes the work and reports any error
        raise SystemExit(1) from None
