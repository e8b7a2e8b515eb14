"""Embedding on Ray: the local embedder's chunks, embedded by a pool of Ray actors.

`RayEmbedder` wraps an `Embedder` and has its interface, so `building.build(embedder=…)` runs
unchanged: reading, the vector cache, the index and the map stay in the driver; only the model
runs on Ray. `embed` sends the very chunks `Embedder.chunks` plans (a chunk's vectors depend in
their last bits on which texts share its batches) as one Ray Data row each to `map_batches`
over an actor pool; each actor loads the same model, backend and batch size once. Chunks come
back as they finish and each is handed to `on_chunk` at once, so `embed_cached` commits it to
the SQLite vector cache: a killed build keeps what was embedded, and a local build of the same
corpus reuses every vector (docs: /work/frag/ray.md measures that they are bit-identical).

Ray starts only when something needs embedding (an up-to-date build starts nothing): a local
instance on this machine (loopback only, no dashboard, no usage statistics), or the cluster at
`address`. `close()` shuts down only what it started.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.embed import late
from explorer.embed.embedder import Backend, Embedder, calibration_texts
from explorer.papers import ExplorerError

INSTALL_HINT = "--engine ray needs Ray: pip install 'explorer[ray]'"
# A worker that dies (killed, out of memory) is restarted and its chunk retried this many
# times; Ray Data's own default is forever, which would hang a build on a chunk that always
# kills its worker.
RETRIES = 3
CONNECT_TIMEOUT_S = 5.0


def available() -> bool:
    """Whether Ray and what Ray Data needs (pyarrow) are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("ray", "pyarrow"))


class _Worker:
    """One Ray actor: the driver's embedder, made again here once, embeds one chunk a call."""

    def __init__(
        self,
        model: str,
        backend: str,
        batch_size: int,
        model_cache: str | None,
        model_id: str,
    ) -> None:
        cache = Path(model_cache) if model_cache else None
        self.embedder = Embedder(
            model, backend=backend, batch_size=batch_size, progress=False, model_cache=cache
        )
        if self.embedder.model_id != model_id:  # another machine resolved another model
            raise ExplorerError(
                f"a Ray worker resolved the model to {self.embedder.model_id!r}, not {model_id!r}"
            )
        _ = self.embedder.backend  # load now: once per actor, not in the first chunk

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        chunks, vectors, seconds, empties = [], [], [], []
        for chunk, texts, spans in zip(batch["chunk"], batch["texts"], batch["spans"], strict=True):
            t0 = time.perf_counter()
            texts = [str(t) for t in texts]
            if spans:  # the one pass (`Embedder.late_chunk`): papers' and spans' vectors
                got = self.embedder.late_chunk(texts, json.loads(str(spans)))
                vecs = np.concatenate([got.first, got.whole, got.spans])
                empties.append(json.dumps(got.empty))
            else:
                vecs = self.embedder.backend.encode(texts, self.embedder.batch_size)
                empties.append("")
            seconds.append(time.perf_counter() - t0)
            chunks.append(int(chunk))
            # Raw float32 bytes: exactly the worker's vectors, whatever the chunk's length.
            vectors.append(np.ascontiguousarray(vecs, dtype=np.float32).tobytes())
        return {
            "chunk": np.array(chunks, dtype=np.int64),
            "vectors": np.array(vectors, dtype=object),
            "dim": np.full(len(chunks), self.embedder.dim, dtype=np.int64),
            "seconds": np.array(seconds, dtype=np.float64),
            "empty": np.array(empties, dtype=object),
        }


