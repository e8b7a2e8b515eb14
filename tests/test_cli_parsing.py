"""The command line's parsing and its one-line errors, in-process on a hash-embedded corpus.

What the model finds is tested through the real command in real processes (test_cli.py,
test_cli_ranking.py); here every option's parsing and every user mistake is checked without
starting a process or loading MiniLM, on the seed papers embedded by `HashEmbedder`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import HashEmbedder  # tests/fakes.py

from explorer import Explorer
from explorer.cli import main

GEMMA2 = "Gemma 2: Improving Open Language Models at a Practical Size"


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """The seed corpus built with the hash embedder: no model loaded, no map laid out."""
    root = tmp_path_factory.mktemp("cli-parse") / "cache"
    Explorer.build(root=root, embedder=HashEmbedder(), with_map=False)
    return root


@pytest.fixture
def cli(cache, monkeypatch):
    """Run `explorer ARGS` in-process on `cache`; a free-text query gets the hash embedder."""
    monkeypatch.setattr("explorer.parts.Embedder", lambda *a, **k: HashEmbedder())
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None):
        return runner.invoke(main, list(args), env={"EXPLORER_CACHE": str(cache)}, input=stdin)

    return run


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["related", "no such paper at all xyz"],
            "Error: no paper has the id or title 'no such paper at all xyz'; "
            "for free text use `explorer search`",
        ),
        (["related", "Gemma 2", "-k", "0"], "Error: k must be a positive integer, got 0"),
        (["search", "   "], "Error: empty query: give a phrase or an abstract to search for"),
        (["related", "Gemma", "--corpus", "nope"], "Error: corpus 'nope' is not built in"),
        (["build", "missing.jsonl"], "missing.jsonl"),
        (["build", "--column", "abstract"], "Error: --column takes FIELD=COLUMN, got 'abstract'"),
        (
            ["related", "Gemma 2", "--year", "recent"],
            "Error: year range must look like 2020-2024, 2020-, -2024 or 2024, got 'recent'",
        ),
        (["related"], "Error: give at least one paper (id or title), --text or --library"),
        (
            ["related", "Gemma 2", "--not", "Gemma 2"],
            "Error: a paper cannot be both a positive and a negative example",
        ),
        (["search", "x", "--ids", "nope"], "Error: unknown paper ids in the id filter: nope"),
        (["search", "x", "--ids", "@no-such-file"], "Error: cannot read ids from no-such-file"),
        (["eval"], "Error: give either a judgements file or a label to evaluate against"),
        (["eval", "--label", "colour"], "Error: no paper has the label 'colour'"),
        (["eval", "missing.csv"], "Error: judgements file missing.csv does not exist"),
        (["map", "-k", "-3"], "Error: k must be a positive integer, got -3"),
        (
            ["related", "Gemma 2", "--sentences", "0"],
            "Error: --sentences takes sentence numbers such as 3,4 or 3-5, got '0'",
        ),
        (
            ["related", "Gemma 2", "--sentences", "1-999999999"],
            "Error: --sentences takes sentence numbers such as 3,4 or 3-5, got '1-999999999'",
        ),
        (
            ["related", "Gemma 2", "--sentences", "2,9"],
            "Error: sentence 9 out of range: gemma-2-improving-open-language-models has 5 "
            "abstract sentences, numbered 1 to 5",
        ),
        (
            ["related", "Gemma 2", "GLaM", "--sentences", "1"],
            "Error: sentences are picked from one example paper; got 2 papers",
        ),
        (["sentences", "no such paper xyz"], "Error: no paper has the id or title"),
    ],
)
def test_user_mistakes_get_one_line_errors(cli, args, message):
    out = cli(*args)
    assert out.exit_code == 1, out.output
    assert message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert out.stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["map", "--color-by", "mood"], "Invalid value for '--color-by'"),
        (["related", "Gemma 2", "--mode", "fuzzy"], "Invalid value for '--mode'"),
        (["related", "Gemma 2", "--diverse", "2"], "Invalid value for '--diverse'"),
        (["build", "x", "--format", "xml"], "Invalid value for '--format'"),
        (["related", "Gemma 2", "-k", "ten"], "Invalid value for '-k'"),
        (["related", "Gemma 2", "GLaM", "--combine", "sum"], "Invalid value for '--combine'"),
        (["map", "--min-cluster-size", "1"], "must be at least 2 (or 'auto'), got 1"),
        (["topics", "--min-cluster-size", "big"], "'big' is neither a number nor 'auto'"),
    ],
)
def test_choices_and_types_are_checked_by_the_parser(cli, args, message):
    out = cli(*args)
    assert out.exit_code == 2 and message in out.stderr, out.stderr


def test_the_choices_shown_are_the_declared_ones(cli):
    from explorer.maps.figure import COLOR_BY
    from explorer.readers import FORMATS
    from explorer.search.query import MODES

    assert f"[{'|'.join(COLOR_BY)}]" in cli("map", "--help").stdout
    assert f"[{'|'.join(MODES)}]" in cli("related", "--help").stdout
    assert all(name in cli("build", "--help").stdout for name in FORMATS)


def hits(out) -> list[dict]:
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)


def test_filters_are_parsed_and_applied(cli, cache):
    ex = Explorer.open(root=cache)
    years = {p.id: p.year for p in ex.corpus}
    cats = {p.id: p.categories for p in ex.corpus}
    got = hits(cli("related", GEMMA2, "--year", "2025-", "-k", "50", "--json"))
    assert got and all(years[h["id"]] >= 2025 for h in got)
    assert len(got) == sum(1 for y in years.values() if y and y >= 2025)
    got = hits(cli("related", GEMMA2, "--year", "-2023", "--json"))
    assert all(years[h["id"]] <= 2023 for h in got)
    got = hits(cli("search", "toxic comments", "--category", "cs.HC", "-k", "50", "--json"))
    assert got and all("cs.HC" in cats[h["id"]] for h in got)
    assert len(got) == sum(1 for c in cats.values() if "cs.HC" in c)


def test_id_filters_from_a_list_and_a_file(cli, cache, tmp_path):
    ex = Explorer.open(root=cache)
    some = [p.id for p in ex.corpus][5:9]
    got = hits(cli("search", "language models", "--ids", ",".join(some[:2]), "--json"))
    assert sorted(h["id"] for h in got) == sorted(some[:2])
    f = tmp_path / "ids.txt"
    f.write_text("\n".join(some) + "\n\n", encoding="utf-8")
    got = hits(cli("search", "language models", "--ids", f"@{f}", "--json"))
    assert sorted(h["id"] for h in got) == sorted(some)


def test_json_output_is_every_hit_with_its_fields(cli):
    got = hits(cli("related", GEMMA2, "-k", "100", "--json"))
    assert len(got) == 40  # every other paper, however large k is
    assert [h["rank"] for h in got] == list(range(1, 41))
    assert {"id", "title", "score", "rank"} <= set(got[0])
    out = cli("related", GEMMA2, "-k", "100", "--json")
    assert "note: asked for 100, but there are only 40 other papers in the corpus" in out.stderr


def test_sentences_are_numbered_and_picked(cli):
    out = cli("sentences", "Gemma 2")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 5 and lines[2].startswith("  3  We also train the 2B and 9B models")
    out = cli("related", "Gemma 2", "--sentences", "3-4", "-k", "3", "--json")
    assert out.exit_code == 0, out.stderr
    assert len(json.loads(out.stdout)) == 3


def test_stdin_as_the_query(cli):
    a = hits(cli("search", "-", "--json", stdin="toxicity of online comments\n"))
    b = hits(cli("search", "toxicity of online comments", "--json"))
    assert a == b and a


def test_the_table_names_the_match(cli):
    out = cli("related", "Gemma 2", "-k", "3")
    assert out.exit_code == 0, out.stderr
    assert "matched short title" in out.stderr or "matched" in out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:5] == ["#", "cos", "score", "year", "id"]
    assert len(lines) == 4
