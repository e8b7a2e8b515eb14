"""A content-addressed vector cache: (model id, SHA-256 of the embedded text) → vector.

One SQLite file per model under `cache/vectors/`, shared by every corpus, so building a corpus
twice embeds nothing the second time and adding one paper embeds one. SQLite gives atomic,
durable commits: a process killed mid-build loses at most the chunk it was embedding. Each row
is checked when read (right length, finite, unit norm); a row that fails is dropped and
re-embedded rather than trusted.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from explorer.embed import late
from explorer.embed.embedder import Embedder

_SQL_VARS = 900  # stay below SQLite's default limit on host parameters


def _safe_name(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", model_id).strip("_")[:120] or "model"


def _to_wal(db: sqlite3.Connection, wait: float = 60.0) -> None:
    """Put `db` in WAL mode. Two processes opening a new cache at once race for the switch,
    which SQLite answers with "database is locked" at once, without its busy timeout: retry."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class VectorCache:
    """Vectors of one model, keyed by text hash."""

    def __init__(self, root: Path, model_id: str) -> None:
        self.path = Path(root) / "vectors" / f"{_safe_name(model_id)}.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.model_id = model_id
        self._db = sqlite3.connect(self.path, timeout=60)
        _to_wal(self._db)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, dim INTEGER, vec BLOB)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('model_id', ?)", (model_id,))
        self._db.commit()
        (stored,) = self._db.execute("SELECT value FROM meta WHERE key='model_id'").fetchone()
        if stored != model_id:  # two model ids that sanitise to one file name
            raise RuntimeError(f"{self.path} holds vectors of {stored!r}, not {model_id!r}")

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def dim(self) -> int | None:
        """The length of the cached vectors (one model, one length); None when it holds none."""
        row = self._db.execute("SELECT dim FROM vectors LIMIT 1").fetchone()
        return None if row is None else int(row[0])

    def get_many(self, hashes: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The cached vectors among `hashes`; rows that fail their check are deleted."""
        found: dict[str, NDArray[np.float32]] = {}
        bad: list[str] = []
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), _SQL_VARS):
            part = unique[i : i + _SQL_VARS]
            q = f"SELECT hash, dim, vec FROM vectors WHERE hash IN ({','.join('?' * len(part))})"
            for h, dim, blob in self._db.execute(q, part):
                v = np.frombuffer(blob, dtype=np.float32)
                if v.size != dim or not np.isfinite(v).all() or abs(float(v @ v) - 1.0) > 1e-3:
                    bad.append(h)
                    continue
                found[h] = v
        if bad:
            self._db.executemany("DELETE FROM vectors WHERE hash = ?", [(h,) for h in bad])
            self._db.commit()
        return found

    def put_many(self, hashes: Sequence[str], vectors: NDArray[np.float32]) -> None:
        rows = [
            (h, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for h, v in zip(hashes, vectors, strict=True)
        ]
        # One transaction: all of the chunk or none of it. The first vector written for a text
        # stays: another build that embedded it at the same time (int8 vectors move in the
        # last bits with their batch) takes the cached one, so that every corpus's vectors.npy
        # agrees with the cache that its later growth builds read.
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)", rows)


# Texts looked up and embedded at a time. Memory beyond the caller's output array stays about
# one block's vectors and texts, whatever the corpus's size; a block is long enough that
# sorting it by length pads as little as sorting everything (and a corpus below one block
# embeds in one run, as before).
BLOCK = 65_536


class Rows(Protocol):
    """Where `embed_cached` puts vector i: an (n, dim) array of any float dtype, or `Split`."""

    def __setitem__(self, rows: NDArray[np.intp], vectors: NDArray[np.float32]) -> None: ...


class Split:
    """Rows [0, len(head)) of one table of vectors in `head`, the rest in `tail`: papers'
    float32 vectors and their sentences' float16 ones, filled by one `embed_cached` run."""

    def __init__(self, head: NDArray[np.floating], tail: NDArray[np.floating]) -> None:
        self.head, self.tail = head, tail

    def __setitem__(self, rows: NDArray[np.intp], vectors: NDArray[np.float32]) -> None:
        n = len(self.head)
        first = rows < n
        self.head[rows[first]] = vectors[first]
        self.tail[rows[~first] - n] = vectors[~first]


def embed_cached(
    texts: Sequence[str],
    hashes: Sequence[str],
    embedder: Embedder,
    cache: VectorCache,
    *,
    count: int | None = None,
    out: Rows | None = None,
    block: int | None = None,
) -> tuple[Any, int]:
    """Vectors for `texts` (n,) → (`out`, number of texts actually embedded).

    `block`: texts per block (default: the embedder's `block` if it has one, else BLOCK).
    `out` receives row i's vector (default: a new float32 (n, dim) array, which is returned).
    Texts go through in blocks of `block`: only those whose hash is not cached reach the model,
    in one run of length-sorted batches per block (papers and their sentences together); new
    vectors are committed to the cache chunk by chunk as they are made. `texts` is read by
    position only, so it may be a lazy sequence. `count`: the number returned counts only
    `texts[:count]`.
    """
    n = len(hashes)
    if out is None:
        if n == 0:
            return np.zeros((0, embedder.dim), dtype=np.float32), 0
        dim = cache.dim() or embedder.dim  # a fully cached corpus never loads the model
        out = np.empty((n, dim), dtype=np.float32)
    size = int(block or getattr(embedder, "block", None) or BLOCK)  # an embedder may ask more
    limit = n if count is None else count
    embedded = 0
    for start in range(0, n, size):
        part = hashes[start : start + size]
        found = cache.get_many(part)
        # The same text twice in one block is embedded once (and in a later block, read back).
        first: dict[str, int] = {}
        for i, h in enumerate(part, start):
            if h not in found:
                first.setdefault(h, i)
        if first:
            todo = list(first.values())
            todo_hashes = list(first)

            def save(
                rows: NDArray[np.intp], vecs: NDArray[np.float32], keys: list[str] = todo_hashes
            ) -> None:
                cache.put_many([keys[r] for r in rows], vecs)

            new = embedder.embed([texts[i] for i in todo], on_chunk=save)
            found.update(zip(todo_hashes, new, strict=True))
            # What the cache holds wins (see `put_many`): another build may have written first.
            found.update(cache.get_many(todo_hashes))
            embedded += sum(1 for i in todo if i < limit)
        rows = np.arange(start, start + len(part))
        out[rows] = np.stack([found[h] for h in part])
    return out, embedded


# The one pass (`explorer.embed.late`): a paper's vector and its sentences' from the same token
# states. Its sentence vectors are not what embedding a sentence alone gives, so they are keyed
# by the method, the paper's text and the sentence (old caches keep what they hold, under the
# keys they had); the paper vector, `first` (the text cut at the model's length, as before),
# keeps the plain text key.
LATE = "late-1"


def late_keys(paper_hash: str, sentence_hashes: Sequence[str]) -> list[str]:
    """The cache keys of a paper's sentence vectors made by the one pass."""
    import hashlib

    return [
        hashlib.sha256(f"{LATE}\0{paper_hash}\0{i}\0{h}".encode()).hexdigest()
        for i, h in enumerate(sentence_hashes)
    ]


def embed_late_cached(
    texts: Sequence[str],
    spans: Callable[[int], Sequence[late.Span | None]],
    sentences: Callable[[int], list[str]],
    hashes: Sequence[str],
    offsets: NDArray[np.int64],
    embedder: Embedder,
    cache: VectorCache,
    out: Split,
    *,
    block: int | None = None,
) -> int:
    """Paper i's vector into `out.head[i]` and its sentences' into `out.tail[offsets[i]:
    offsets[i + 1]]`, from the cache or one pass each (`Embedder.embed_late`); returns how many
    papers were embedded. A paper is embedded again unless its vector and all its sentences'
    are cached. A sentence the pass cannot place (its characters not found in the text) is
    embedded on its own, under its plain key. `spans(i)` and `sentences(i)` give paper i's."""
    import hashlib

    def text_hash(text: str) -> str:  # `Paper.text_hash`'s rule, for a sentence
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    n = len(hashes)
    # BLOCK papers a block, as for plain texts. Blocks of 8,192 were tried on the 74,728-paper
    # listing (one idle build each): the embed stage's peak fell 4.9 -> 4.3 GB but the build's
    # rose 5.56 -> 6.25 GB (the map and label stages on top of what embedding left resident),
    # and embedding took 1,469 s against 1,361 s.
    size = int(block or BLOCK)
    embedded = 0
    for start in range(0, n, size):
        rows = range(start, min(start + size, n))
        sents = {i: sentences(i) for i in rows}
        sent_hashes = {i: [text_hash(s) for s in sents[i]] for i in rows}
        keys = {i: late_keys(hashes[i], sent_hashes[i]) for i in rows}
        found = cache.get_many([k for i in rows for k in (hashes[i], *keys[i])])
        todo = [i for i in rows if hashes[i] not in found or any(k not in found for k in keys[i])]
        alone: dict[str, str] = {}  # sentences the pass could not place: plain key -> text
        if todo:
            plan = [list(spans(i)) for i in todo]

            def save(
                chunk: NDArray[np.intp], got: late.Pooled, plan=plan, todo=todo, keys=keys
            ) -> None:
                hs, vs, at = [], [], 0
                bad = set(got.empty)
                for r, v in zip(chunk, got.first, strict=True):
                    i = todo[int(r)]
                    hs.append(hashes[i])
                    vs.append(v)
                    for k, (key, sp) in enumerate(zip(keys[i], plan[int(r)], strict=True)):
                        if sp is not None and at + k not in bad:
                            hs.append(key)
                            vs.append(got.spans[at + k])
                    at += len(plan[int(r)])
                cache.put_many(hs, np.asarray(vs, dtype=np.float32))

            embedder.embed_late([texts[i] for i in todo], plan, on_chunk=save, keep=False)
            embedded += len(todo)
            found.update(cache.get_many([k for i in todo for k in (hashes[i], *keys[i])]))
        for i in rows:
            for s, h, key in zip(sents[i], sent_hashes[i], keys[i], strict=True):
                if key not in found:
                    alone[h] = s
        if alone:
            vecs, _ = embed_cached(list(alone.values()), list(alone), embedder, cache)
            plain = dict(zip(alone, vecs, strict=True))
        else:
            plain = {}
        for i in rows:
            out.head[i] = found[hashes[i]]
            a = int(offsets[i])
            for k, (h, key) in enumerate(zip(sent_hashes[i], keys[i], strict=True)):
                out.tail[a + k] = found[key] if key in found else plain[h]
    return embedded
