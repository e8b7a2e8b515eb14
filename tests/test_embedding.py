"""The real bundled model: shapes, normalisation, the weights check, the cache, offline use."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from explorer.embed.cache import VectorCache, embed_cached
from explorer.embed.embedder import (
    OFFICIAL_MINILM_SHA256,
    ModelSpec,
    resolve_model,
    sha256_file,
    verify_bundled_weights,
)
from explorer.papers import ExplorerError, Paper


def test_vectors_are_float32_unit_rows_in_input_order(embedder):
    texts = ["toxic comments in online conversations", "a", "open language models " * 40]
    v = embedder.embed(texts)
    assert v.dtype == np.float32 and v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # Length-sorted batching must put rows back in the caller's order. (int8 backends give a
    # text in another batch a vector a hair different: cosine, not bits.)
    for i, t in enumerate(texts):
        assert float(embedder.embed([t])[0] @ v[i]) > 0.999
        assert float(embedder.embed([t])[0] @ v[(i + 1) % 3]) < 0.9


def test_similar_texts_are_closer_than_unrelated_ones(embedder):
    a, b, c = embedder.embed(
        [
            "Detecting toxic comments in online discussions",
            "Classifying abusive language in conversations on the web",
            "A faster algorithm for sparse matrix multiplication",
        ]
    )
    assert a @ b > a @ c + 0.2


def test_bundled_weights_are_the_official_ones():
    spec = resolve_model(None)
    assert spec.bundled and spec.model_id == "all-MiniLM-L6-v2"
    assert sha256_file(spec.path / "model.safetensors") == OFFICIAL_MINILM_SHA256


def test_tampered_weights_are_refused(tmp_path):
    spec = resolve_model(None)
    fake = tmp_path / "model"
    shutil.copytree(spec.path, fake)
    with open(fake / "model.safetensors", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(
        ExplorerError,
        match=r"refusing .*model.safetensors: its SHA-256 is [0-9a-f]{64}, not the official",
    ):
        verify_bundled_weights(ModelSpec("all-MiniLM-L6-v2", fake, bundled=True))


def test_model_paths_that_are_not_models_are_refused(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ExplorerError, match="is not a directory holding a model"):
        resolve_model(str(tmp_path / "file.txt"))


def test_cache_embeds_nothing_the_second_time_and_only_new_texts(tmp_path, embedder, seed_corpus):
    papers = list(seed_corpus)
    cache = VectorCache(tmp_path, embedder.model_id)
    texts, hashes = [p.text for p in papers], [p.text_hash for p in papers]
    before = embedder.calls
    first, n1 = embed_cached(texts, hashes, embedder, cache)
    assert n1 == len(papers) and embedder.calls - before == len(papers)
    before = embedder.calls
    second, n2 = embed_cached(texts, hashes, embedder, cache)
    assert n2 == 0 and embedder.calls == before, "a second build must not call the model"
    np.testing.assert_array_equal(first, second)
    extra = Paper("new", "A new paper on toxicity", "We study toxic comments.")
    third, n3 = embed_cached(texts + [extra.text], hashes + [extra.text_hash], embedder, cache)
    assert n3 == 1 and embedder.calls - before == 1
    np.testing.assert_array_equal(third[:-1], first)


def test_blocks_give_each_text_its_vector_once_and_split_rows_between_two_arrays(
    tmp_path, embedder, seed_corpus
):
    """Texts go through the cache in blocks (bounded memory): a text repeated across blocks is
    embedded once; every row gets the vector of its own text; `Split` routes the first rows
    to one array and the rest (float16, as sentence vectors are kept) to another."""
    from explorer.embed.cache import Split

    papers = list(seed_corpus)[:12]
    texts = [p.text for p in papers] + [papers[0].text, papers[5].text]  # repeats, later blocks
    hashes = [p.text_hash for p in papers] + [papers[0].text_hash, papers[5].text_hash]
    reference = embedder.embed([p.text for p in papers])
    cache = VectorCache(tmp_path, embedder.model_id)
    head = np.zeros((9, 384), np.float32)
    tail = np.zeros((5, 384), np.float16)
    before = embedder.calls
    _, n = embed_cached(texts, hashes, embedder, cache, out=Split(head, tail), block=4, count=9)
    assert embedder.calls - before == 12, "each distinct text reaches the model once"
    assert n == 9  # of the first `count` rows, all were new
    both = np.vstack([head, tail.astype(np.float32)])
    order = list(range(12)) + [0, 5]
    # Blocks of 4 batch texts differently from one run of 12: vectors agree to the last bits.
    cos = np.sum(both * reference[order], axis=1)
    assert cos.min() > 0.999, cos
    # The repeats read the cached vectors (stored in float16 on that side).
    np.testing.assert_array_equal(tail[3], head[0].astype(np.float16))
    np.testing.assert_array_equal(tail[4], head[5].astype(np.float16))
    again, n2 = embed_cached(texts, hashes, embedder, cache, block=5)
    assert n2 == 0 and embedder.calls - before == 12
    np.testing.assert_array_equal(again[:9], head)


def test_damaged_cache_rows_are_re_embedded_not_trusted(tmp_path, embedder):
    cache = VectorCache(tmp_path, embedder.model_id)
    texts = ["graph neural networks", "protein folding"]
    hashes = ["h1", "h2"]
    good, _ = embed_cached(texts, hashes, embedder, cache)
    bad = np.full(384, 0.5, dtype=np.float32).tobytes()  # wrong norm: not a vector we wrote
    cache._db.execute("UPDATE vectors SET vec = ? WHERE hash = 'h1'", (bad,))
    cache._db.commit()
    again, n = embed_cached(texts, hashes, embedder, cache)
    assert n == 1
    np.testing.assert_allclose(again, good, atol=1e-5)


def test_another_model_id_does_not_share_vectors(tmp_path):
    a = VectorCache(tmp_path, "model-a")
    a.put_many(["h"], np.eye(1, 4, dtype=np.float32))
    assert len(VectorCache(tmp_path, "model-a")) == 1
    assert len(VectorCache(tmp_path, "model-b")) == 0


def test_default_path_makes_no_network_call(tmp_path):
    """Build the seed corpus and search it in a process where every socket connect fails."""
    script = textwrap.dedent(f"""
        import socket
        def refuse(*a, **k):
            raise AssertionError("network call attempted: %r" % (a,))
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from explorer import Explorer
        ex = Explorer.build(root=__import__("pathlib").Path({str(tmp_path)!r}))
        hits = ex.search("open language models", k=3)
        print(len(hits))
    """)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no HF_* offline hints inherited
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "3"
