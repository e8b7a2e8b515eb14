"""Fast CPU backends: the model exported once to OpenVINO (float32 or int8), cached, reused.

Why OpenVINO: on the 2-core Xeon dev machines (AVX-512 VNNI) int8 was the fastest candidate
(2.9-3.8x float32 PyTorch) that kept the reference vectors (mean cosine 0.997, top-10 overlap
0.936), while ONNX Runtime's dynamic int8 lost too much (overlap < 0.9) and PyTorch bf16 /
dynamic int8 were slower or worse; `docs/backends.md` has the tables and
`benchmarks/backends.py` re-runs them. Which of these is fastest depends on the processor, so
`backend="auto"` measures them on the machine it runs on (`explorer.embed.choice`).

Semantics are the reference's exactly: same tokenizer, truncation at the model's
`max_seq_length`, mean pooling over the attention mask, L2 normalisation. Export runs offline
from the local weights (never a hub) and is written atomically under
`<model_cache>/<backend>-<weights sha256>-<library versions>/`, so later runs only load it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from explorer.atomic import publish_dir
from explorer.embed.model import ModelSpec, offline, sha256_file
from explorer.embed.tokens import Tokens
from explorer.papers import ExplorerError

# Name → the packages it needs. nncf is needed only to build the int8 model (calibration).
# openvino-bf16 runs the float32 export with bf16 arithmetic (worth it only with native bf16).
REQUIRES: dict[str, tuple[str, ...]] = {
    "openvino-int8": ("openvino", "nncf"),
    "openvino": ("openvino",),
    "openvino-bf16": ("openvino",),
}
# Bump when the export recipe changes: old cache folders are then ignored. 2: the graph also
# returns the last hidden states (the one pass of a paper and its sentences, `embed.late`).
RECIPE = 2


def default_model_cache() -> Path:
    from explorer.storage import models_root

    return models_root()


def missing_packages(name: str) -> list[str]:
    return [m for m in REQUIRES[name] if importlib.util.find_spec(m) is None]


def load(
    spec: ModelSpec,
    name: str,
    model_cache: Path | None = None,
    calibration: Callable[[], list[str]] | None = None,
) -> OpenVINOBackend:
    """Backend `name` for the model `spec`, exported once into `model_cache`. An int8 export
    needs `calibration`: it gives the real texts to measure activation ranges on (called only
    when the export is made)."""
    if name not in REQUIRES:
        raise ExplorerError(f"unknown backend {name!r}: choose torch, {', '.join(REQUIRES)}")
    if missing := missing_packages(name):
        raise ExplorerError(
            f"backend {name!r} needs {' and '.join(missing)}: pip install {' '.join(missing)}"
        )
    if spec.path is None:
        raise ExplorerError(f"backend {name!r} needs a local model directory; use backend torch")
    offline()  # everything comes from local files: no library may try a hub
    max_len = _check_layout(spec.path)
    folder = ensure_exported(spec, name, model_cache, calibration)
    precision = "bf16" if name == "openvino-bf16" else "f32"
    return OpenVINOBackend(spec.path, folder, name, max_len, precision=precision)


def _check_layout(path: Path) -> int:
    """The max_seq_length of a sentence-transformers model that mean-pools and normalises.

    Fast backends bake that pooling into the exported graph; any other head (CLS pooling, a
    Dense layer) would silently change the vectors, so it is refused rather than guessed.
    """
    try:
        modules = json.loads((path / "modules.json").read_text())
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pool = json.loads((path / pooling / "config.json").read_text())
        max_len = int(
            json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]
        )
    except (OSError, ValueError, KeyError, StopIteration):
        raise ExplorerError(
            f"{path} is not a sentence-transformers model: use backend torch"
        ) from None
    modes = {k for k, v in pool.items() if k.startswith("pooling_mode") and v}
    if types != ["Transformer", "Pooling", "Normalize"] or modes != {"pooling_mode_mean_tokens"}:
        raise ExplorerError(
            f"fast backends need mean pooling + Normalize; {path} has {types}: use torch"
        )
    return max_len


def _versions(name: str) -> dict[str, str]:
    out = {"recipe": str(RECIPE)}
    for pkg in ("torch", "transformers", *REQUIRES[name]):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "none"
    return out


def ensure_exported(
    spec: ModelSpec,
    name: str,
    model_cache: Path | None = None,
    calibration: Callable[[], list[str]] | None = None,
) -> Path:
    """The cached export of `spec` for backend `name`, built now if it is not there yet."""
    assert spec.path is not None
    if name not in REQUIRES:
        raise ExplorerError(f"backend {name!r} has no export: it runs the model as it is")
    name = "openvino" if name == "openvino-bf16" else name  # the same float32 graph
    weights = spec.path / "model.safetensors"
    if not weights.is_file():
        raise ExplorerError(f"fast backends read model.safetensors; {weights} is missing")
    sha = sha256_file(weights)
    versions = _versions(name)
    vkey = hashlib.sha256(json.dumps(versions, sort_keys=True).encode()).hexdigest()[:12]
    root = Path(model_cache) if model_cache is not None else default_model_cache()
    final = root / f"{name}-{sha[:16]}-{vkey}"
    if (final / "manifest.json").is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=root))
    try:
        t0 = time.perf_counter()
        print(f"preparing the {name} model (once; it is cached in {root})…", file=sys.stderr)
        # The exporters print progress bars on stdout, which is for results: send them to stderr.
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter about a one-off trace
            quantize = name == "openvino-int8"
            if quantize and calibration is None:
                raise ExplorerError(f"backend {name!r} needs calibration texts to be exported")
            texts = calibration() if quantize and calibration is not None else []
            _export_openvino(spec.path, tmp, quantize=quantize, calibration=texts)
        manifest = {
            "backend": name,
            "weights_sha256": sha,
            "versions": versions,
            "export_seconds": round(time.perf_counter() - t0, 1),
        }
        publish_dir(tmp, final, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _export_openvino(model_dir: Path, out: Path, quantize: bool, calibration: list[str]) -> None:
    import openvino as ov
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one-off export: its bars and notices are noise to users
    hf_logging.set_verbosity_error()

    # Eager attention traces to plain MatMul/Softmax, which NNCF can quantize and OpenVINO fuses.
    bert = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager")

    class MeanPooled(torch.nn.Module):
        """The transformer plus sentence-transformers' mean pooling, traced as one graph whose
        second output is the token states that the pooling averaged."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert.eval()

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            return (h * m).sum(1) / m.sum(1).clamp(min=1e-9), h

    example = {"input_ids": torch.ones(2, 16, dtype=torch.long)}
    example["attention_mask"] = torch.ones(2, 16, dtype=torch.long)
    dyn = [-1, -1]  # batch and sequence length are both dynamic
    with torch.no_grad():
        model = ov.convert_model(
            MeanPooled(),
            example_input=example,
            input=[("input_ids", dyn, ov.Type.i64), ("attention_mask", dyn, ov.Type.i64)],
        )
    if quantize:
        import nncf

        # Static int8 (weights and activations) on VNNI; TRANSFORMER keeps softmax, layer norm
        # and GELU in float and applies SmoothQuant, which is what keeps the cosine ≥ 0.99.
        tok = _tokenizer(model_dir)
        items = [
            {"input_ids": ids, "attention_mask": mask}
            for _, ids, mask in _batches(tok, calibration, 1, _check_layout(model_dir))
        ]
        model = nncf.quantize(
            model,
            nncf.Dataset(items),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(items),
        )
    # float32 weights on disk: fp16 compression would change the float backend's vectors.
    ov.save_model(model, out / "model.xml", compress_to_fp16=False)