def _check_reachable(address: str) -> None:
    """A cluster address that nothing answers at is a one-line error in seconds: `ray.init`
    itself would retry for many minutes."""
    if address == "auto":  # the cluster this machine's `ray start` runs: Ray finds it
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ExplorerError(f"--address takes HOST:PORT (or ray://HOST:PORT), got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as e:
        raise ExplorerError(f"cannot reach a Ray cluster at {address}: {e}") from None


def check(address: str | None = None) -> None:
    """Ray installed and `address` (if any) answering, else a one-line error: asked before
    anything is loaded, so that a mistake costs no model load."""
    if not available():
        raise ExplorerError(INSTALL_HINT)
    if address is not None:
        _check_reachable(address)


def _one_line(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return lines[-1] if lines else type(e).__name__


def _cause(e: BaseException) -> ExplorerError | None:
    """The ExplorerError a worker raised, however Ray wrapped it."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [e]
    while stack:
        x = stack.pop()
        if x is None or id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, ExplorerError):
            return ExplorerError(str(x).splitlines()[0] if str(x) else "a Ray worker failed")
        stack += [x.__cause__, x.__context__, getattr(x, "cause", None)]
    return None


class RayEmbedder(Embedder):
    """An `Embedder` whose `embed` runs on a Ray actor pool: the model id, chunk plan, bar and
    settings are `local`'s own (copied, not resolved again), so the vectors are named alike."""

    # Texts per `embed` call from `embed_cached` (whose default block is 65,536): each call
    # starts an actor pool (about 11 s here), so a Ray build makes few, long calls.
    block = 1 << 20

    def __init__(
        self,
        local: Embedder,
        *,
        address: str | None = None,
        actors: int | None = None,
        cpus_per_actor: float = 1.0,
    ) -> None:
        check(address)
        if actors is not None and actors < 1:
            raise ExplorerError(f"a Ray build needs at least 1 actor, got {actors}")
        # Not Embedder.__init__: that would resolve the model again; these are local's.
        self.spec, self.backend_name = local.spec, local.backend_name
        self.model_cache, self.batch_size = local.model_cache, local.batch_size
        self.progress = local.progress
        self._backend = None
        self.local = local  # a model loaded in the driver only if `dim` is asked first
        self.address, self.actors, self.cpus_per_actor = address, actors, cpus_per_actor
        self._started = False  # whether this embedder started (so must stop) Ray
        self._dim: int | None = None
        self.calls = 0  # texts sent to the workers
        self.seconds = 0.0  # wall time of the distributed runs, Ray's overhead included
        self.worker_seconds = 0.0  # time spent in the workers' models, summed over workers

    @property
    def backend(self) -> Backend:  # the driver's own model, if it ever needs one
        return self.local.backend

    @property
    def dim(self) -> int:
        return self._dim if self._dim is not None else self.local.dim

    # -- Ray ------------------------------------------------------------------------------

    def __enter__(self) -> RayEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut Ray down if this embedder started it (a session the caller opened stays)."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def _connect(self) -> None:
        import ray

        if ray.is_initialized():  # the caller's session (a notebook, a test): used as it is
            return
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        # Left on the terminal: one error line from Ray's C++ core per actor pool ("constructor
        # arguments in the object store and max_restarts > 0", ray-project/ray#53727), which
        # Ray Data's own pools always have. RAY_BACKEND_LOG_LEVEL=fatal would hide it, but
        # every Ray process then prints a line saying so, and real errors are hidden too.
        try:
            if self.address is None:
                ray.init(
                    address="local",
                    num_cpus=os.cpu_count() or 1,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",  # nothing listens beyond this machine
                    logging_level=logging.ERROR,  # Ray's start-up chatter; workers' errors show
                    log_to_driver=True,
                )
            else:
                ray.init(address=self.address, logging_level=logging.ERROR, log_to_driver=True)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as e:
            what = f"connect to Ray at {self.address}" if self.address else "start a local Ray"
            raise ExplorerError(f"cannot {what}: {_one_line(e)}") from None
        self._started = True

    def _prepare_model(self) -> None:
        """A fast backend's export is made once, here, before the workers start: else each
        worker of a fresh model cache would make it (the same export, at the same time)."""
        from explorer.embed import backends

        if self.spec.static:  # distilled once, here, like an export
            from explorer.embed import static

            static.ensure_distilled(self.spec, self.local.model_cache)
            return
        if self.backend_name not in backends.REQUIRES or self.spec.path is None:
            return  # torch, torch-bf16, cuda-fp16: nothing to export

        backends.ensure_exported(
            self.spec, self.backend_name, self.local.model_cache, calibration_texts
        )

    def _stream(
        self, plan: list[NDArray[np.intp]], items: list[dict[str, Any]]
    ) -> Iterator[tuple[NDArray[np.intp], NDArray[np.float32], str]]:
        """Each chunk of `items` embedded on the actor pool, as it finishes: (its positions,
        its vectors (rows, dim), the one pass's empty spans as JSON or "")."""
        self._prepare_model()
        self._connect()
        import ray
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the build's own bar counts texts instead
        ctx.enable_auto_log_stats = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        t0 = time.perf_counter()
        source = ray.data.from_items(items, override_num_blocks=len(items))
        spec = self.spec
        model = str(spec.path) if spec.path is not None and not spec.bundled else spec.name
        cache = str(self.local.model_cache) if self.local.model_cache else None
        if self.actors is not None:
            size = self.actors
        else:
            size = max(1, int(ray.cluster_resources().get("CPU", 1) // self.cpus_per_actor))
        with warnings.catch_warnings():
            # Ray 2.60 deprecates passing max_restarts and max_task_retries this way, without
            # a named replacement yet; without them Ray Data retries forever.
            warnings.simplefilter("ignore")
            ds = source.map_batches(
                _Worker,
                fn_constructor_args=(
                    model,
                    self.backend_name,
                    self.batch_size,
                    cache and str(cache),
                ),
                fn_constructor_kwargs={"model_id": self.model_id},
                batch_size=1,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=min(size, len(plan))),
                num_cpus=self.cpus_per_actor,
                max_restarts=RETRIES,
                max_task_retries=RETRIES,
            )
        try:
            for batch in ds.iter_batches(batch_size=1, batch_format="numpy"):
                for chunk, blob, dim, secs, empty in zip(
                    batch["chunk"],
                    batch["vectors"],
                    batch["dim"],
                    batch["seconds"],
                    batch["empty"],
                    strict=True,
                ):
                    rows = plan[int(chunk)]
                    self._dim = int(dim)
                    self.calls += len(rows)
                    self.worker_seconds += float(secs)
                    vecs = np.frombuffer(blob, dtype=np.float32).reshape(-1, int(dim))
                    yield rows, vecs, str(empty)
        except Exception as e:
            if (mine := _cause(e)) is not None:
                raise mine from None
            if isinstance(e, ray.exceptions.RayError) or type(e).__module__.startswith("ray."):
                raise ExplorerError(
                    f"embedding on Ray failed: {_one_line(e)} (the vectors embedded so far "
                    "are cached; the corpus as it was before is kept)"
                ) from None
            raise
        finally:
            self.seconds += time.perf_counter() - t0

    def embed(
        self,
        texts: Sequence[str],
        on_chunk: Callable[[NDArray[np.intp], NDArray[np.float32]], None] | None = None,
    ) -> NDArray[np.float32]:
        """Embed `texts` (n,) → float32 (n, dim) on the actor pool, chunk by chunk as the local
        embedder would; `on_chunk(rows, vectors)` after each chunk, in the order they finish."""
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        plan = self.chunks(texts)
        items = [
            {"chunk": i, "texts": [texts[j] for j in rows], "spans": ""}
            for i, rows in enumerate(plan)
        ]
        out = np.empty((n, 0), dtype=np.float32)
        for rows, vecs, _ in self.tracked(texts, self._stream(plan, items)):
            if out.shape[1] == 0:  # the first chunk tells the dimension
                out = np.empty((n, vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
            if on_chunk is not None:
                on_chunk(rows, vecs)
        return out

    def late_chunks(
        self, texts: Sequence[str], text_spans: Sequence[Sequence[late.Span | None]]
    ) -> Iterator[tuple[NDArray[np.intp], late.Pooled]]:
        """The local embedder's one pass of each chunk (`Embedder.late_chunk`), run on the
        actor pool: the same chunks, so the same vectors, bit for bit."""
        plan = self.chunks(texts)
        if not plan:
            return
        items = [
            {
                "chunk": i,
                "texts": [texts[j] for j in rows],
                "spans": json.dumps(
                    [[list(s) if s else None for s in text_spans[j]] for j in rows]
                ),
            }
            for i, rows in enumerate(plan)
        ]
        for rows, vecs, empty in self._stream(plan, items):
            k = len(rows)
            yield rows, late.Pooled(vecs[:k], vecs[k : 2 * k], vecs[2 * k :], json.loads(empty))
