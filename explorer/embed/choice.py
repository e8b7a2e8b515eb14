"""`backend="auto"`: the backend measured fastest *on this machine* among those that keep the
float32 PyTorch vectors, measured once and cached.

Why measure: which backend is fastest depends on the processor. On the Intel Xeon dev machines
(AVX-512 VNNI) OpenVINO int8 is 2.9x float32 PyTorch; on an AMD EPYC exposing only AVX2 it is
not, and bf16 pays only where the CPU has native bf16 (docs/backends.md has both tables).

The probe embeds the 41 bundled seed abstracts plus 160 real arXiv abstracts shipped beside this
module (`probe_sample.jsonl.gz`, arXiv metadata, CC0) with every candidate this processor
supports, in chunks, each chunk going through the candidates in a rotating order so that load
from other processes falls on all alike; a candidate's speed against the reference is the
median of its per-chunk ratios. Quality comes from the same vectors: mean cosine to float32
PyTorch >= 0.99 and top-10 neighbour overlap >= 0.9. The fastest candidate passing both wins,
but a non-reference one must be at least `MARGIN` times the reference (exact vectors are worth
a little speed). The result is JSON under the models root, keyed by processor, library versions
and model weights: another machine or an upgrade measures again.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer import atomic
from explorer.embed import backends
from explorer.embed.model import Backend, ModelSpec, sha256_file
from explorer.papers import ExplorerError, Paper

REFERENCE = "torch"
MIN_COSINE = 0.99
MIN_OVERLAP = 0.9
MARGIN = 1.1  # a backend that changes the vectors must beat the reference by 10% to be chosen
# Bump when the probe or the pick rule changes: cached choices are then redone. 3: int8 is not
# measured on an x86 processor without int8 dot products (VNNI, AMX), where it cannot win.
PROBE_RECIPE = 3
# The seeds and the sample (201 texts) in 6 chunks; after the chunk that passes BUDGET_S
# seconds of measuring the probe stops (two chunks at least), so a busy machine is not kept
# waiting for minutes. Batches of at most 16 give each chunk (~33 texts) two or more batches:
# OpenVINO's throughput hint runs one whole batch per core, so a chunk of one batch would
# leave a core idle and measure it at half speed.
CHUNKS = 6
BUDGET_S = 25.0
PROBE_BATCH = 16
SAMPLE = Path(__file__).with_name("probe_sample.jsonl.gz")
# The processor flags that decide which kernels the backends can use.
FLAGS = (
    "avx2",
    "avx512f",
    "avx512_vnni",
    "avx_vnni",
    "avx512_bf16",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)
# int8 pays only with int8 dot products: without them (an AVX2-only EPYC) OpenVINO int8 measured
# 0.85x its float32 (docs/backends.md), so it is not worth a probe and an export there.
INT8_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
PACKAGES = ("torch", "transformers", "sentence-transformers", "openvino", "nncf", "explorer")

Loader = Callable[[ModelSpec, str], Backend]


@dataclass
class Figures:
    """One candidate's measurement: speed against the reference and the vectors it kept."""

    name: str
    texts_per_s: float = 0.0
    ratio: float = 0.0  # x the reference's speed: the median of per-chunk ratios
    cpu_ratio: float = 0.0  # the same from process CPU time, which others' load disturbs less
    mean_cos: float = 0.0
    min_cos: float = 0.0
    overlap: float = 0.0
    error: str | None = None  # why it could not be measured (a missing package, …)

    @property
    def passed(self) -> bool:
        return self.error is None and self.mean_cos >= MIN_COSINE and self.overlap >= MIN_OVERLAP


@dataclass
class Choice:
    backend: str
    reason: str
    figures: list[Figures]
    key: dict[str, Any]
    path: Path | None = None  # where it is cached
    measured: dict[str, Any] = field(default_factory=dict)  # when, how long, on what load
    probed: bool = False  # measured in this process (not read from the cache)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "reason": self.reason,
            "figures": [asdict(f) | {"passed": f.passed} for f in self.figures],
            "key": self.key,
            "measured": self.measured,
            "path": str(self.path) if self.path else None,
        }


# ---------------------------------------------------------------- the machine and the key
@functools.lru_cache(maxsize=1)
def machine() -> dict[str, Any]:
    """The processor's model, logical cores and relevant flags, and any NVIDIA GPUs (read from
    /proc, so that a cached choice is found without importing torch)."""
    cpu, flags = "", set[str]()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name") and not cpu:
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith(("flags", "Features")) and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    import platform

    gpus = []
    for info in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):
        try:
            model = next(ln for ln in info.read_text().splitlines() if ln.startswith("Model:"))
            gpus.append(model.split(":", 1)[1].strip())
        except (OSError, StopIteration):
            gpus.append("NVIDIA GPU")
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "x86": platform.machine().lower() in ("x86_64", "amd64", "i386", "i686"),
        "cores": os.cpu_count() or 1,
        "flags": [f for f in FLAGS if f in flags],
        "gpus": gpus,
    }


