"""Embedding backends side by side: throughput against float32 PyTorch, and quality kept.

    python benchmarks/backends.py [--n 2000] [--subset PATH] [--candidates a,b,...] [--tiny]

Every candidate embeds the same real abstracts (`Paper.text`: title + ". " + abstract) in one
run. The abstracts are cut into chunks of 250 (the size the Embedder hands a backend), and each
chunk goes through every candidate in a rotating order, so that load from other processes on a
shared machine falls on all candidates alike; throughput is abstracts / total seconds, and the
ratio is to float32 PyTorch measured in that same run. Quality: mean (and minimum) cosine to
the float32 reference vectors, and the mean overlap of each paper's 10 nearest neighbours
with the reference's, over the 3,990-paper subset. `--tiny` (50 abstracts, the seed corpus as
the quality subset, three candidates) keeps the script working in CI.
Candidates that `explorer.embed.backends` does not keep (rejected ones) are built here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from explorer.atomic import write_npy
from explorer.embed import backends
from explorer.embed.embedder import (
    TorchBackend,
    calibration_texts,
    resolve_model,
    verify_bundled_weights,
)
from explorer.papers import Paper

DATA = ROOT.parent / "shared" / "data" / "arxiv-cs-2025"
CHUNK = 250


# ---------------------------------------------------------------- candidates built here only
class _Tokenized:
    """Shared by the non-OpenVINO candidates: the kept ones' tokenizer, sorting and padding."""

    def __init__(self, spec) -> None:  # type: ignore[no-untyped-def]
        self.tok = backends._tokenizer(spec.path)
        self.max_len = backends._check_layout(spec.path)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.empty((len(texts), 384), dtype=np.float32)
        for rows, ids, mask in backends._batches(self.tok, texts, batch_size, self.max_len):
            out[rows] = self.run(ids, mask)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class TorchVariant(_Tokenized):
    """bf16 weights (avx512_bf16), dynamic int8 Linear layers (fbgemm, VNNI) or torch.compile."""

    def __init__(self, spec, mode: str) -> None:  # type: ignore[no-untyped-def]
        import torch
        from transformers import AutoModel

        super().__init__(spec)
        self.torch = torch
        model = AutoModel.from_pretrained(spec.path, local_files_only=True).eval()
        if mode == "bf16":
            model = model.to(torch.bfloat16)
        elif mode == "dynamic-int8":
            model = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
        elif mode == "compile":
            model = torch.compile(model, dynamic=True)
        self.model = model

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            m = torch.from_numpy(mask)
            h = self.model(input_ids=torch.from_numpy(ids), attention_mask=m).last_hidden_state
            w = m.unsqueeze(-1).to(torch.float32)
            return ((h.float() * w).sum(1) / w.sum(1).clamp(min=1e-9)).numpy()


