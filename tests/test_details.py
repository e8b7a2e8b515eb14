"""Issue 23's small findings, each reproduced: the BibTeX export's "et al.", a year filter that
leaves nothing, and a negative name that fits a family of papers.

Ranking logic only: the seed papers embedded by `HashEmbedder` (what the model finds is tested
with the model in test_cli.py and test_search.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import HashEmbedder  # tests/fakes.py

from explorer import Explorer
from explorer.cli import main
from explorer.web import exports

GEMINI = "Gemini: A Family of Highly Capable Multimodal Models"
GEMINI_15 = "Gemini 1.5: Unlocking multimodal understanding across millions of tokens of context"


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("details") / "cache"
    Explorer.build(root=root, embedder=HashEmbedder(), with_map=False)
    return root


@pytest.fixture(scope="module")
def ex(cache) -> Explorer:
    return Explorer.open("seeds", root=cache)


def cli(cache: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"EXPLORER_CACHE": str(cache)})


def test_bibtex_csv_and_jsonl_keep_et_al(ex):
    p = ex.find(GEMINI).paper
    assert p.et_al and p.authors == ("Gemini Team", "Rohan Anil", "Sebastian Borgeaud")
    bib = exports.to_bibtex([p])
    assert "  author = {Gemini Team and Rohan Anil and Sebastian Borgeaud and others}," in bib
    csv_row = exports.to_csv([p]).splitlines()[1]
    assert "Gemini Team; Rohan Anil; Sebastian Borgeaud; et al." in csv_row
    row = json.loads(exports.to_jsonl([p]))
    assert row["et_al"] is True and row["authors"] == list(p.authors)
    whole = [q for q in ex.corpus if q.authors and not q.et_al][0]
    assert " and others" not in exports.to_bibtex([whole])


def test_a_year_filter_that_leaves_nothing_says_so_without_a_table(cache):
    out = cli(cache, "related", "Gemma 2", "--year", "2030-2040")
    assert out.exit_code == 0
    lines = out.output.strip().splitlines()
    assert lines[-1] == (
        "note: no papers that pass the filters (--year 2030-2040; this corpus's papers are "
        "from 2016-2026)"
    ), out.output
    assert not any(line.lstrip().startswith("#") for line in lines)  # no empty table
    js = cli(cache, "related", "Gemma 2", "--year", "2030-2040", "--json")
    assert js.exit_code == 0 and "[]" in js.output.splitlines()


def test_a_negative_name_that_fits_a_family_excludes_every_paper_it_fits(ex, cache):
    hits = ex.related("Gemma 2", negatives=["Gemini"], k=40)
    titles = {h.paper.title for h in hits}
    assert GEMINI not in titles and GEMINI_15 not in titles
    assert len(hits) == 41 - 1 - 2  # everything else is still there
    # An example wins over a family member: naming Gemini 1.5 as an example keeps it out of
    # the negatives instead of an error.
    both = ex.related("Gemma 2", GEMINI_15, negatives=["Gemini"], k=40)
    assert GEMINI not in {h.paper.title for h in both}
    out = cli(cache, "related", "Gemma 2", "--not", "Gemini", "-k", "40")
    assert out.exit_code == 0, out.output
    assert f"not: matched short title: {GEMINI}" in out.output
    assert f"(also not: {GEMINI_15})" in out.output
    assert GEMINI_15 not in out.output.split("title\n", 1)[1]


def test_the_embedding_bar_moves_by_length_so_its_eta_is_honest_from_the_start():
    """Chunks go longest first: a bar counting texts said 2 h 31 min for a 40-minute build."""
    from explorer.progress import Bar

    texts = ["x" * 800, "y" * 100, "z" * 100]
    bar = Bar(len(texts), sum(map(len, texts)))
    bar.step(texts, [0])
    assert bar.bar.n == 800 and bar.bar.total == 1000  # 80% done after one text of three
    assert bar.bar.desc == "embedding 1/3 texts"
    bar.step(texts, [1, 2])
    assert bar.bar.n == 1000 and bar.bar.desc == "embedding 3/3 texts"
    bar.close()


def test_a_mistyped_title_or_unknown_id_says_so_with_did_you_mean(ex, cache):
    """Issue 23, finding 7: `related "Gema 2"` gave no "did you mean"; the page took a typo
    ("OcluGausian") or an unknown id ("2503.99999") for free text without a word."""
    from fastapi.testclient import TestClient

    from explorer.search.lookup import near_miss
    from explorer.web.app import create_app

    out = cli(cache, "related", "Gema 2")
    assert out.exit_code == 1
    assert out.output.strip() == (
        "Error: no paper has the title 'Gema 2'; for free text use `explorer search`; did you "
        "mean 'Gemma 2: Improving Open Language Models at a Practical Size' "
        "[gemma-2-improving-open-language-models]?"
    )
    gemni = near_miss(ex.corpus, "Gemni")
    assert gemni is not None and gemni.kind == "title"
    assert {p.title for p in gemni.suggestions} == {GEMINI, GEMINI_15}
    unknown = near_miss(ex.corpus, "2503.99999")
    assert unknown is not None and unknown.kind == "id" and unknown.suggestions == ()
    assert unknown.message == "no paper has the id '2503.99999'"
    for phrase in ("toxic comments in online conversations", "reward models", "language models"):
        assert near_miss(ex.corpus, phrase) is None, phrase  # free text is not a typo
    client = TestClient(create_app(ex), base_url="http://127.0.0.1")
    found = client.get("/api/find", params={"q": "Gema 2"}).json()
    assert found["paper"] is None and found["miss"] == {
        "kind": "title",
        "message": "no paper has the title 'Gema 2'",
        "suggestions": [
            {
                "id": "gemma-2-improving-open-language-models",
                "title": "Gemma 2: Improving Open Language Models at a Practical Size",
            }
        ],
    }
    plain = client.get("/api/find", params={"q": "reward models"}).json()
    assert plain == {"paper": None, "miss": None}


def test_a_free_text_query_on_openvino_imports_neither_torch_nor_transformers(tmp_path):
    """Issue 23, finding 16: `explorer search` spent 5 of its 6 seconds importing transformers
    (and with it torch) for the tokenizer. On the OpenVINO backends a query now reads the
    tokenizer with the `tokenizers` library: a new process answers without either."""
    import os
    import subprocess
    import sys

    from helpers import run_explorer

    cache = tmp_path / "cache"
    built = run_explorer("build", "--no-map", cache=cache)  # the suite's backend: openvino-int8
    assert built.returncode == 0, built.stderr
    code = (
        "import sys\n"
        "from explorer import Explorer\n"
        "ex = Explorer.open('seeds')\n"
        "assert ex.manifest['backend'].startswith('openvino'), ex.manifest['backend']\n"
        "hits = ex.search('toxic comments in online conversations', k=3)\n"
        "print(' | '.join(h.paper.title for h in hits))\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules))\n"
    )
    env = dict(os.environ, EXPLORER_CACHE=str(cache))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    titles, modules = out.stdout.strip().splitlines()
    assert "Civil Rephrases Of Toxic Texts" in titles or "Unhealthy Conversation" in titles
    assert modules == "[]"
