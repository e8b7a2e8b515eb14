"""A researcher's library against a corpus: identity, `related(library=…)`, `new`, the CLI's
`--library`, `new` and `--export`, on the real seed corpus and the real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import LIBRARY, run_explorer  # tests/helpers.py

from explorer import Explorer
from explorer.papers import Corpus, ExplorerError, Paper
from explorer.search.library import match_rows
from explorer.search.ranking import Filters, parse_since

# The seeds' papers on toxicity and online conversations: what a toxicity library should find.
TOXICITY = {
    "toxicity-detection-can-be-sensitive-to",
    "civil-rephrases-of-toxic-texts-with",
    "six-attributes-of-unhealthy-conversation",
    "toxicity-detection-does-context-really-matter",
    "classifying-constructive-comments",
    "nuanced-metrics-for-measuring-unintended-bias",
    "limitations-of-pinned-auc-for-measuring",
    "wikiconv-a-corpus-of-the-complete",
    "conversations-gone-awry-detecting-early-signs",
    "ex-machina-personal-attacks-seen-at",
    "towards-agile-text-classifiers-for-everyone",
}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, embedder) -> Explorer:
    root = tmp_path_factory.mktemp("library") / "cache"
    return Explorer.build(root=root, embedder=embedder, with_map=False)


@pytest.fixture(scope="module")
def library_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lib") / "mylib.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in LIBRARY), "utf-8")
    return path


def paper(id: str, title: str, authors: tuple[str, ...] = (), doi: str | None = None) -> Paper:
    return Paper(id, title, "An abstract.", authors, doi=doi)


def test_a_library_paper_is_the_corpus_paper_with_its_doi_arxiv_id_or_title_and_author():
    corpus = Corpus(
        [
            paper("2309.03824v2", "Sparse Autoencoders Find Interpretable Features", ("H. C",)),
            paper("p2", "Attention Is All You Need", ("Ashish Vaswani",), doi="10.5555/3295222"),
            paper("p3", "A Survey of Large Language Models in Medicine", ("Zhou, Hongjian",)),
            paper("p4", "Deep Residual Learning for Image Recognition", ("Kaiming He",)),
        ]
    )
    library = [
        paper("2309.03824", "another title altogether"),  # the arXiv id, any version
        paper("vaswani17", "x", ("Someone Else",), doi="10.5555/3295222"),  # the DOI
        paper("https://doi.org/10.5555/3295222", "y"),  # the DOI as its id
        paper("k3", "A survey of large language models in medicine!", ("Hongjian Zhou",)),
        paper("k3b", "A Survey of Large Language Models in Medicine", ("Wei Other",)),
        paper("k4", "Deep residual learning for image recognition", ("He, Kaiming",)),
        paper("k5", "Deep Residual Learning for Image Recognition II", ("Kaiming He",)),
    ]
    assert match_rows(corpus, library) == [0, 1, 1, 2, None, 3, None]


def test_since_keeps_papers_dated_on_or_after_it_at_their_precision():
    corpus = Corpus(
        [
            Paper("a", "A", "x", date="2026-05-31"),
            Paper("b", "B", "x", date="2026-06"),
            Paper("c", "C", "x", date="2026"),
            Paper("d", "D", "x", date="2026-06-10"),
            Paper("e", "E", "x"),
            Paper("f", "F", "x", date="2025"),
        ]
    )
    keep = Filters.make(since="2026-06-10").mask(corpus)
    assert [p.id for p, k in zip(corpus, keep, strict=True) if k] == ["b", "c", "d"]
    assert parse_since(" 2026-06 ") == "2026-06-01"
    for bad, said in [("2026-13", "real date"), ("June", "YYYY-MM-DD"), ("2026-02-30", "real")]:
        with pytest.raises(ExplorerError, match=said):
            parse_since(bad)
    with pytest.raises(ExplorerError, match="needs dates"):
        Filters.make(since="2026").mask(Corpus([Paper("a", "A", "x")]))


def test_related_to_a_library_finds_its_field_and_never_returns_its_papers(seeds, library_file):
    lib = seeds.library(library_file)
    assert lib.rows[2] is None and lib.outside == [2]
    assert [seeds.corpus[r].id for r in lib.in_corpus] == [
        "toxicity-detection-does-context-really-matter",
        "ex-machina-personal-attacks-seen-at",
    ]
    hits = seeds.related(library=lib, k=6)
    got = [h.paper.id for h in hits]
    assert not set(got) & {seeds.corpus[r].id for r in lib.in_corpus}
    assert set(got) <= TOXICITY, got
    for h in hits:  # each hit names the library papers closest to it, closest first
        near = h.why["library"]
        assert [n["id"] for n in near] and len(near) == 3
        cos = [n["cosine"] for n in near]
        assert cos == sorted(cos, reverse=True)
        assert {n["id"] for n in near} <= {e["id"] for e in LIBRARY}
    # the same library from its file gives the same ranking (the outside paper was cached)
    again = seeds.related(library=library_file, k=6)
    assert [h.paper.id for h in again] == got


def test_new_is_related_among_papers_since_a_date(seeds, library_file):
    hits = seeds.new(library_file, since="2021-06", k=5)
    assert hits and all(h.paper.date >= "2021-06" for h in hits)
    whole = [h.paper.id for h in seeds.related(library=library_file, k=41)]
    # the dated ranking is the whole ranking with the older papers left out
    assert [h.paper.id for h in hits] == [
        i for i in whole if seeds.corpus.get(i).date >= "2021-06"
    ][:5]
    assert seeds.recent_since() == "2026-05-05"  # a week before the newest seed (2026-05-12)


def test_a_library_that_is_the_corpus_or_missing_is_a_clear_error(seeds, tmp_path):
    with pytest.raises(ExplorerError, match="is the corpus itself"):
        seeds.library(seeds.name)
    with pytest.raises(ExplorerError, match="no-such.bib"):
        seeds.library(tmp_path / "no-such.bib")


def test_a_built_corpus_as_the_library(seeds, library_file, embedder):
    root = seeds.layout.root.parent
    Explorer.build(library_file, name="mylib", root=root, embedder=embedder, with_map=False)
    lib = seeds.library("mylib")
    assert lib.name == "corpus 'mylib'" and lib.outside == [2]
    from_file = seeds.library(library_file)
    np.testing.assert_allclose(lib.vectors, from_file.vectors, atol=1e-5)
    hits = seeds.related(library="mylib", k=6)
    assert [h.paper.id for h in hits] == [h.paper.id for h in seeds.related(library=from_file, k=6)]


def test_cli_related_library_and_new_with_export(seeds, library_file, tmp_path):
    cache = seeds.layout.root.parent
    out_bib = tmp_path / "reading.bib"
    out = run_explorer(
        "related", "--library", str(library_file), "-k", "4", "--export", str(out_bib), cache=cache
    )
    assert out.returncode == 0, out.stderr
    assert "mylib.jsonl: 3 papers, 2 of them in the corpus" in out.stderr
    assert "exported 4 papers to" in out.stderr
    ids = [line.split()[4] for line in out.stdout.splitlines()[1:5]]
    assert set(ids) <= TOXICITY
    assert out.stdout.count("  like: ") == 4
    bib = out_bib.read_text("utf-8")
    assert bib.count("@") == 4 and all(f"{{{i}," in bib for i in ids)

    out = run_explorer(
        "new",
        "--library",
        str(library_file),
        "--since",
        "2021-06",
        "--json",
        "-k",
        "3",
        cache=cache,
    )
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 3 and all(h["year"] >= 2021 for h in hits)
    assert all(len(h["why"]["library"]) == 3 for h in hits)

    for args, said in [
        (
            ["new", "--library", str(library_file), "--since", "2021-13"],
            "since must be a real date",
        ),
        (
            ["related", "--library", str(library_file), "--export", "x.docx"],
            "unknown suffix '.docx'",
        ),
        (["new", "--library", "nothing-here.bib"], "nothing-here.bib"),
    ]:
        out = run_explorer(*args, cache=cache)
        assert out.returncode != 0 and said in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_papers_without_abstracts_are_kept_and_drawn_hollow_on_the_map(tmp_path):
    from tests.fakes import HashEmbedder

    topics = ["graph neural networks", "protein folding", "speech recognition"]
    entries = []
    for i in range(9):
        t = topics[i % 3]
        abstract = "" if i in (4, 7) else f"  abstract = {{We study {t} with new {t} methods.}},\n"
        entries.append(
            f"@article{{key{i},\n  title = {{On {t}, part {i}}},\n  author = {{Doe, Jane}},\n"
            f"  year = {{20{10 + i}}},\n{abstract}}}\n"
        )
    bib = tmp_path / "lab.bib"
    bib.write_text("".join(entries), "utf-8")
    ex = Explorer.build(bib, root=tmp_path / "cache", embedder=HashEmbedder(dim=64))
    bare = {p.id for p in ex.corpus if p.no_abstract}
    assert len(ex.corpus) == 9 and len(bare) == 2
    hollow, filled = set(), set()
    for trace in ex.figure().data:
        symbols = getattr(trace.marker, "symbol", None)
        for j, pid in enumerate(trace.customdata or ()):
            pid = pid[0] if isinstance(pid, (list, tuple)) else pid
            s = symbols[j] if isinstance(symbols, (list, tuple)) else symbols
            (hollow if s == "circle-open" else filled).add(pid)
    assert hollow == bare and not bare & filled