def export_onnx(spec, folder: Path) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """float32 ONNX (legacy exporter, eager attention), ORT's BERT fusions, then dynamic int8."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel

    paths = {k: folder / f"{k}.onnx" for k in ("raw", "f32", "int8", "int8-pc")}
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    bert = AutoModel.from_pretrained(spec.path, local_files_only=True, attn_implementation="eager")

    class MeanPooled(torch.nn.Module):  # the same graph as the OpenVINO export's
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert.eval()

        def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)

    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}, "pooled": {0: "b"}}
    with torch.no_grad():
        torch.onnx.export(
            MeanPooled(),
            (ids, torch.ones_like(ids)),
            str(paths["raw"]),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["pooled"],
            dynamic_axes=axes,
            opset_version=17,
        )
    fused = optimizer.optimize_model(
        str(paths["raw"]), model_type="bert", num_heads=12, hidden_size=384
    )
    fused.save_model_to_file(str(paths["f32"]))
    for key, per_channel in (
        ("int8", False),
        ("int8-pc", True),
    ):  # per_channel=False: ST docs' avx512_vnni
        quantize_dynamic(
            paths["f32"],
            paths[key],
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            extra_options={"DefaultTensorType": 1},
        )
    return paths


class OrtVariant(_Tokenized):
    def __init__(self, spec, path: Path) -> None:  # type: ignore[no-untyped-def]
        import onnxruntime as ort

        super().__init__(spec)
        so = ort.SessionOptions()
        so.intra_op_num_threads = os.cpu_count() or 1
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def candidates(spec, cache: Path) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    """label → (factory, batch size). The first one is the reference."""

    def ov(name: str, hint: str, precision: str = "f32"):  # type: ignore[no-untyped-def]
        def make():  # type: ignore[no-untyped-def]
            folder = backends.ensure_exported(spec, name, cache, calibration_texts)
            return backends.OpenVINOBackend(
                spec.path, folder, name, backends._check_layout(spec.path), hint, precision
            )

        return make

    def ort(key: str):  # type: ignore[no-untyped-def]
        return lambda: OrtVariant(spec, export_onnx(spec, cache / "bench-onnx")[key])

    return {
        "torch f32 (reference)": (lambda: TorchBackend(spec), 64),
        "torch bf16": (lambda: TorchVariant(spec, "bf16"), 64),
        "torch dynamic int8": (lambda: TorchVariant(spec, "dynamic-int8"), 64),
        "torch.compile f32": (lambda: TorchVariant(spec, "compile"), 64),
        "onnx f32 (fused)": (ort("f32"), 32),
        "onnx int8 dynamic": (ort("int8"), 32),
        "onnx int8 dynamic per-channel": (ort("int8-pc"), 32),
        "openvino f32": (ov("openvino", "THROUGHPUT"), 32),
        "openvino bf16": (ov("openvino", "THROUGHPUT", "bf16"), 32),  # native bf16 CPUs only
        "cuda fp16": (lambda: TorchBackend(spec, "cuda-fp16"), 64),  # an NVIDIA GPU
        "openvino int8 latency b32": (ov("openvino-int8", "LATENCY"), 32),
        "openvino int8 b8": (ov("openvino-int8", "THROUGHPUT"), 8),
        "openvino int8 b16": (ov("openvino-int8", "THROUGHPUT"), 16),
        "openvino int8 b32": (ov("openvino-int8", "THROUGHPUT"), 32),
        "openvino int8 b64": (ov("openvino-int8", "THROUGHPUT"), 64),
    }


TINY = ("torch f32 (reference)", "openvino f32", "openvino int8 b32")
# Only where the hardware has them, by --candidates: native bf16, an NVIDIA GPU.
OPTIONAL = ("openvino bf16", "cuda fp16")


# ---------------------------------------------------------------- data and measures
def arxiv_texts(n: int, path: Path) -> list[str]:
    """n real abstracts drawn at random (seed 0) from the 74,728 papers: all fields, all lengths."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    random.Random(0).shuffle(rows)
    return [Paper(r["id"], r["title"], r["abstract"]).text for r in rows[:n]]


def seed_texts() -> list[str]:
    from explorer.readers import read_corpus
    from explorer.storage import SEED_LISTING_YEAR, seed_file

    return [p.text for p in read_corpus(seed_file(), listing_year=SEED_LISTING_YEAR)]


def subset_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [Paper(r["id"], r["title"], r["abstract"]).text for r in map(json.loads, f)]


