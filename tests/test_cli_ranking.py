"""The real `explorer related / search / eval` commands with modes, filters and explanations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import explorer

GEMMA2 = "Gemma 2: Improving Open Language Models at a Practical Size"
TOX_A = "Toxicity Detection: Does Context Really Matter?"
TOX_B = "Toxicity Detection can be Sensitive to the Conversational Context"
CONSTRUCTIVE = "Classifying Constructive Comments"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("cli-rank") / "cache"
    out = explorer("build", cache=cache)
    assert out.returncode == 0, out.stderr
    return cache


def test_several_examples_a_negative_and_explanations_as_json(built):
    out = explorer(
        "related",
        "Gemma 2",
        TOX_A,
        "--not",
        CONSTRUCTIVE,
        "-k",
        "5",
        "--explain",
        "--json",
        cache=built,
    )
    assert out.returncode == 0, out.stderr
    assert f"not: matched title: {CONSTRUCTIVE}" in out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 5
    titles = [h["title"] for h in hits]
    assert not {GEMMA2, TOX_A, CONSTRUCTIVE} & set(titles)
    for h in hits:
        why = h["why"]
        assert why["example"]["title"] in (GEMMA2, TOX_A)
        assert why["shared_terms"] and {"term", "weight"} <= set(why["shared_terms"][0])
        assert {"a", "b", "similarity"} <= set(why["sentences"])
    tox = next(h for h in hits if h["title"] == TOX_B)
    assert "toxicity" in [t["term"] for t in tox["why"]["shared_terms"]]


def test_explain_in_the_table(built):
    out = explorer("related", TOX_A, "-k", "2", "--explain", cache=built)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert f"like: {TOX_A} (cosine" in text
    assert "shared terms: " in text and "toxicity" in text
    assert "closest sentences (" in text and text.count("« ") == 4


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid", "sentences"])
def test_filters_return_k_from_those_that_pass(built, mode):
    out = explorer(
        "related",
        "Gemma 2",
        "--category",
        "cs.HC",
        "--category",
        "stat",
        "--mode",
        mode,
        "-k",
        "3",
        "--json",
        cache=built,
    )
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 3
    assert all("cs.HC" in h["categories"] or "stat.ML" in h["categories"] for h in hits)


def test_fewer_papers_pass_than_asked_for(built):
    out = explorer("search", "language models", "--year", "2016", "-k", "5", "--json", cache=built)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) == 2
    assert "note: asked for 5, but there are only 2 papers that pass the filters" in out.stderr


def test_author_and_id_filters_and_diversity(built, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("gemma-open-models-based-on-gemini\nglam-efficient-scaling-of-language-models\n")
    out = explorer("search", "open language models", "--ids", f"@{ids}", "--json", cache=built)
    assert sorted(h["id"] for h in json.loads(out.stdout)) == sorted(ids.read_text().split())
    out = explorer(
        "related", "GLaM", "--author", "GEMMA team", "--diverse", "0.5", "--json", cache=built
    )
    assert out.returncode == 0, out.stderr
    assert {h["title"].split(":")[0] for h in json.loads(out.stdout)} == {"Gemma", "Gemma 2"}


def test_free_text_examples_in_related(built):
    out = explorer(
        "related",
        "--text",
        "toxic comments online",
        "--not-text",
        "language model scaling",
        "-k",
        "3",
        "--json",
        cache=built,
    )
    assert out.returncode == 0, out.stderr
    assert all("Gemma" not in h["title"] for h in json.loads(out.stdout))


def test_eval_prints_the_per_mode_table_and_json(built, tmp_path):
    out = explorer("eval", "--label", "category", "-k", "5", "--no-clusters", cache=built)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["mode", "R@5", "P@5", "nDCG@5", "MRR", "MAP@100"]
    assert [line.split()[0] for line in lines[1:]] == [
        "dense",
        "lexical",
        "hybrid",
        "sentences",
        "dense+mmr0.7",
        "lexical+mmr0.7",
        "hybrid+mmr0.7",
        "sentences+mmr0.7",
    ]
    assert "seeds: 38 queries, relevant = same category" in out.stderr
    j = tmp_path / "j.tsv"
    j.write_text(
        "gemma-2-improving-open-language-models\tgemma-open-models-based-on-gemini\t1\nx\ty\t1\n"
    )
    out = explorer("eval", str(j), "--json", "-k", "1", cache=built)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert (
        report["queries"] == 1
        and report["rows"][0]["mode"] == "dense"
        and report["rows"][0]["mrr"] == 1.0
    )
    assert "note: 1 judgements name papers not in the corpus; skipped" in out.stderr


# The other mistakes are checked in-process (test_cli_parsing.py).
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["related", "Gemma 2", "--year", "recent"],
            "Error: year range must look like 2020-2024, 2020-, -2024 or 2024, got 'recent'",
        ),
    ],
)
def test_mistakes_get_one_line_errors(built, args, message):
    out = explorer(*args, cache=built)
    assert out.returncode == 1
    assert message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
