"""FAISS nearest-neighbour index, saved as a self-describing folder.

    index/
      index.faiss   the FAISS index (its own binary format: no pickle)
      ids.json      row → paper id
      meta.json     model, dimension, metric, count, corpus hash, kind, library versions

Vectors are L2-normalised, so inner product is cosine similarity and an exact `IndexFlatIP`
search is exact cosine k-NN. Loading refuses an index made by another model or from another
corpus, and says which two disagree.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np
from numpy.typing import NDArray

from explorer import atomic
from explorer._version import __version__
from explorer.papers import ExplorerError

# faiss-cpu's generated stubs omit what SWIG adds at run time (an index's hnsw and storage,
# SearchParametersHNSW, keyword arguments): the module is used untyped.
faiss: Any = _faiss

FORMAT_VERSION = 1
# Exact search up to this many papers, HNSW above. An exact query costs n·d multiply-adds: at
# 75k papers that is a few milliseconds on 2 cores (docs/benchmarks.md), so exact stays the
# default far beyond a laptop's reading list; HNSW is for arXiv-scale corpora, where a flat scan
# takes a second. HNSW rather than IVF: no training pass, graceful growth by `add`, and the
# best recall/latency of FAISS's CPU indexes at this size (ann-benchmarks); its cost, ~0.3 KB of
# links per vector at M=32, is small next to the 1.5 KB vector itself.
HNSW_MIN = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128
EXACT_FILTER_SHARE = 0.05  # filters keeping at most this share of an HNSW index scan exactly


def library_versions() -> dict[str, str]:
    return {
        "explorer": __version__,
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


@dataclass
class IndexMeta:
    model_id: str
    dim: int
    count: int
    corpus_hash: str
    kind: str = "flat"
    metric: str = "inner_product (cosine on L2-normalised vectors)"
    params: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=library_versions)
    created: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )
    format_version: int = FORMAT_VERSION


class VectorIndex:
    """A FAISS index over a corpus's vectors, with the row → paper id map and its manifest."""

    def __init__(self, index: faiss.Index, ids: list[str], meta: IndexMeta) -> None:
        if index.ntotal != len(ids):
            raise ExplorerError(f"index holds {index.ntotal} vectors but {len(ids)} ids")
        self.index = index
        self.ids = ids
        self.meta = meta

    @classmethod
    def build(
        cls,
        vectors: NDArray[np.float32],
        ids: list[str],
        *,
        model_id: str,
        corpus_hash: str,
        kind: str = "auto",
    ) -> VectorIndex:
        """An index over `vectors` (n, d), float32, rows L2-normalised.

        kind: "flat" (exact), "hnsw" (approximate), or "auto": exact below HNSW_MIN papers.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = vectors.shape
        if kind == "auto":
            kind = "hnsw" if n >= HNSW_MIN else "flat"
        params: dict[str, Any] = {}
        if kind == "flat":
            index = faiss.IndexFlatIP(d)  # inner product on normalised vectors is cosine
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            params = {
                "M": HNSW_M,
                "efConstruction": HNSW_EF_CONSTRUCTION,
                "efSearch": HNSW_EF_SEARCH,
            }
        else:
            raise ExplorerError(f"unknown index kind {kind!r}: choose auto, flat or hnsw")
        index.add(vectors)
        meta = IndexMeta(
            model_id=model_id, dim=d, count=n, corpus_hash=corpus_hash, kind=kind, params=params
        )
        return cls(index, list(ids), meta)

    def add(self, vectors: NDArray[np.float32], ids: list[str], corpus_hash: str) -> None:
        """Append rows (m, d) for new papers: old rows keep their numbers."""
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.ids.extend(ids)
        self.meta.count = len(self.ids)
        self.meta.corpus_hash = corpus_hash

    def __len__(self) -> int:
        return len(self.ids)

    def save(self, folder: Path) -> Path:
        def fill(tmp: Path) -> None:
            faiss.write_index(self.index, str(tmp / "index.faiss"))
            atomic.write_json(tmp / "ids.json", self.ids)
            atomic.write_json(tmp / "meta.json", asdict(self.meta))

        return atomic.replace_dir(folder, fill)

    @classmethod
    def load(
        cls, folder: Path, *, model_id: str | None = None, corpus_hash: str | None = None
    ) -> VectorIndex:
        folder = atomic.recover_dir(Path(folder))
        try:
            meta = IndexMeta(**json.loads((folder / "meta.json").read_text("utf-8")))
            ids = json.loads((folder / "ids.json").read_text("utf-8"))
        except FileNotFoundError as e:
            raise ExplorerError(
                f"no index at {folder} ({Path(e.filename).name} is missing)"
            ) from None
        except (json.JSONDecodeError, TypeError) as e:
            raise ExplorerError(f"damaged index at {folder}: {e}; rebuild it") from None
        if model_id is not None and meta.model_id != model_id:
            raise ExplorerError(
                f"index at {folder} was built with model {meta.model_id!r}, "
                f"not {model_id!r}; rebuild it with the model you want"
            )
        if corpus_hash is not None and meta.corpus_hash != corpus_hash:
            raise ExplorerError(
                f"index at {folder} was built from another corpus (hash {meta.corpus_hash[:12]}, "
                f"this corpus is {corpus_hash[:12]}); run `explorer build` to update it"
            )
        index = faiss.read_index(str(folder / "index.faiss"))
        return cls(index, ids, meta)

    def search(
        self,
        queries: NDArray[np.float32],
        k: int,
        *,
        allowed: NDArray[np.bool_] | None = None,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Top-`k` rows for each query (m, d) → (scores (m, k), rows (m, k)), best first.

        `allowed` (n,) restricts the search to those rows inside FAISS (not after it), so the
        result has k rows whenever k rows are allowed. Missing results are row -1, score -inf.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = min(k, len(self))
        if k <= 0:
            m = queries.shape[0]
            return np.zeros((m, 0), np.float32), np.zeros((m, 0), np.int64)
        hnsw = self.meta.kind == "hnsw"
        params = faiss.SearchParametersHNSW() if hnsw else faiss.SearchParameters()
        if hnsw:
            params.efSearch = max(int(self.meta.params.get("efSearch", HNSW_EF_SEARCH)), k)
        if allowed is not None:
            bits = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        if (
            hnsw
            and allowed is not None
            and np.count_nonzero(allowed) <= EXACT_FILTER_SHARE * len(self)
        ):
            # A restrictive filter leaves a graph walk few allowed nodes to find: scanning just
            # the allowed rows of the stored vectors is exact, and cheap because they are few.
            flat = faiss.downcast_index(self.index.storage)
            scores, rows = flat.search(queries, k, params=faiss.SearchParameters(sel=params.sel))
        else:
            scores, rows = self.index.search(queries, k, params=params)
        if hnsw and allowed is not None:
            # A graph walk can still run out of allowed nodes before finding k: those queries
            # are answered exactly instead, so a filter never starves them.
            want = min(k, int(np.count_nonzero(allowed)))
            short = np.flatnonzero((rows >= 0).sum(axis=1) < want)
            if len(short):
                flat = faiss.downcast_index(self.index.storage)
                exact = faiss.SearchParameters(sel=params.sel)
                scores[short], rows[short] = flat.search(queries[short], k, params=exact)
        scores[rows < 0] = -np.inf
        return scores, rows

    def vectors(self) -> NDArray[np.float32]:
        """All stored vectors (n, d) float32, in row order."""
        return self.index.reconstruct_n(0, self.index.ntotal)
