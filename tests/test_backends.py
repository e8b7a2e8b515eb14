"""The fast backend against the reference: real bundled model, the 41 real seed abstracts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from explorer.embed import backends
from explorer.embed.embedder import (
    ModelSpec,
    backend_names,
    calibration_texts,
    load_backend,
    resolve_model,
)
from explorer.papers import ExplorerError

SEED_FILE = Path(__file__).resolve().parent.parent / "seeds" / "000_67f743c21ede86c5.txt"


def seed_abstracts() -> list[str]:
    """Line 3 of every 3-line listing is the abstract: real text, no parser needed."""
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    return [" ".join(line.split()) for line in lines[2::3]]


@pytest.fixture(scope="module")
def fast_name() -> str:
    name = "openvino-int8"
    if backends.missing_packages(name):
        pytest.skip("no fast backend package installed (pip install openvino nncf)")
    return name


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def pair(fast_name, model_cache):
    """(reference vectors, fast vectors, fast backend) on the seed abstracts."""
    texts = seed_abstracts()
    spec = resolve_model()
    ref = load_backend(spec, "torch").encode(texts, 64)  # checks the weights' SHA-256 too
    fast = backends.load(spec, fast_name, model_cache, calibration=calibration_texts)
    return ref, fast.encode(texts, 32), fast


def test_seed_file_has_41_abstracts():
    texts = seed_abstracts()
    assert len(texts) == 41 and all(len(t) > 200 for t in texts)


def test_fast_vectors_match_reference(pair):
    ref, vec, backend = pair
    assert vec.dtype == np.float32 and vec.shape == (41, 384) == ref.shape
    assert backend.dim == 384
    np.testing.assert_allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
    cos = (ref * vec).sum(1)
    assert cos.min() >= 0.99, f"lowest cosine {cos.min():.4f} (paper {int(cos.argmin())})"


def test_fast_vectors_keep_nearest_neighbours(pair):
    ref, vec, _ = pair

    def nearest(v: np.ndarray) -> np.ndarray:
        s = v @ v.T
        np.fill_diagonal(s, -np.inf)
        return s.argmax(1)

    same = float(np.mean(nearest(ref) == nearest(vec)))
    assert same >= 0.9, f"only {same:.0%} of papers keep their nearest neighbour"


def test_order_and_batching_do_not_change_vectors(pair):
    _, vec, backend = pair
    texts = seed_abstracts()
    rev = backend.encode(texts[::-1], 7)[::-1]  # other batches, other padding
    assert float((rev * vec).sum(1).min()) > 0.999
    assert backend.encode([], 8).shape == (0, 384)


def test_export_is_cached_and_reused(fast_name, model_cache, pair, monkeypatch):
    spec = resolve_model()
    (folder,) = [p for p in model_cache.iterdir() if p.name.startswith(fast_name + "-")]
    manifest = folder / "manifest.json"
    stamp = manifest.stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("the second load exported again")

    monkeypatch.setattr(backends, "_export_openvino", no_export)
    again = backends.load(spec, fast_name, model_cache, calibration=calibration_texts)
    assert again.folder == folder and manifest.stat().st_mtime_ns == stamp
    info = json.loads(manifest.read_text())
    assert info["backend"] == fast_name
    assert folder.name.split("-")[-2] == info["weights_sha256"][:16]
    # nothing half-built is left beside it
    assert not [p for p in model_cache.iterdir() if p.name.startswith(".")]


def test_default_cache_is_under_explorer_cache(private_cache, monkeypatch):
    monkeypatch.delenv("EXPLORER_MODELS")
    assert backends.default_model_cache() == private_cache / "models"
    monkeypatch.setenv("EXPLORER_MODELS", "/somewhere/else")
    assert backends.default_model_cache() == Path("/somewhere/else")


def test_every_backend_name_is_known_to_the_embedder():
    names = backend_names()
    assert names[0] == "torch" and set(backends.REQUIRES) <= set(names)
    assert {"torch-bf16", "cuda-fp16", "openvino-bf16"} <= set(names)


def test_bf16_backends_share_the_float32_export_and_keep_its_vectors(pair, model_cache):
    """openvino-bf16 runs the float32 export at bf16 (emulated where the CPU has no bf16)."""
    if backends.missing_packages("openvino"):
        pytest.skip("openvino is not installed")
    spec = resolve_model()
    ref, _, _ = pair
    vec = backends.load(spec, "openvino-bf16", model_cache).encode(seed_abstracts(), 32)
    assert [p.name.split("-")[0] for p in model_cache.iterdir() if "bf16" in p.name] == []
    assert float((ref * vec).sum(1).mean()) > 0.99


def test_unknown_backend_and_missing_package_are_user_errors(monkeypatch):
    spec = resolve_model()
    with pytest.raises(ExplorerError, match="unknown backend"):
        backends.load(spec, "tpu-magic")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ExplorerError, match="pip install"):
        backends.load(spec, "openvino-int8")


def test_refuses_a_model_whose_pooling_it_would_change(tmp_path):
    src = resolve_model().path
    for name in ("modules.json", "sentence_bert_config.json"):
        (tmp_path / name).write_text((src / name).read_text())
    (tmp_path / "1_Pooling").mkdir()
    cfg = json.loads((src / "1_Pooling" / "config.json").read_text())
    cfg.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(cfg))
    if importlib.util.find_spec("openvino") is None:
        pytest.skip("openvino is not installed")
    with pytest.raises(ExplorerError, match="mean pooling"):
        backends.load(ModelSpec("cls-model", tmp_path), "openvino")


def test_torch_bf16_backend_keeps_the_vectors(pair):
    """sentence-transformers' model in bf16 (fast only with native bf16; emulated elsewhere)."""
    ref, _, _ = pair
    bf16 = load_backend(resolve_model(), "torch-bf16")
    assert bf16.name == "torch-bf16"
    vec = bf16.encode(seed_abstracts()[:6], 6)
    assert vec.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
    assert float((ref[:6] * vec).sum(1).min()) > 0.99
