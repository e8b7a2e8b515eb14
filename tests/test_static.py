"""The static tier (`--model static`): a model2vec table distilled from the bundled MiniLM on
this machine, cached like the exports, its vectors under their own model id."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from explorer import Explorer, ExplorerError
from explorer.embed.embedder import Embedder, resolve_backend
from explorer.embed.model import STATIC_ID, resolve_model
from explorer.storage import SEED_LISTING_YEAR, seed_file

pytest.importorskip("model2vec")

GEMMA2 = "Gemma 2: Improving Open Language Models at a Practical Size"
GEMMA = "Gemma: Open Models Based on Gemini Research and Technology"
TOX_A = "Toxicity Detection: Does Context Really Matter?"
TOX_B = "Toxicity Detection can be Sensitive to the Conversational Context"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("static") / "cache"


@pytest.fixture(scope="module")
def ex(root) -> Explorer:
    """The seed corpus built with the static model (distilled into the session's models)."""
    return build(root, "seeds-static")


def build(root, name: str) -> Explorer:
    return Explorer.build(
        seed_file(),
        listing_year=SEED_LISTING_YEAR,
        root=root,
        name=name,
        model="static",
        progress=False,
    )


def test_its_vectors_have_their_own_model_id_and_backend(ex, root):
    m = ex.manifest
    assert (m["model"], m["model_id"], m["backend"]) == ("static", STATIC_ID, "static")
    assert ex.vectors.shape == (len(ex.corpus), m["dim"])
    np.testing.assert_allclose(np.linalg.norm(ex.vectors, axis=1), 1.0, atol=1e-3)
    # One vector cache, the static model's own: nothing lands in MiniLM's.
    caches = sorted(p.name for p in (root / "vectors").glob("*.sqlite"))
    assert len(caches) == 1 and caches[0].startswith("static")


def test_neighbours_make_sense(ex):
    assert TOX_B in [h.paper.title for h in ex.related(TOX_A, k=3, mode="dense")]
    assert TOX_A in [h.paper.title for h in ex.related(TOX_B, k=3, mode="dense")]
    assert GEMMA in [h.paper.title for h in ex.related(GEMMA2, k=3, mode="dense")]
    hits = ex.search("detecting toxic comments in conversations", k=3, mode="dense")
    assert any("Toxic" in h.paper.title for h in hits)


def test_sentences_come_with_it(ex):
    assert ex.manifest["sentences"]
    sents = ex._parts.sentences
    assert sents is not None and len(sents.vectors) > len(ex.corpus)


def test_the_distilled_model_and_the_vectors_are_reused(ex, root, shared_models, capfd):
    folders = list(shared_models.glob("static-*"))
    assert len(folders) == 1 and (folders[0] / "manifest.json").is_file()
    assert (folders[0] / "model.safetensors").is_file()
    assert not list(folders[0].rglob("*.pkl")) and not list(folders[0].rglob("*.bin"))
    stamp = (folders[0] / "manifest.json").stat().st_mtime_ns
    capfd.readouterr()
    again = build(root, "seeds-static-2")
    assert again.report is not None and again.report.embedded == 0
    np.testing.assert_array_equal(np.asarray(again.vectors), np.asarray(ex.vectors))
    assert "distilling" not in capfd.readouterr().err
    assert list(shared_models.glob("static-*")) == folders
    assert (folders[0] / "manifest.json").stat().st_mtime_ns == stamp


def test_reopened_it_answers_free_text_with_the_static_model(ex, root):
    opened = Explorer.open("seeds-static", root=root)
    hits = opened.search("open language models from Gemini research", k=3, mode="dense")
    assert any(h.paper.title in (GEMMA, GEMMA2) for h in hits)
    assert opened._parts.model.model_id == STATIC_ID


def test_a_rebuild_without_model_keeps_the_static_model(ex, root):
    again = Explorer.build(name="seeds-static", root=root, progress=False)  # its own files
    assert again.manifest["model_id"] == STATIC_ID
    assert again.report is not None and again.report.embedded == 0


def test_static_runs_on_its_own_backend_only(monkeypatch):
    monkeypatch.setenv("EXPLORER_BACKEND", "openvino-int8")  # a suite's default: not for static
    assert resolve_backend(None, resolve_model("static")) == "static"
    assert Embedder("static", backend="auto").model_id == STATIC_ID
    with pytest.raises(ExplorerError, match="--model static"):
        resolve_backend("static", resolve_model(None))
    with pytest.raises(ExplorerError, match="only backend"):
        resolve_backend("torch", resolve_model("static"))


def test_without_the_extra_one_line_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "model2vec", None)  # `import model2vec` now fails
    with pytest.raises(ExplorerError) as err:
        Explorer.build(root=tmp_path / "c", model="static", progress=False)
    msg = str(err.value)
    assert "\n" not in msg and "pip install 'explorer[static]'" in msg
