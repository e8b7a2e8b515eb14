"""`explorer build --engine ray`: the real model, the real seed corpus, a real local Ray.

A Ray build must equal a local build (vectors bit for bit, the index's answers, the map and its
topics) and share its vector cache. Skipped where Ray is not installed; `make test` installs
the `ray` extra, so CI runs it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import run_explorer  # tests/helpers.py

pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'explorer[ray]'")
pytest.importorskip("pyarrow", reason="the ray extra is not installed: pip install 'explorer[ray]'")

pytestmark = pytest.mark.slow


def summary(stderr: str) -> str:
    """The build's summary line without its time."""
    line = next(x for x in stderr.splitlines() if x.startswith("seeds: "))
    return re.sub(r"; [0-9.]+s$", "", line)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The seed corpus built by the real command twice, on fresh caches: on Ray, and here."""
    ray_cache = tmp_path_factory.mktemp("ray") / "cache"
    local_cache = tmp_path_factory.mktemp("local") / "cache"
    on_ray = run_explorer("build", "--engine", "ray", cache=ray_cache)
    assert on_ray.returncode == 0, on_ray.stderr
    here = run_explorer("build", cache=local_cache)
    assert here.returncode == 0, here.stderr
    return on_ray, here, ray_cache, local_cache


def test_cli_prints_what_a_local_build_prints(builds):
    on_ray, here, ray_cache, _ = builds
    assert summary(on_ray.stderr) == summary(here.stderr)
    assert summary(on_ray.stderr) == "seeds: 41 papers; embedded 41, reused 0 cached"
    assert on_ray.stdout.strip() == str(ray_cache / "seeds" / "map.html")
    # Ray's own chatter (its start-up, Ray Data's bars and plans) stays off the terminal.
    for chatter in ("Ray instance", "Starting execution", "Running Dataset", "Token auth"):
        assert chatter not in on_ray.stderr, on_ray.stderr


def test_ray_build_equals_local_build(builds):
    from explorer import Explorer

    _, _, ray_cache, local_cache = builds
    a = Explorer.open("seeds", root=ray_cache)
    b = Explorer.open("seeds", root=local_cache)
    assert a.manifest["model_id"] == b.manifest["model_id"]
    assert a.manifest["corpus_hash"] == b.manifest["corpus_hash"]
    va, vb = np.asarray(a.vectors), np.asarray(b.vectors)
    assert np.array_equal(va, vb), float(np.abs(va - vb).max())
    sa = np.load(a.layout.sentences / "vectors.npy", allow_pickle=False)
    sb = np.load(b.layout.sentences / "vectors.npy", allow_pickle=False)
    assert np.array_equal(sa, sb)
    da, ia = a.index.search(va, 10)
    db, ib = b.index.search(vb, 10)
    assert np.array_equal(ia, ib) and np.array_equal(da, db)
    for name in ("coords.npy", "clusters.npy"):
        ca = np.load(a.layout.landscape / name, allow_pickle=False)
        cb = np.load(b.layout.landscape / name, allow_pickle=False)
        assert np.array_equal(ca, cb), name
    assert (a.layout.landscape / "topics.json").read_text() == (
        b.layout.landscape / "topics.json"
    ).read_text()


def test_a_local_build_reuses_every_vector_a_ray_build_made(builds):
    from explorer import Explorer
    from explorer.storage import seed_file

    _, _, ray_cache, _ = builds
    again = Explorer.build(seed_file(), name="again", listing_year=2026, root=ray_cache)
    assert again.report is not None
    assert again.report.embedded == 0 and again.report.reused == 41


@pytest.fixture(scope="module")
def ray_session(shared_models):
    """One local Ray instance for the tests below, started as a build starts one."""
    from explorer.embed.distributed import RayEmbedder
    from explorer.embed.embedder import Embedder

    starter = RayEmbedder(Embedder(backend="torch", progress=False))
    starter._connect()
    yield
    starter.close()


def test_torch_vectors_on_ray_equal_local_ones(ray_session, torch_embedder, seed_corpus):
    """The float32 reference backend too: actors run one thread (OMP_NUM_THREADS=1), the
    driver two, and the vectors are still the same bits."""
    from explorer.embed.distributed import RayEmbedder
    from explorer.embed.embedder import Embedder

    texts = [p.text for p in seed_corpus]
    remote = RayEmbedder(Embedder(backend="torch", progress=False), actors=1)
    got: list[int] = []
    on_ray = remote.embed(texts, on_chunk=lambda rows, vecs: got.extend(rows.tolist()))
    here = torch_embedder.embed(texts)
    assert np.array_equal(on_ray, here), float(np.abs(on_ray - here).max())
    assert sorted(got) == list(range(len(texts)))
    assert remote.calls == len(texts) and remote.dim == here.shape[1]


@pytest.mark.parametrize(
    ("address", "says"),
    [("127.0.0.1:1", "cannot reach a Ray cluster at 127.0.0.1:1"), ("nonsense", "HOST:PORT")],
)
def test_a_bad_address_is_one_line(address, says, tmp_path):
    out = run_explorer("build", "--engine", "ray", "--address", address, cache=tmp_path)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], out.stderr


def test_address_without_ray_engine_is_refused(tmp_path):
    out = run_explorer("build", "--address", "127.0.0.1:6379", cache=tmp_path)
    assert out.returncode == 1
    assert out.stderr.strip() == "Error: --address needs --engine ray"


def test_without_ray_the_engine_says_how_to_install_it(monkeypatch, tmp_path):
    from explorer import Explorer
    from explorer.embed import distributed
    from explorer.papers import ExplorerError

    monkeypatch.setattr(distributed, "available", lambda: False)
    with pytest.raises(
        ExplorerError, match=r"^--engine ray needs Ray: pip install 'explorer\[ray\]'$"
    ):
        Explorer.build(engine="ray", root=tmp_path)
    with pytest.raises(ExplorerError, match="unknown engine 'spark'"):
        Explorer.build(engine="spark", root=tmp_path)
