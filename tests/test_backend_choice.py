"""`backend="auto"`: the pick rule on given figures, the cache, a real probe with the real model,
a built corpus keeping its backend, and `explorer doctor`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.embed import backends, choice
from explorer.embed import embedder as emb
from explorer.embed.choice import Figures, pick
from explorer.embed.embedder import Embedder, calibration_texts, kept_backend, resolve_model
from explorer.papers import ExplorerError


def fig(name: str, ratio: float, cos: float = 1.0, overlap: float = 1.0, **kw) -> Figures:
    return Figures(name, 10 * ratio, ratio, ratio, cos, cos, overlap, **kw)


# ---------------------------------------------------------------- the pick rule
def test_pick_fastest_passing():
    name, why = pick([fig("torch", 1.0), fig("openvino", 1.6), fig("openvino-int8", 1.2, 0.995)])
    assert name == "openvino"
    assert "1.6x torch" in why and "1.3x openvino-int8" in why


def test_pick_excludes_quality_failures_and_errors():
    figs = [
        fig("torch", 1.0),
        fig("openvino-int8", 6.2, cos=0.999, overlap=0.85),  # fastest, but neighbours move
        fig("torch-bf16", 2.4, cos=0.9999, overlap=0.991),
        fig("openvino", 0.0, error="needs openvino"),
    ]
    name, why = pick(figs)
    assert name == "torch-bf16"
    assert "openvino-int8 fails the bars" in why and "openvino unavailable" in why
    assert pick([fig("torch", 1.0), fig("x", 3.0, cos=0.98)])[0] == "torch"


def test_pick_keeps_the_reference_within_the_margin():
    name, why = pick([fig("torch", 1.0), fig("openvino", 1.05)])
    assert name == "torch" and "within the 1.1x margin" in why


def test_pick_needs_the_reference():
    with pytest.raises(ExplorerError, match="reference"):
        pick([fig("torch", 0.0, error="boom"), fig("openvino", 2.0)])


def test_candidates_follow_the_processor():
    # An AVX2-only x86 (issue 23: int8 measured 0.85x float32 there): int8 is not measured.
    avx2 = {"flags": ["avx2"], "x86": True}
    assert choice.candidates(avx2, cuda=False) == ["torch", "openvino"]
    vnni = {"flags": ["avx2", "avx_vnni"], "x86": True}
    assert choice.candidates(vnni, cuda=False) == ["torch", "openvino", "openvino-int8"]
    bf16 = {"flags": ["avx2", "avx512f", "avx512_vnni", "avx512_bf16"], "x86": True}
    assert choice.candidates(bf16, cuda=False) == [
        "torch",
        "torch-bf16",
        "openvino",
        "openvino-int8",
        "openvino-bf16",
    ]
    assert choice.candidates(avx2, cuda=True)[-1] == "cuda-fp16"
    arm = {"flags": [], "x86": False}  # int8 dot products without x86 flags
    assert choice.candidates(arm, cuda=False) == ["torch", "openvino", "openvino-int8"]


# ---------------------------------------------------------------- the cache, with fake backends
class Fake:
    """Deterministic unit vectors per text; `noise` moves them as a lossy backend would."""

    dim = 16

    def __init__(self, name: str, noise: float) -> None:
        self.name, self.noise = name, noise

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            rng = np.random.default_rng(seed)
            v = rng.standard_normal(self.dim) + self.noise * rng.standard_normal(self.dim)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """choose() with fake backends and a private cache; `calls` counts backends loaded."""
    calls: list[str] = []
    monkeypatch.setattr(choice, "candidates", lambda m, cuda: ["torch", "lossy", "close"])
    noise = {"torch": 0.0, "lossy": 3.0, "close": 0.0}

    def load(spec, name):
        calls.append(name)
        return Fake(name, noise[name])

    texts = [f"paper {i} about topic {i % 5}" for i in range(30)]

    def run(**kw):
        return choice.choose(
            resolve_model(),
            load,
            lambda name: 8,
            seeds=lambda: texts,
            root=tmp_path,
            texts=texts,
            chunks=3,
            **kw,
        )

    return run, calls


def test_choice_is_cached_and_a_hit_skips_the_probe(fake, capsys):
    run, calls = fake
    first = run()
    assert first.probed and calls == ["torch", "lossy", "close"]
    err = capsys.readouterr().err
    assert f"backend: {first.backend} (measured here:" in err and "explorer doctor" in err
    lossy = next(f for f in first.figures if f.name == "lossy")
    assert not lossy.passed and lossy.overlap < 0.9
    data = json.loads(first.path.read_text())  # JSON, never pickle
    assert data["backend"] == first.backend and data["key"] == choice.key(resolve_model())
    calls.clear()
    again = run()
    assert calls == [] and not again.probed and again.backend == first.backend
    assert [f.ratio for f in again.figures] == [f.ratio for f in first.figures]
    assert capsys.readouterr().err == ""  # a cache hit says nothing


def test_cache_of_another_machine_or_version_is_ignored(fake):
    run, calls = fake
    first = run()
    data = json.loads(first.path.read_text())
    data["key"]["machine"] = {"cpu": "Other", "cores": 64, "flags": [], "gpus": []}
    first.path.write_text(json.dumps(data))
    calls.clear()
    assert run().probed and calls  # another processor's figures: measured again
    data["key"] = choice.key(resolve_model())
    data["key"]["versions"]["torch"] = "0.0.1"
    first.path.write_text(json.dumps(data))
    calls.clear()
    assert run().probed and calls  # measured again
    assert json.loads(first.path.read_text())["key"] == choice.key(resolve_model())


@pytest.mark.parametrize("text", ["{not json", "[]", '{"key": 1}', ""])
def test_corrupt_cache_is_measured_again(fake, text):
    run, calls = fake
    path = run().path
    path.write_text(text)
    calls.clear()
    assert run().probed and calls
    assert json.loads(path.read_text())["backend"]


def test_reprobe_measures_again(fake):
    run, calls = fake
    run()
    calls.clear()
    assert run(reprobe=True).probed and calls


# ---------------------------------------------------------------- resolving a backend
def test_explicit_backend_and_env_skip_the_probe(monkeypatch):
    def no_probe(*a, **kw):
        raise AssertionError("probed")

    monkeypatch.setattr(choice, "choose", no_probe)
    assert Embedder(backend="openvino").backend_name == "openvino"
    monkeypatch.setenv("EXPLORER_BACKEND", "torch")
    assert Embedder().backend_name == "torch"
    assert Embedder(backend="openvino").backend_name == "openvino"  # the argument wins
    monkeypatch.setenv("EXPLORER_BACKEND", "tpu")
    with pytest.raises(ExplorerError, match=r"unknown backend 'tpu' \(from \$EXPLORER_BACKEND\)"):
        Embedder()
    with pytest.raises(ExplorerError, match="unknown backend 'gpu'"):
        Embedder(backend="gpu")
    monkeypatch.setenv("EXPLORER_BACKEND", "auto")
    assert Embedder("someone/hub-model").backend_name == "torch"  # hub models stay torch


@pytest.mark.slow
def test_real_probe_picks_and_caches(shared_models, monkeypatch, capsys):
    """The real model and candidates on 24 seed abstracts in 2 chunks; then `auto` reads it."""
    monkeypatch.delenv("EXPLORER_BACKEND")
    spec = resolve_model()
    first = choice.choose(
        spec,
        lambda s, name: emb.load_backend(s, name, shared_models),
        lambda name: emb.BATCH_SIZES.get(name, emb.DEFAULT_BATCH_SIZE),
        calibration_texts,
        root=shared_models,
        reprobe=True,
        texts=calibration_texts()[:24],
        chunks=2,
    )
    names = [f.name for f in first.figures]
    assert names == choice.candidates(choice.machine(), cuda="cuda-fp16" in names)
    ref = first.figures[0]
    assert ref.name == "torch" and ref.ratio == 1.0 and ref.mean_cos > 0.9999
    assert first.backend in names and next(f for f in first.figures if f.name == first.backend)
    assert all(f.texts_per_s > 0 for f in first.figures if f.error is None)
    assert first.path is not None and first.path.parent.parent == shared_models
    assert f"backend: {first.backend} (measured here:" in capsys.readouterr().err

    monkeypatch.setattr(choice, "probe", lambda *a, **kw: pytest.fail("probed twice"))
    e = Embedder(progress=False, model_cache=shared_models)
    assert e.backend_name == first.backend
    assert e.model_id.endswith("" if first.backend == "torch" else f"+{first.backend}")


# ---------------------------------------------------------------- a built corpus keeps its backend
def test_kept_backend_rules(monkeypatch, capsys):
    monkeypatch.delenv("EXPLORER_BACKEND")
    made = {"backend": "openvino", "model": "all-MiniLM-L6-v2"}
    assert kept_backend(made, None, rebuild=False) == "openvino"
    assert kept_backend(None, None, rebuild=False) is None  # a new corpus: measured
    assert kept_backend(made | {"model": "other"}, None, rebuild=False) is None
    monkeypatch.setattr(backends, "missing_packages", lambda name: ["openvino"])
    with pytest.raises(ExplorerError, match=r"backend 'openvino', which needs openvino.*--rebuild"):
        kept_backend(made, None, rebuild=False)
    assert kept_backend(made, None, rebuild=True) is None
    assert "re-embedding with this machine's choice" in capsys.readouterr().err
    monkeypatch.setenv("EXPLORER_BACKEND", "torch")  # named by the user: theirs
    assert kept_backend(made, None, rebuild=False) is None


def _jsonl(path: Path, papers) -> Path:
    rows = [{"id": p.id, "title": p.title, "abstract": p.abstract} for p in papers]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_grown_corpus_keeps_its_backend(seed_corpus, tmp_path, monkeypatch):
    from explorer.building import build

    papers = list(seed_corpus)
    src = _jsonl(tmp_path / "papers.jsonl", papers[:12])
    monkeypatch.setenv("EXPLORER_BACKEND", "openvino")  # the first machine's choice
    first = build(src, name="kept", root=tmp_path / "c", with_map=False, sentences=False)
    assert first.manifest["backend"] == "openvino"

    monkeypatch.delenv("EXPLORER_BACKEND")  # this machine would measure another one fastest
    other = choice.Choice("torch", "measured", [], {})
    monkeypatch.setattr(emb, "backend_choice", lambda *a, **kw: other)
    assert Embedder(model_cache=tmp_path).backend_name == "torch"
    _jsonl(src, papers[:16])
    grown = build(src, name="kept", root=tmp_path / "c", with_map=False, sentences=False)
    assert grown.manifest["backend"] == "openvino" and len(grown.corpus) == 16
    assert grown.report.embedded == 4  # only the appended papers: the old vectors are kept

    monkeypatch.setattr(backends, "missing_packages", lambda name: ["openvino"])
    with pytest.raises(ExplorerError, match="--rebuild"):
        build(src, name="kept", root=tmp_path / "c", with_map=False, sentences=False)


# ---------------------------------------------------------------- explorer doctor
def doctor(*args: str, models: Path, backend: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, EXPLORER_MODELS=str(models), EXPLORER_BACKEND=backend)
    return subprocess.run(
        [sys.executable, "-m", "explorer", "doctor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_doctor_json_and_table(fake):
    run, _ = fake
    made = run()  # a cached choice for this machine, made with fakes: doctor reads it
    models = made.path.parent.parent
    out = doctor("--json", models=models)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["choice"]["backend"] == made.backend
    assert data["machine"]["cores"] >= 1 and "torch" in data["versions"]
    # Where the cache is (the suite's private one, set by $EXPLORER_CACHE) and what it holds.
    assert data["cache"]["path"] == str(Path(os.environ["EXPLORER_CACHE"]).resolve())
    assert data["cache"]["from"] == "$EXPLORER_CACHE" and data["cache"]["corpora"] == []
    assert {f["name"] for f in data["choice"]["figures"]} == {"torch", "lossy", "close"}
    table = doctor(models=models)
    assert table.returncode == 0, table.stderr
    assert "lossy" in table.stdout and "FAIL" in table.stdout
    assert f"choice:   {made.backend}" in table.stdout and str(made.path) in table.stdout
    assert f"cache:    {data['cache']['path']} ($EXPLORER_CACHE;" in table.stdout
    for bad in (
        doctor("--model", "./nowhere", models=models),
        doctor(models=models, backend="tpu"),
    ):
        assert bad.returncode == 1 and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
    pinned = doctor(models=models, backend="torch")
    assert "EXPLORER_BACKEND=torch is set" in pinned.stdout


def test_damaged_manifest_does_not_stop_a_build_from_choosing(seed_corpus, tmp_path, monkeypatch):
    """A damaged corpus is the locked build's to judge (and the seeds' to rebuild): reading
    its manifest for the backend never fails."""
    from explorer.building import build

    (tmp_path / "c" / "kept").mkdir(parents=True)
    (tmp_path / "c" / "kept" / "manifest.json").write_text("{not json")
    seen = []

    class Stop(Exception):
        pass

    def record(made, model, rebuild):
        seen.append(made)
        raise Stop

    monkeypatch.setattr(emb, "kept_backend", record)
    src = _jsonl(tmp_path / "papers.jsonl", list(seed_corpus)[:3])
    with pytest.raises(Stop):
        build(src, name="kept", root=tmp_path / "c", with_map=False, sentences=False)
    assert seen == [None]


def test_a_small_first_corpus_runs_without_a_probe(fake, monkeypatch, tmp_path, capsys):
    """Issue 23: the first `make run` measured three backends and quantised an int8 model for
    41 papers. A corpus under PROBE_MIN papers on a machine that has measured nothing runs
    OpenVINO float32 (torch without OpenVINO); once a choice is cached (or the corpus is large,
    or a backend is named) it is resolved as before."""
    monkeypatch.delenv("EXPLORER_BACKEND")
    assert emb.first_backend(None, tmp_path, 41) == "openvino"  # float32: the reference's
    assert capsys.readouterr().err.strip() == (
        "backend: openvino for 41 papers (the fastest backend is measured once a corpus of "
        "1,000 or more is built; `explorer doctor --probe` measures now)"
    )
    with monkeypatch.context() as m:
        m.setattr(backends, "missing_packages", lambda name: ["openvino"])
        assert emb.first_backend(None, tmp_path, 41) == "torch"
    assert emb.first_backend(None, tmp_path, emb.PROBE_MIN) is None
    run, _ = fake
    run()  # a choice cached in tmp_path: it is used whatever the corpus's size
    assert emb.first_backend(None, tmp_path, 41) is None
    monkeypatch.setenv("EXPLORER_BACKEND", "openvino")
    assert emb.first_backend(None, tmp_path / "empty", 41) is None
