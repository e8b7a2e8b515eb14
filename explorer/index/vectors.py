"""FAISS nearest-neighbour index, saved as a self-describing folder.

    index/
      index.faiss   the FAISS index (its own binary format: no pickle)
      ids.json      row → paper id
      meta.json     model, dimension, metric, count, corpus hash, kind and its params, versions

Vectors are L2-normalised, so inner product is cosine similarity and an exact `IndexFlatIP`
search is exact cosine k-NN. Three kinds, chosen by size (`choose_kind`): "flat" (exact),
"hnsw" (a graph over the float vectors), "ivf" (compressed: 8-bit codes in inverted lists).
Loading refuses an index made by another model or from another corpus, and says which two
disagree.
"""

from __future__ import annotations

import json
import math
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

FORMAT_VERSION = 1  # "ivf" is a new kind, not a new format: flat and hnsw load as before
# Exact search up to this many papers, approximate above. An exact query costs n·d multiply-adds:
# at 75k papers that is a few milliseconds on 2 cores (docs/benchmarks.md), so exact stays the
# default far beyond a laptop's reading list.
HNSW_MIN = 200_000
# From this many papers on, a compressed index: an inverted file of 8-bit scalar-quantised
# vectors (IVF-SQ8, 384 B a vector: 10M papers in 4.0 GB, where HNSW-flat needs 18 GB with its
# links), trained on a seeded sample: 2M rows built in 9.5 min on 2 busy cores, where HNSW took
# 4 min for 74k. Below it, HNSW over the float vectors: no training pass, and better recall@10
# for the memory (on the 74,728 papers' title vectors 0.997 at efSearch 128, IVF-SQ8 0.979 at
# nprobe 128, both under 1 ms; 1.8 GB a million papers against 0.4). benchmarks/index_scale.py
# measures both and IVF_NPROBE.
IVF_MIN = 1_000_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128
# Lists scanned a query: recall@10 0.979 at 74k (1,024 lists), 0.960-0.967 at 2M (4,096 lists),
# where 64 gave 0.959 and 0.942-0.950 (below the 0.95 aimed at) in half the time.
IVF_NPROBE = 128
IVF_TRAIN_ROWS = 100_000  # k-means sample: this many rows (40 a list if more), or all
IVF_SEED = 1234
EXACT_FILTER_SHARE = 0.05  # filters keeping at most this share of an index scan exactly


def choose_kind(n: int, *, flat_below: int | None = None, ivf_from: int | None = None) -> str:
    """The index kind "auto" builds for `n` vectors: exact below `flat_below` (HNSW_MIN), then
    HNSW, then compressed from `ivf_from` (IVF_MIN) on."""
    if n >= (IVF_MIN if ivf_from is None else ivf_from):
        return "ivf"
    return "hnsw" if n >= (HNSW_MIN if flat_below is None else flat_below) else "flat"