def versions() -> dict[str, str]:
    out = {}
    for pkg in PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "none"
    out["export recipe"] = str(backends.RECIPE)
    out["probe recipe"] = str(PROBE_RECIPE)
    return out


@functools.lru_cache(maxsize=8)
def _weights_sha(path: Path, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def key(spec: ModelSpec) -> dict[str, Any]:
    """What a cached choice is valid for: this processor, these libraries, these weights."""
    assert spec.path is not None
    weights = spec.path / "model.safetensors"
    try:
        st = weights.stat()
        sha = _weights_sha(weights, st.st_size, st.st_mtime_ns)
    except OSError:
        sha = "none"
    return {"machine": machine(), "versions": versions(), "model": spec.model_id, "weights": sha}


def cache_path(root: Path, k: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(k, sort_keys=True).encode()).hexdigest()[:16]
    return root / "backend-choice" / f"{digest}.json"


def candidates(m: dict[str, Any], cuda: bool) -> list[str]:
    """The backends worth measuring on machine `m`, the reference first."""
    flags = set(m["flags"])
    bf16 = bool(flags & {"avx512_bf16", "amx_bf16"})
    # Flags are read on x86 (on ARM, OpenVINO's int8 uses the dot-product extensions).
    int8 = bool(flags & INT8_FLAGS) or not m.get("x86", bool(flags))
    names = [REFERENCE]
    if bf16:
        names.append("torch-bf16")
    names += (
        ["openvino"] + (["openvino-int8"] if int8 else []) + (["openvino-bf16"] if bf16 else [])
    )
    if cuda:
        names.append("cuda-fp16")
    return names


# ---------------------------------------------------------------- the pick rule
def pick(figures: list[Figures]) -> tuple[str, str]:
    """(backend, why): the fastest candidate passing the quality bars; one that changes the
    vectors only if it is at least `MARGIN` x the reference."""
    ref = next((f for f in figures if f.name == REFERENCE), None)
    if ref is None or ref.error is not None:
        raise ExplorerError(f"the reference backend could not be measured: {ref and ref.error}")
    fast = [f for f in figures if f.passed and f.name != REFERENCE and f.ratio >= MARGIN]
    best = max(fast, key=lambda f: f.ratio, default=ref)
    parts = []
    for f in sorted(figures, key=lambda f: -f.ratio):
        if f is best:
            continue
        if f.error is not None:
            parts.append(f"{f.name} unavailable")
        elif not f.passed:
            parts.append(f"{f.name} fails the bars (cos {f.mean_cos:.3f}, overlap {f.overlap:.2f})")
        elif f.ratio and best.ratio / f.ratio < 1 and f.ratio < MARGIN:
            parts.append(f"{f.name} {f.ratio:.2f}x, within the {MARGIN}x margin")
        elif f.ratio:
            parts.append(f"{best.ratio / f.ratio:.1f}x {f.name}")
    quality = f"cos {best.mean_cos:.3f}, overlap {best.overlap:.2f}"
    return best.name, f"measured here: {'; '.join(parts) or 'the only candidate'}; {quality}"


# ---------------------------------------------------------------- the probe
def sample_texts() -> list[str]:
    """The 160 shipped arXiv abstracts (16 from each of 10 categories), as `Paper.text`."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        return [Paper(r["id"], r["title"], r["abstract"]).text for r in map(json.loads, f)]


def _top10(v: NDArray[np.float32]) -> NDArray[np.intp]:
    k = min(10, len(v) - 1)
    s = v @ v.T
    np.fill_diagonal(s, -np.inf)  # a paper is not its own neighbour
    return np.argpartition(-s, k - 1, axis=1)[:, :k]


def quality(ref: NDArray[np.float32], vec: NDArray[np.float32]) -> tuple[float, float, float]:
    """(mean cosine, min cosine, mean top-10 neighbour overlap) of `vec` against `ref`."""
    cos = (ref * vec).sum(1)
    a, b = _top10(ref), _top10(vec)
    same = np.mean([len(set(x) & set(y)) / a.shape[1] for x, y in zip(a, b, strict=True)])
    return float(cos.mean()), float(cos.min()), float(same)


def probe(
    spec: ModelSpec,
    names: list[str],
    load: Loader,
    texts: list[str],
    batch_size: Callable[[str], int],
    chunks: int = CHUNKS,
    budget_s: float = BUDGET_S,
) -> tuple[list[Figures], int]:
    """Measure `names` (the reference first) on `texts`, cut into `chunks`; stop after the
    chunk that passes `budget_s` seconds (two chunks at least). Returns the figures and how
    many texts they were measured on."""
    figs = {n: Figures(n) for n in names}
    loaded: dict[str, Backend] = {}
    for n in names:
        try:
            loaded[n] = load(spec, n)
            loaded[n].encode(texts[:4], 4)  # warm-up: first-call allocations
        except (ExplorerError, ImportError, RuntimeError, OSError) as e:
            if n == REFERENCE:
                raise
            figs[n].error = str(e).splitlines()[0] if str(e) else type(e).__name__
            loaded.pop(n, None)
    live = list(loaded)
    bounds = np.linspace(0, len(texts), chunks + 1).astype(int)
    parts: dict[str, list[NDArray[np.float32]]] = {n: [] for n in live}
    wall = {n: np.zeros(chunks) for n in live}
    cpu = {n: np.zeros(chunks) for n in live}
    start, done = time.perf_counter(), chunks
    for c in range(chunks):
        if c >= 2 and time.perf_counter() - start > budget_s:
            done = c
            break
        chunk = texts[bounds[c] : bounds[c + 1]]
        for n in live[c % len(live) :] + live[: c % len(live)]:
            t, p = time.perf_counter(), time.process_time()
            parts[n].append(loaded[n].encode(chunk, min(batch_size(n), PROBE_BATCH)))
            wall[n][c] = time.perf_counter() - t
            cpu[n][c] = time.process_time() - p
    ref = np.concatenate(parts[REFERENCE])
    for n in live:
        f, w, u = figs[n], wall[n][:done], cpu[n][:done]
        f.texts_per_s = len(ref) / max(float(w.sum()), 1e-9)
        f.ratio = float(np.median(wall[REFERENCE][:done] / np.maximum(w, 1e-9)))
        f.cpu_ratio = float(np.median(cpu[REFERENCE][:done] / np.maximum(u, 1e-9)))
        f.mean_cos, f.min_cos, f.overlap = quality(ref, np.concatenate(parts[n]))
    return [figs[n] for n in names], len(ref)


# ---------------------------------------------------------------- the cache
def read_cached(path: Path, k: dict[str, Any]) -> Choice | None:
    """The choice cached at `path` for key `k`; None when absent, for another key, or unreadable
    (then the caller measures again and overwrites it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["key"] != k:
            return None
        known = Figures.__dataclass_fields__
        figs = [Figures(**{a: b for a, b in f.items() if a in known}) for f in data["figures"]]
        name, reason = data["backend"], data["reason"]
        if not isinstance(name, str) or name not in {f.name for f in figs}:
            return None
        return Choice(name, str(reason), figs, k, path, dict(data.get("measured") or {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def choose(
    spec: ModelSpec,
    load: Loader,
    batch_size: Callable[[str], int],
    seeds: Callable[[], list[str]],
    root: Path | None = None,
    reprobe: bool = False,
    texts: list[str] | None = None,
    chunks: int = CHUNKS,
    budget_s: float = BUDGET_S,
) -> Choice:
    """This machine's backend for the local model `spec`: cached, else measured now and cached
    (one line on stderr says what was picked and why)."""
    if spec.path is None:
        raise ExplorerError("only a local model can be measured; hub models use torch")
    k = key(spec)
    path = cache_path(Path(root) if root is not None else backends.default_model_cache(), k)
    if not reprobe and (cached := read_cached(path, k)) is not None:
        return cached
    import torch  # every probe loads it anyway

    names = candidates(machine(), cuda=bool(torch.cuda.is_available()))
    print(f"backend: measuring {', '.join(names)} on this machine (once)…", file=sys.stderr)
    t0 = time.perf_counter()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    sample = texts if texts is not None else seeds() + sample_texts()
    figs, measured_on = probe(spec, names, load, sample, batch_size, chunks, budget_s)
    name, reason = pick(figs)
    measured = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.perf_counter() - t0, 1),
        "texts": measured_on,
        "chunks": chunks,
        "budget_s": budget_s,
        "load_average": load_before,
    }
    choice = Choice(name, reason, figs, k, path, measured, probed=True)
    try:
        atomic.write_json(path, choice.to_dict())
    except OSError as e:  # a read-only cache: the choice still holds for this process
        print(f"backend: cannot cache the choice in {path.parent} ({e})", file=sys.stderr)
    print(f"backend: {name} ({reason}); `explorer doctor` shows the figures", file=sys.stderr)
    return choice
