"""Shared fixtures: the real seed corpus, the real bundled model (loaded once), a private cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "seeds" / "000_67f743c21ede86c5.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"
ARXIV_FILE = SHARED_DATA / "arxiv-cs-2025" / "papers.jsonl.gz"
SUBSET_FILE = SHARED_DATA / "arxiv-cs-2025" / "subset-10cats.jsonl"


def require(path: Path) -> Path:
    """Skip politely when the shared arXiv data is not beside the clone (a user's machine)."""
    if not path.exists():
        pytest.skip(f"{path} is not present (shared arXiv data lives only on the dev machines)")
    return path


@pytest.fixture(scope="session")
def seed_corpus():
    from explorer.readers import read_corpus

    return read_corpus(SEED_FILE, listing_year=2026)


@pytest.fixture(scope="session", autouse=True)
def shared_models(tmp_path_factory):
    """One place for exported fast-backend models per session (tests and their subprocesses):
    exporting once is the cache's job; each test still gets a private corpus cache."""
    import os

    folder = tmp_path_factory.mktemp("models")
    old = {k: os.environ.get(k) for k in ("EXPLORER_MODELS", "EXPLORER_BACKEND")}
    os.environ["EXPLORER_MODELS"] = str(folder)
    # One backend for the whole suite on every machine (what `auto` picks differs between
    # processors, and some tests' expectations were set on int8 vectors); the measured choice
    # itself is tested in test_backend_choice.py. EXPLORER_BACKEND=auto runs the suite with it.
    os.environ.setdefault("EXPLORER_BACKEND", "openvino-int8")
    yield folder
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def embedder(shared_models):
    """The real bundled all-MiniLM-L6-v2 on the suite's backend ($EXPLORER_BACKEND, above),
    loaded once."""
    from explorer.embed.embedder import Embedder

    e = Embedder(progress=False)
    _ = e.backend  # load now, so that tests measure what they mean to
    return e


@pytest.fixture(scope="session")
def torch_embedder():
    """The same model on the float32 PyTorch reference backend."""
    from explorer.embed.embedder import Embedder

    e = Embedder(backend="torch", progress=False)
    _ = e.backend
    return e


@pytest.fixture(scope="session")
def seed_vectors(seed_corpus, embedder) -> np.ndarray:
    """float32 (41, 384), rows aligned with `seed_corpus`."""
    return embedder.embed([p.text for p in seed_corpus])


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own cache directory, so that no test sees another's artefacts."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("EXPLORER_CACHE", str(cache))
    return cache


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """A cache shared by the tests that need the 3,990-paper subset: it is embedded once."""
    return tmp_path_factory.mktemp("shared") / "cache"


@pytest.fixture(scope="session")
def subset_explorer(shared_cache, embedder):
    """The 3,990-paper arXiv subset built with the real model (skips when the data is absent)."""
    from explorer import Explorer

    require(SUBSET_FILE)
    return Explorer.build(
        SUBSET_FILE, name="subset10", root=shared_cache, embedder=embedder, with_map=False
    )


@pytest.fixture(scope="session")
def seed_layout(seed_corpus, seed_vectors):
    """The seed map's parts, laid out once: (coords (41, 2), cluster labels (41,), names)."""
    from explorer.maps import topics
    from explorer.maps.labels import label_clusters

    coords = topics.project(seed_vectors)
    labels = topics.cluster(coords)
    return coords, labels, label_clusters([p.text for p in seed_corpus], labels)