def ivf_nlist(n: int) -> int:
    """Inverted lists for `n` vectors: 4·√n rounded to a power of two, at least 16 and at most
    n / 39 (FAISS's k-means wants 39 training points per centroid)."""
    want = 2 ** round(math.log2(max(4 * math.sqrt(max(n, 1)), 1)))
    return int(max(16, min(want, 2 ** int(math.log2(max(n // 39, 16))))))


def _ivf(vectors: NDArray[np.float32], nlist: int) -> Any:
    """An empty IVF-SQ8 index over inner product, its lists and codes trained on a seeded
    sample of `vectors`."""
    n, d = vectors.shape
    index = faiss.index_factory(d, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    size = min(n, max(IVF_TRAIN_ROWS, 40 * nlist))
    rows = np.sort(np.random.default_rng(IVF_SEED).choice(n, size, replace=False))
    index.cp.seed = IVF_SEED
    index.train(np.ascontiguousarray(vectors[rows]))
    return index


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

        kind: "flat" (exact), "hnsw" (approximate), "ivf" (approximate and compressed: IVF-SQ8),
        or "auto": `choose_kind(n)`.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = vectors.shape
        if kind == "auto":
            kind = choose_kind(n)
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
        elif kind == "ivf":
            nlist = ivf_nlist(n)
            if n < nlist:
                raise ExplorerError(f"an ivf index needs at least {nlist} vectors, not {n}")
            index = _ivf(vectors, nlist)
            params = {"nlist": nlist, "nprobe": min(IVF_NPROBE, nlist), "codes": "SQ8"}
        else:
            raise ExplorerError(f"unknown index kind {kind!r}: choose auto, flat, hnsw or ivf")
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
        kind = self.meta.kind
        mask = None if allowed is None else np.asarray(allowed, dtype=bool)
        sel = None
        if mask is not None:
            bits = np.packbits(mask, bitorder="little")
            sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        few = mask is not None and bool(np.count_nonzero(mask) <= EXACT_FILTER_SHARE * len(self))
        if kind == "flat" or (few and kind == "hnsw"):
            # A restrictive filter leaves a graph walk few allowed nodes to find: scanning just
            # the allowed rows of the stored vectors is exact, and cheap because they are few.
            scores, rows = self._exact(queries, k, sel)
        elif kind == "hnsw":
            efs = max(int(self.meta.params.get("efSearch", HNSW_EF_SEARCH)), k)
            params = faiss.SearchParametersHNSW(efSearch=efs)
            if sel is not None:
                params.sel = sel
            scores, rows = self.index.search(queries, k, params=params)
        else:
            # A restrictive filter scans every list (only its allowed rows are scored).
            scores, rows = self._ivf_search(queries, k, sel, every=few)
        if mask is not None and kind != "flat":
            # An approximate search can still run out of allowed rows before finding k: those
            # queries are answered over every allowed row instead, so a filter never starves
            # them (exactly on HNSW's stored vectors, on every list's 8-bit codes on IVF).
            want = min(k, int(np.count_nonzero(mask)))
            short = np.flatnonzero((rows >= 0).sum(axis=1) < want)
            if len(short):
                redo = self._exact if kind == "hnsw" else self._ivf_every
                scores[short], rows[short] = redo(queries[short], k, sel)
        scores[rows < 0] = -np.inf
        return scores, rows

    def _exact(self, queries: NDArray[np.float32], k: int, sel: Any) -> tuple[Any, Any]:
        flat = self.index if self.meta.kind == "flat" else faiss.downcast_index(self.index.storage)
        params = faiss.SearchParameters() if sel is None else faiss.SearchParameters(sel=sel)
        return flat.search(queries, k, params=params)

    def _ivf_search(
        self, queries: NDArray[np.float32], k: int, sel: Any, every: bool = False
    ) -> tuple[Any, Any]:
        nlist = int(self.meta.params.get("nlist", faiss.extract_index_ivf(self.index).nlist))
        nprobe = nlist if every else int(self.meta.params.get("nprobe", IVF_NPROBE))
        params = faiss.SearchParametersIVF(nprobe=min(nprobe, nlist))
        if sel is not None:
            params.sel = sel
        return self.index.search(queries, k, params=params)

    def _ivf_every(self, queries: NDArray[np.float32], k: int, sel: Any) -> tuple[Any, Any]:
        return self._ivf_search(queries, k, sel, every=True)

    def vectors(self) -> NDArray[np.float32]:
        """All stored vectors (n, d) float32, in row order.

        Exact for "flat" and "hnsw". An "ivf" index keeps 8-bit codes, so its rows come back
        decoded (within ~1% of each coordinate's range, not bit-equal): the exact vectors are
        the corpus's vectors.npy.
        """
        if self.meta.kind == "ivf":
            ivf = faiss.extract_index_ivf(self.index)
            if ivf.direct_map.type == faiss.DirectMap.NoMap:
                ivf.make_direct_map()  # row → (list, offset): 8 B a row, built on first use
        return self.index.reconstruct_n(0, self.index.ntotal)
