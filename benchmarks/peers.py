"""Peers side by side, in one run: what a user would write instead of explorer, on one machine.

    .venv/bin/python benchmarks/peers.py [--peers-python /work/peers-venv/bin/python]
                                         [--n 500] [--rounds 3]

The first `--n` papers of the 74,728-paper listing (`Paper.text`, what explorer embeds), by:

- sentence-transformers on torch float32 (what a user writes first; the reference vectors);
- sentence-transformers' own ONNX backend, float32 and int8 by its
  `export_dynamic_quantized_onnx_model` (the processor's config: avx512_vnni or avx2);
- sentence-transformers' own OpenVINO backend, float32 and int8 by its
  `export_static_quantized_openvino_model` (calibrated on 300 other abstracts of the listing:
  its default calibration set, GLUE SST-2, is on the hub, and this machine has no network);
- explorer's chosen backend (`auto`), papers only (`Embedder.embed`) and papers with their
  sentences in the one pass (`Embedder.embed_late`).

sentence-transformers' ONNX and OpenVINO backends need optimum, which pins transformers < 5:
they run in a separate virtual environment (--peers-python: python3 -m venv, the CPU torch
wheel, `pip install "sentence-transformers[onnx,openvino]" datasets`), as a worker process that
this script drives over stdin; explorer runs here. Each round runs every configuration once,
in turn, so that the machine's load falls on all alike; rates are each configuration's median
over the rounds, and the ratio column is the median of its per-round ratios to torch float32.
Quality: cosine of each paper vector to torch float32's, and the overlap of each paper's 10
nearest neighbours among the `--n` papers with those by torch float32's vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REFERENCE = "st torch f32"


def vnni() -> bool:
    try:
        return "avx512_vnni" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


# -- the worker, in the peers' environment ---------------------------------------------------


def worker(folder: Path) -> None:
    """Set up every sentence-transformers configuration, then answer `name` lines on stdin with
    the seconds that encoding the texts took (vectors saved as `<folder>/<i>.npy`)."""
    from sentence_transformers import (
        SentenceTransformer,
        export_dynamic_quantized_onnx_model,
        export_static_quantized_openvino_model,
    )

    out = os.fdopen(os.dup(1), "w")  # answers go here; the libraries' chatter goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    texts = json.loads((folder / "texts.json").read_text())
    calib = json.loads((folder / "calibration.json").read_text())
    model_dir = str(folder / "model")
    log = sys.stderr

    def patched_calibration(self, dataset_name, num_samples=100, dataset_config_name=None,
                            dataset_split=None, preprocess_function=None, preprocess_batch=True,
                            **_):  # fmt: skip
        from datasets import Dataset

        ds = Dataset.from_dict({"sentence": calib[:num_samples]})
        return ds.map(preprocess_function, batched=preprocess_batch, remove_columns=["sentence"])

    from optimum.intel import OVQuantizer

    OVQuantizer.get_calibration_dataset = patched_calibration  # local texts, not the hub's SST-2

    models = {REFERENCE: SentenceTransformer(model_dir, device="cpu")}
    # Each quantisation helper gets a model of its own: optimum's quantizers may change the
    # model they are given in place, and the float32 ones must stay float32.
    models["st onnx f32"] = SentenceTransformer(model_dir, device="cpu", backend="onnx")
    cfg = "avx512_vnni" if vnni() else "avx2"
    onnx = SentenceTransformer(model_dir, device="cpu", backend="onnx")
    export_dynamic_quantized_onnx_model(onnx, cfg, model_dir)
    models[f"st onnx int8 (dynamic, {cfg})"] = SentenceTransformer(
        model_dir,
        device="cpu",
        backend="onnx",
        model_kwargs={"file_name": f"onnx/model_qint8_{cfg}.onnx"},
    )
    models["st openvino f32"] = SentenceTransformer(model_dir, device="cpu", backend="openvino")
    ov = SentenceTransformer(model_dir, device="cpu", backend="openvino")
    export_static_quantized_openvino_model(ov, None, model_dir)
    models["st openvino int8 (static)"] = SentenceTransformer(
        model_dir,
        device="cpu",
        backend="openvino",
        model_kwargs={"file_name": "openvino/openvino_model_qint8_quantized.xml"},
    )
    for name, m in models.items():
        m.encode(texts[:64], batch_size=32)  # warm: the first call compiles and allocates
        inner = m[0].auto_model
        where = getattr(inner, "model_path", None) or getattr(inner, "model_save_dir", "")
        print(f"{name}: {type(inner).__name__} {where}", file=log)
    print(json.dumps({"configs": list(models)}), file=out, flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            break
        i = list(models).index(name)
        t0 = time.perf_counter()
        v = models[name].encode(texts, batch_size=32, normalize_embeddings=True)
        seconds = time.perf_counter() - t0
        np.save(folder / f"{i}.npy", np.asarray(v, dtype=np.float32))
        print(json.dumps({"seconds": seconds, "file": f"{i}.npy"}), file=out, flush=True)
    print("worker done", file=log)


# -- the driver, in explorer's environment ---------------------------------------------------


def top10(v: np.ndarray) -> np.ndarray:
    s = v @ v.T
    np.fill_diagonal(s, -np.inf)
    return np.argsort(-s, axis=1)[:, :10]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers-python", default="/work/peers-venv/bin/python")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        worker(args.worker)
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import ARXIV, describe

    from explorer.embed import late
    from explorer.embed.embedder import Embedder
    from explorer.embed.model import resolve_model
    from explorer.index.sentences import paper_sentences
    from explorer.readers import read_corpus

    print(f"machine: {describe()}; load {os.getloadavg()[0]:.2f}", flush=True)
    papers = list(read_corpus(ARXIV))
    sample, calib = papers[: args.n], papers[1000:1300]
    texts = [p.text for p in sample]
    spans = [late.spans(p.text, paper_sentences(p)) for p in sample]
    folder = Path(tempfile.mkdtemp(prefix="explorer-peers-"))
    (folder / "texts.json").write_text(json.dumps(texts))
    (folder / "calibration.json").write_text(json.dumps([p.text for p in calib]))
    shutil.copytree(resolve_model().path, folder / "model")  # the exports are written into it
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [args.peers_python, __file__, "--worker", str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    peers = json.loads(proc.stdout.readline())["configs"]
    print(f"peers set up (exports, quantisation) in {time.perf_counter() - t0:.0f}s", flush=True)
    ex = Embedder(progress=False)
    ex.embed(texts[:64])  # load and warm, as the peers are
    ex.embed_late(texts[:64], spans[:64])
    mine = {
        f"explorer {ex.backend_name}, papers": lambda: ex.embed(texts),
        f"explorer {ex.backend_name}, papers + sentences (one pass)": (
            lambda: ex.embed_late(texts, spans).first
        ),
    }
    n_sent = sum(len(s) for s in spans)
    print(f"{len(texts)} abstracts, {n_sent} sentences; explorer backend {ex.backend_name}\n")
    names = [*peers, *mine]
    rates: dict[str, list[float]] = {k: [] for k in names}
    loads: list[float] = []
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name in names:
            loads.append(os.getloadavg()[0])
            if name in mine:
                t = time.perf_counter()
                vectors[name] = np.asarray(mine[name](), np.float32)
                seconds = time.perf_counter() - t
            else:
                proc.stdin.write(name + "\n")
                proc.stdin.flush()
                got = json.loads(proc.stdout.readline())
                seconds = got["seconds"]
                vectors[name] = np.load(folder / got["file"])
            rates[name].append(len(texts) / seconds)
        print(f"round done, load {os.getloadavg()[0]:.2f}", flush=True)
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=60)
    ref = vectors[REFERENCE]
    near = top10(ref)
    ratios = {k: np.median(np.asarray(v) / np.asarray(rates[REFERENCE])) for k, v in rates.items()}
    print("| configuration | abstracts/s (median; min–max) | × torch f32 | cosine to f32 "
          "(mean / min) | top-10 overlap |")  # fmt: skip
    print("|---|---|---|---|---|")
    for name in names:
        v = vectors[name]
        cos = np.sum(v * ref, axis=1) / np.linalg.norm(v, axis=1) / np.linalg.norm(ref, axis=1)
        overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top10(v), near, strict=True)])
        r = rates[name]
        print(
            f"| {name} | {np.median(r):.1f} ({min(r):.1f}–{max(r):.1f}) | {ratios[name]:.2f} "
            f"| {cos.mean():.4f} / {cos.min():.4f} | {overlap:.3f} |"
        )
    print(f"\nload average during the runs: {min(loads):.2f}–{max(loads):.2f}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
