"""The real `explorer` command, run as a subprocess on the real seed corpus."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from helpers import run_explorer  # tests/helpers.py

GEMMA2 = "Gemma 2: Improving Open Language Models at a Practical Size"
GEMMA = "Gemma: Open Models Based on Gemini Research and Technology"


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


explorer = run_explorer


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A cache with the seed corpus built once by the real command."""
    cache = tmp_path_factory.mktemp("cli") / "cache"
    out = explorer("build", cache=cache)
    assert out.returncode == 0, out.stderr
    assert "seeds: 41 papers; embedded 41, reused 0 cached" in out.stderr
    assert out.stdout.strip() == str(cache / "seeds" / "map.html")
    assert (cache / "seeds" / "map.html").stat().st_mode & 0o777 == 0o666 & ~current_umask()
    return cache


def test_second_build_embeds_nothing(built):
    out = explorer("build", cache=built)
    assert out.returncode == 0, out.stderr
    assert "seeds: 41 papers; already up to date" in out.stderr
    assert "peak" not in out.stderr  # 41 papers: no stage lines unless asked
    out = explorer("build", "--progress", cache=built)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^  read 41 papers: \d+\.\ds \(peak \d+\.\d GB\)$", out.stderr, re.M)
    assert not re.search(r"^  (embed|index|lexical|project|map)", out.stderr, re.M)  # all reused


def test_related_by_title_prefix_as_json(built):
    out = explorer("related", "Gemma 2", "-k", "3", "--json", cache=built)
    assert out.returncode == 0, out.stderr
    assert f"matched short title: {GEMMA2} [gemma-2-improving-open-language-models]" in out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 3
    assert {"id", "title", "score", "rank"} <= set(hits[0])
    assert hits[0]["title"] == GEMMA
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert all(h["title"] != GEMMA2 for h in hits)


def test_related_table_is_readable(built):
    out = explorer(
        "related", "toxicity-detection-does-context-really-matter", "-k", "2", cache=built
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["#", "cos", "score", "year", "id", "title"]
    assert "Toxicity Detection can be Sensitive to the Conversational Context" in lines[1]
    assert len(lines) == 3


def test_search_free_text_and_stdin(built):
    out = explorer(
        "search", "toxic comments in online conversations", "-k", "5", "--json", cache=built
    )
    assert out.returncode == 0, out.stderr
    titles = [h["title"] for h in json.loads(out.stdout)]
    assert any("Toxic" in t for t in titles[:3]), titles
    out = explorer(
        "search", "-", "--json", "-k", "1", cache=built, stdin="mixture of experts scaling"
    )
    assert json.loads(out.stdout)[0]["title"].startswith("GLaM")


# Every mistake's message is checked in-process (test_cli_parsing.py); these two check that the
# real process says it in one line, with no traceback, for a lookup and for a file.
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["related", "no such paper at all xyz"],
            "Error: no paper has the id or title 'no such paper at all xyz'; "
            "for free text use `explorer search`",
        ),
        (["build", "missing.jsonl"], "missing.jsonl"),
    ],
)
def test_user_mistakes_get_one_line_errors(built, args, message):
    out = explorer(*args, cache=built)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_k_larger_than_the_corpus_returns_every_other_paper(built):
    out = explorer("related", "Gemma 2", "-k", "100", "--json", cache=built)
    assert out.returncode == 0
    assert len(json.loads(out.stdout)) == 40
    assert "note: asked for 100, but there are only 40 other papers in the corpus" in out.stderr


def test_topics_list_labels_sizes_and_central_papers(built):
    from explorer import Explorer

    out = explorer("topics", "--json", cache=built)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    land = Explorer.open("seeds", root=built).landscape()
    assert [t["size"] for t in found] == [int((land.clusters == t["id"]).sum()) for t in found]
    assert [t["size"] for t in found] == sorted((t["size"] for t in found), reverse=True)
    assert all(t["label"] and 1 <= len(t["papers"]) <= 3 for t in found)
    # The toxicity papers form one topic, and the command shows them as its centre.
    tox = [t for t in found if any("Toxic" in p["title"] for p in t["papers"])]
    assert len(tox) == 1


def test_map_with_highlight_writes_a_self_contained_page(built, tmp_path):
    out = explorer(
        "map", "--highlight", "Gemma 2", "-k", "3", "--out", str(tmp_path / "m.html"), cache=built
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "m.html")
    page = (tmp_path / "m.html").read_text("utf-8")
    assert "Gemma: Open Models Based on Gemini Research and Technology" in page
    # plotly.js is inline (its own source mentions URLs, but the page links none).
    assert re.search(r"<script[^>]+src=", page) is None
    assert re.search(r"<link[^>]+href=[\"']?https?:", page) is None
    assert "Plotly.newPlot" in page
    # The saved layout was reused, not recomputed, and no one-off view was made.
    assert not (built / "seeds" / "views").exists()


def test_map_options_are_checked(built):
    out = explorer("map", "--min-cluster-size", "1", cache=built)
    assert out.returncode == 2
    assert "Invalid value for '--min-cluster-size': must be at least 2 (or 'auto'), got 1" in (
        out.stderr
    )