def _tokenizer(model_dir: Path) -> Tokens:
    """The model's tokenizer without transformers (and torch): a query starts in a second."""
    return Tokens(model_dir)


def _batches(
    tok,
    texts: list[str],
    batch_size: int,
    max_len: int,
) -> Iterator[tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.int64]]]:
    """(rows, input_ids, attention_mask) per batch, texts sorted by token count.

    Tokenizing everything first and sorting by the true token count (not characters) means each
    batch pads to almost nothing; the caller puts rows back in order.
    """
    ids = tok(texts, truncation=True, max_length=max_len, padding=False)["input_ids"]
    lens = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(-lens, kind="stable")
    for start in range(0, len(texts), batch_size):
        rows = order[start : start + batch_size]
        width = int(lens[rows].max())
        input_ids = np.zeros((len(rows), width), dtype=np.int64)  # 0 = [PAD], masked out anyway
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for j, r in enumerate(rows):
            input_ids[j, : lens[r]] = ids[r]
            mask[j, : lens[r]] = 1
        yield rows, input_ids, mask


class OpenVINOBackend:
    """An exported model on OpenVINO's CPU plugin."""

    def __init__(
        self,
        model_dir: Path,
        folder: Path,
        name: str,
        max_len: int,
        hint: str = "THROUGHPUT",
        precision: str = "f32",
    ) -> None:
        import openvino as ov

        self.name = name
        self.folder = folder
        self.max_len = max_len
        self.tok = _tokenizer(model_dir)
        config = {
            # float32 for every op left in float unless bf16 is asked for: the Xeon's default
            # is bf16, which measured slower there (no AMX exposed) and would make vectors
            # depend on the machine; openvino-bf16 is measured by the probe where it may pay.
            "INFERENCE_PRECISION_HINT": precision,
            # THROUGHPUT = one stream per core, each running a whole batch single-threaded:
            # measured faster than 2 threads sharing each batch (LATENCY) on 2 cores.
            "PERFORMANCE_HINT": hint,
        }
        compiled = ov.Core().compile_model(str(folder / "model.xml"), "CPU", config)
        self.dim = int(compiled.output(0).get_partial_shape()[1].get_length())
        jobs = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self.queue = ov.AsyncInferQueue(compiled, jobs)

    def encode(self, texts: list[str], batch_size: int) -> NDArray[np.float32]:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out

        def done(request, rows) -> None:
            out[rows] = request.get_output_tensor(0).data

        self.queue.set_callback(done)
        for rows, ids, mask in _batches(self.tok, texts, batch_size, self.max_len):
            self.queue.start_async({"input_ids": ids, "attention_mask": mask}, rows)
        self.queue.wait_all()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)

    def hidden(
        self, batches: list[tuple[NDArray[np.int64], NDArray[np.int64]]]
    ) -> list[NDArray[np.float32]]:
        """The last hidden states (B, T, d) of each batch (`embed.late` pools them), the
        batches run side by side on the streams."""
        out: list[NDArray[np.float32]] = [np.empty(0, np.float32)] * len(batches)

        def done(request, at) -> None:
            out[at] = np.array(request.get_output_tensor(1).data, dtype=np.float32)

        self.queue.set_callback(done)
        for at, (ids, mask) in enumerate(batches):
            self.queue.start_async({"input_ids": ids, "attention_mask": mask}, at)
        self.queue.wait_all()
        return out
