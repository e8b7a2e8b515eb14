"""The CUDA fp16 backend (sentence-transformers' model.half() on device cuda) against float32
PyTorch on the CPU, on the 41 seed abstracts. Skipped without an NVIDIA GPU; runs alone:
`pytest tests/test_gpu.py`."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.embed import choice
from explorer.embed.embedder import calibration_texts, load_backend, resolve_model

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip(
        "no CUDA GPU visible to torch (the cuda-fp16 backend needs one)", allow_module_level=True
    )


def top10(v: np.ndarray) -> np.ndarray:
    s = v @ v.T
    np.fill_diagonal(s, -np.inf)
    return np.argsort(-s, axis=1)[:, :10]


@pytest.fixture(scope="module")
def pair():
    texts = calibration_texts()
    spec = resolve_model()
    ref = load_backend(spec, "torch").encode(texts, 64)
    gpu = load_backend(spec, "cuda-fp16")
    return ref, gpu.encode(texts, 64), gpu


def test_cuda_fp16_keeps_the_reference_vectors(pair):
    ref, vec, gpu = pair
    assert gpu.name == "cuda-fp16" and vec.dtype == np.float32 and vec.shape == ref.shape
    assert next(gpu.model.parameters()).dtype == torch.float16
    assert next(gpu.model.parameters()).device.type == "cuda"
    np.testing.assert_allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-3)
    cos = (ref * vec).sum(1)
    assert cos.mean() >= 0.99 and cos.min() >= 0.98, f"cosine {cos.mean():.4f} / {cos.min():.4f}"
    a, b = top10(ref), top10(vec)
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b, strict=True)])
    assert overlap >= 0.9, f"top-10 overlap {overlap:.3f}"


def test_auto_measures_cuda_when_available(tmp_path, monkeypatch):
    seen = []

    def fake_probe(spec, names, *args, **kwargs):
        seen.extend(names)
        return [choice.Figures(n, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0) for n in names], 1

    monkeypatch.setattr(choice, "probe", fake_probe)
    choice.choose(resolve_model(), None, None, lambda: [], root=tmp_path, reprobe=True)
    assert "cuda-fp16" in seen


def test_probe_includes_cuda(tmp_path):
    from explorer.embed import embedder as emb

    figs, n = choice.probe(
        resolve_model(),
        ["torch", "cuda-fp16"],
        lambda s, name: emb.load_backend(s, name, tmp_path),
        calibration_texts()[:24],
        lambda name: 8,
        chunks=2,
    )
    assert n == 24 and figs[1].name == "cuda-fp16" and figs[1].error is None
    assert figs[1].passed, figs[1]
