"""BM25 lexical index: tokenizer, exact filtered top-k, a pickle-free folder, the lazy cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from explorer import Explorer, ExplorerError
from explorer.index.lexical import LexicalIndex, load_or_build, tokenize
from explorer.text import stem, strip_latex


def test_tokenizer_strips_latex_and_stop_words_and_keeps_model_names():
    text = r"We scale \emph{Mixture-of-Experts} to $10^{12}$ parameters, beating GPT-4 (see https://x.org/a)."
    toks = tokenize(text)
    assert "mixture-of-expert" in toks and "mixture" in toks and "expert" in toks
    assert "gpt-4" in toks and "gpt" in toks
    assert "parameter" in toks and "beating" in toks and "scale" in toks
    for gone in ("we", "to", "10", "12", "emph", "https", "org"):
        assert gone not in toks
    assert "10" not in strip_latex(text) and "emph" not in strip_latex(text)


@pytest.mark.parametrize(
    "word, want",
    [
        ("models", "model"),
        ("studies", "study"),
        ("classes", "class"),
        ("boxes", "box"),
        ("approaches", "approach"),
        ("caches", "cache"),
        ("axes", "axes"),
        ("analysis", "analysis"),
        ("loss", "loss"),
        ("corpus", "corpus"),
        ("gas", "gas"),
        ("bias", "bias"),
        ("series", "series"),
    ],
)
def test_s_stemmer_only_folds_plurals(word, want):
    assert stem(word) == want


@pytest.fixture(scope="module")
def lex(seed_corpus) -> LexicalIndex:
    return LexicalIndex.build([p.text for p in seed_corpus], corpus_hash=seed_corpus.content_hash)


def test_an_acronym_finds_its_paper(lex, seed_corpus):
    _, rows = lex.search("GLaM", 1)
    assert seed_corpus[int(rows[0])].title.startswith("GLaM")
    _, rows = lex.search("Patchscopes", 3)
    assert seed_corpus[int(rows[0])].title.startswith("Patchscopes")


@pytest.mark.parametrize(
    "query", ["toxic comments in conversations", "language models", "zzzz unseen"]
)
def test_filtered_top_k_equals_a_brute_force_oracle(lex, query):
    s = lex.scores(query)
    rng = np.random.default_rng(3)
    allowed = rng.random(len(s)) < 0.4
    got_s, got_r = lex.search(query, 7, allowed=allowed)
    rows = np.flatnonzero(allowed)
    want = rows[np.lexsort((rows, -s[rows]))][:7]
    assert got_r.tolist() == want.tolist()
    np.testing.assert_allclose(got_s, s[want])
    assert len(got_r) == min(7, allowed.sum())


def test_scores_rank_as_bm25s_does(lex, tmp_path):
    import bm25s

    lex.save(tmp_path / "bm25")
    model = bm25s.BM25.load(tmp_path / "bm25", allow_pickle=False)
    q = tokenize("toxicity detection in online conversations")
    theirs = model.get_scores(q)
    ours = lex.scores("toxicity detection in online conversations")
    # Ours divides by the norm of the query's term counts: same order, one common factor.
    np.testing.assert_allclose(ours * np.linalg.norm([1.0] * len(set(q))), theirs, rtol=1e-5)


def test_saved_folder_has_no_pickle_and_round_trips(lex, tmp_path, seed_corpus):
    folder = lex.save(tmp_path / "bm25")
    for npy in folder.glob("*.npy"):
        arr = np.load(npy, allow_pickle=False)  # an object array would raise here
        assert arr.dtype != object
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["corpus_hash"] == seed_corpus.content_hash and meta["count"] == 41
    again = LexicalIndex.load(folder, corpus_hash=seed_corpus.content_hash)
    np.testing.assert_array_equal(
        again.scores("gemma open models"), lex.scores("gemma open models")
    )
    with pytest.raises(ExplorerError, match="built from another corpus"):
        LexicalIndex.load(folder, corpus_hash="0" * 64)
    with pytest.raises(ExplorerError, match="no lexical index"):
        LexicalIndex.load(tmp_path / "nowhere")


def test_load_or_build_rebuilds_a_stale_index(tmp_path, seed_corpus):
    texts = [p.text for p in seed_corpus]
    load_or_build(tmp_path / "bm25", lambda: texts[:10], "old")
    fresh = load_or_build(tmp_path / "bm25", lambda: texts, seed_corpus.content_hash)
    assert len(fresh) == 41
    assert LexicalIndex.load(tmp_path / "bm25").meta["corpus_hash"] == seed_corpus.content_hash


def test_load_or_build_reads_no_text_when_the_saved_index_matches(tmp_path, seed_corpus):
    texts = [p.text for p in seed_corpus]
    load_or_build(tmp_path / "bm25", lambda: texts, seed_corpus.content_hash)

    def unwanted() -> list[str]:
        raise AssertionError("texts read although the saved index matches")

    assert len(load_or_build(tmp_path / "bm25", unwanted, seed_corpus.content_hash)) == 41


def test_row_weights_and_idf(lex, seed_corpus):
    row = next(i for i, p in enumerate(seed_corpus) if p.title.startswith("GLaM"))
    w = lex.row_weights(row)
    assert w["glam"] == max(w.values())  # a rare word repeated in its abstract weighs most
    idf = lex.idf(["glam", "model", "not-a-word"])
    assert set(idf) == {"glam", "model"} and idf["glam"] > idf["model"] > 0


def test_explorer_builds_the_index_once_and_then_loads_it(tmp_path, embedder):
    ex = Explorer.build(root=tmp_path / "c", embedder=embedder, with_map=False)
    meta = ex.layout.bm25 / "meta.json"
    stamp = meta.stat().st_mtime_ns  # `build` made it, so the first query does not wait
    again = Explorer.open("seeds", root=tmp_path / "c")
    hits = again.related("Gemma 2", k=3, mode="lexical")
    assert meta.stat().st_mtime_ns == stamp
    assert hits[0].paper.title.startswith("Gemma:")
    # A generation that lost it is damaged: refused on open, repaired by the next build.
    shutil.rmtree(ex.layout.bm25)
    with pytest.raises(ExplorerError, match=r"corpus 'seeds' is damaged: .*bm25/.* is missing"):
        Explorer.open("seeds", root=tmp_path / "c")
    Explorer.build(root=tmp_path / "c", embedder=embedder, with_map=False)
    hits = Explorer.open("seeds", root=tmp_path / "c").related("Gemma 2", k=3, mode="lexical")
    assert hits[0].paper.title.startswith("Gemma:")


def _same_index(a: LexicalIndex, b: LexicalIndex) -> bool:
    """The same weight for every paper and term. (Column order may differ: bm25s numbers terms
    in set order, which depends on the process's string hash seed.)"""
    if set(a.vocab) != set(b.vocab) or a.weights.shape != b.weights.shape:
        return False
    terms = sorted(a.vocab)
    wa = a.weights[:, [a.vocab[t] for t in terms]]
    wb = b.weights[:, [b.vocab[t] for t in terms]]
    return (wa != wb).nnz == 0


def test_a_large_build_makes_bm25_in_a_child_process_beside_the_map(
    tmp_path, embedder, seed_corpus, monkeypatch, capsys
):
    from explorer import stages

    oracle = LexicalIndex.build([p.text for p in seed_corpus], corpus_hash=seed_corpus.content_hash)
    monkeypatch.setattr(stages, "BACKGROUND_LEXICAL_MIN", 1)  # the seeds count as large

    def not_here(*args, **kwargs):
        raise AssertionError("BM25 built in the parent process")

    monkeypatch.setattr(LexicalIndex, "build", not_here)  # a spawned child has the real one
    ex = Explorer.build(root=tmp_path / "c", embedder=embedder, progress=True)
    assert "lexical BM25 index, built alongside the map" in capsys.readouterr().err
    assert _same_index(ex._parts.lexical, oracle)
    assert _same_index(
        LexicalIndex.load(ex.layout.bm25, corpus_hash=seed_corpus.content_hash), oracle
    )
    assert ex.related("Gemma 2", k=1, mode="lexical")[0].paper.title.startswith("Gemma:")


def test_a_background_build_whose_child_dies_is_made_in_the_parent(tmp_path, seed_corpus):
    from explorer.index.lexical import BackgroundBuild

    texts = [p.text for p in seed_corpus]
    job = BackgroundBuild(tmp_path / "bm25", texts, seed_corpus.content_hash)
    job._child.kill()  # before it could read the texts: starting Python takes a while
    index = job.result()
    assert job._child.returncode != 0
    assert _same_index(index, LexicalIndex.build(texts, corpus_hash=seed_corpus.content_hash))
    assert len(LexicalIndex.load(tmp_path / "bm25", corpus_hash=seed_corpus.content_hash)) == 41


def test_a_background_build_does_not_rerun_the_callers_script(tmp_path):
    # A script without `if __name__ == "__main__"`: a multiprocessing spawn would run it again.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from explorer.index.lexical import BackgroundBuild\n"
        "print('script body runs', flush=True)\n"
        "job = BackgroundBuild(Path(sys.argv[1]), "
        "['graph neural networks', 'language models'], 'h')\n"
        "print(len(job.result()), job._child.returncode)\n",
        "utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "bm25")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert out.stdout.splitlines() == ["script body runs", "2 0"]
    assert out.stderr == ""
    assert LexicalIndex.load(tmp_path / "bm25", corpus_hash="h").vocab.keys() >= {
        "graph",
        "language",
    }


def test_scores_do_not_depend_on_string_hashing(tmp_path):
    """bm25s numbers terms in set order; the index sorts them, so that two processes with other
    hash seeds give bit-identical scores (they differed in the last bits before)."""
    import subprocess
    import sys

    script = (
        "import hashlib\n"
        "from explorer.index.lexical import LexicalIndex\n"
        "from explorer.readers import read_corpus\n"
        "from explorer.storage import seed_file\n"
        "c = read_corpus(seed_file(), listing_year=2026)\n"
        "lex = LexicalIndex.build([p.text for p in c], corpus_hash='x')\n"
        "s = b''.join(lex.scores(p.text).tobytes() for p in c)\n"
        "print(hashlib.sha256(s).hexdigest(), list(lex.vocab)[:2])\n"
    )
    out = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(out) == 1, out