def top10(v: np.ndarray, k: int = 10) -> np.ndarray:
    s = v @ v.T
    np.fill_diagonal(s, -np.inf)  # a paper is not its own neighbour
    return np.argpartition(-s, k, axis=1)[:, :k]


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / a.shape[1] for x, y in zip(a, b, strict=True)]))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def machine() -> str:
    cpu = platform.processor()
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = [
        f
        for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_bf16")
        if f in flags
    ]
    libs = ", ".join(
        f"{p} {pkg(p)}"
        for p in (
            "torch",
            "transformers",
            "sentence-transformers",
            "onnxruntime",
            "openvino",
            "nncf",
            "numpy",
        )
    )
    return (
        f"{cpu}; {os.cpu_count()} logical cores; ISA: {' '.join(isa) or '?'}; "
        f"Python {platform.python_version()}; {libs}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="abstracts for the throughput run")
    ap.add_argument("--papers", type=Path, default=DATA / "papers.jsonl.gz")
    ap.add_argument("--subset", type=Path, default=DATA / "subset-10cats.jsonl")
    ap.add_argument("--reference", type=Path, help="cached float32 vectors of the subset (.npy)")
    ap.add_argument("--candidates", help="comma-separated labels (default: all)")
    ap.add_argument("--cache", type=Path, default=backends.default_model_cache())
    ap.add_argument(
        "--tiny", action="store_true", help="50 abstracts, 41 seed papers, 3 candidates"
    )
    args = ap.parse_args(argv)
    if args.tiny:
        args.n = min(args.n, 50)
    spec = resolve_model()
    if spec.bundled:
        verify_bundled_weights(spec)  # the official weights, as explorer itself checks
    if args.papers.exists():
        texts = arxiv_texts(args.n, args.papers)
    else:
        texts = (seed_texts() * (args.n // 41 + 1))[: args.n]
    # --tiny measures quality on the 41 seed papers: CI checks that the script works, not the bar.
    subset = subset_texts(args.subset) if args.subset.exists() and not args.tiny else seed_texts()
    cands = candidates(spec, args.cache)
    default = TINY if args.tiny else [c for c in cands if c not in OPTIONAL]
    chosen = args.candidates.split(",") if args.candidates else list(default)
    ref_label = next(iter(cands))
    labels = [ref_label] + [c for c in chosen if c != ref_label]
    print(f"machine: {machine()}")
    print(
        f"throughput on {len(texts)} abstracts, quality on {len(subset)} papers; "
        f"load average before: {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    loaded, build_s = {}, {}
    for label in labels:
        log(f"loading {label}")
        t = time.perf_counter()
        loaded[label] = cands[label][0]()
        build_s[label] = time.perf_counter() - t
        loaded[label].encode(texts[:8], cands[label][1])  # warm-up: first-call allocations
    seconds = dict.fromkeys(labels, 0.0)
    cpu = dict.fromkeys(
        labels, 0.0
    )  # process CPU time, all threads: less sensitive to others' load
    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    for ci, chunk in enumerate(chunks):
        log(f"throughput chunk {ci + 1}/{len(chunks)}")
        for label in labels[ci % len(labels) :] + labels[: ci % len(labels)]:
            t, c = time.perf_counter(), time.process_time()
            loaded[label].encode(chunk, cands[label][1])
            seconds[label] += time.perf_counter() - t
            cpu[label] += time.process_time() - c
    load_after = os.getloadavg()[0]

    ref = None
    if args.reference and args.reference.exists():
        ref = np.load(args.reference, allow_pickle=False)
        probe = loaded[ref_label].encode(subset[:16], 64)
        if (
            ref.shape != (len(subset), probe.shape[1])
            or float((ref[:16] * probe).sum(1).min()) < 0.9999
        ):
            ref = None  # not this subset's float32 vectors: recompute
    if ref is None:
        ref = loaded[ref_label].encode(subset, 64)
        if args.reference:
            write_npy(args.reference, ref)
    ref_top = top10(ref)

    print(
        "| candidate | batch | abstracts/s | × torch f32 | × by CPU time | mean cos | min cos "
        "| top-10 overlap | load s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in labels:
        log(f"quality of {label}")
        v = ref if label == ref_label else loaded[label].encode(subset, cands[label][1])
        cos = (v * ref).sum(1)
        ov = 1.0 if label == ref_label else overlap(ref_top, top10(v))
        print(
            f"| {label} | {cands[label][1]} | {len(texts) / seconds[label]:.1f} | "
            f"{seconds[ref_label] / seconds[label]:.2f} | {cpu[ref_label] / cpu[label]:.2f} | "
            f"{cos.mean():.4f} | {cos.min():.4f} | "
            f"{ov:.3f} | {build_s[label]:.0f} |",
            flush=True,
        )
    print(
        f"load average during the throughput run: {load_after:.1f} at its end (2 cores: above ~2 "
        f"means other work shared the machine); exports under {args.cache}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
