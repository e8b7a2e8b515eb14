"""The details a user trips on: paper look-up by any form of its id, ambiguous and mistyped
titles, filters on data the corpus lacks, colourings it cannot draw, links in the output."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import HashEmbedder  # tests/fakes.py

from explorer import Explorer, ExplorerError, ids
from explorer.cli import main
from explorer.maps import figure
from explorer.papers import Corpus, Hit, Paper
from explorer.search.lookup import find_paper
from explorer.search.ranking import Filters

ABSTRACT = "We study a problem of some interest and report what we found in experiments."


def paper(pid: str, title: str, **kw) -> Paper:
    return Paper(pid, title, f"{title}. {ABSTRACT}", **kw)


@pytest.fixture(scope="module")
def arxiv() -> Corpus:
    return Corpus(
        [
            paper("2309.03824", "Toxicity of Chat Models", date="2023-09-07"),
            paper("hep-th/9901001", "An Old Style Identifier", date="1999-01-04"),
            paper("10.1145/3580305.3599256", "A Paper Known by Its DOI", date="2023-08-01"),
            paper("diffusion-a", "Diffusion Models Beat GANs"),
            paper("diffusion-b", "Diffusion Policies for Robots"),
            paper("diffusion-c", "Diffusion in Graphs"),
        ]
    )


@pytest.mark.parametrize(
    "query, want",
    [
        ("2309.03824", "2309.03824"),
        ("2309.03824v2", "2309.03824"),
        ("arXiv:2309.03824", "2309.03824"),
        ("arxiv: 2309.03824v1", "2309.03824"),
        ("https://arxiv.org/abs/2309.03824", "2309.03824"),
        ("https://arxiv.org/abs/2309.03824v3", "2309.03824"),
        ("http://arxiv.org/pdf/2309.03824v1.pdf", "2309.03824"),
        ("arxiv.org/pdf/2309.03824", "2309.03824"),
        ("https://www.arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
        ("10.1145/3580305.3599256", "10.1145/3580305.3599256"),
        ("https://doi.org/10.1145/3580305.3599256", "10.1145/3580305.3599256"),
        ("doi:10.1145/3580305.3599256", "10.1145/3580305.3599256"),
        ("https://dx.doi.org/10.1145/3580305.3599256", "10.1145/3580305.3599256"),
    ],
)
def test_any_form_of_an_id_finds_the_paper(arxiv, query, want):
    m = find_paper(arxiv, query)
    assert (m.how, m.paper.id) == ("id", want)


def test_a_corpus_that_stores_versioned_ids_is_found_by_the_bare_one():
    c = Corpus([paper("2309.03824v2", "Versioned"), paper("x", "Other Paper Here")])
    assert find_paper(c, "arXiv:2309.03824").paper.id == "2309.03824v2"
    assert find_paper(c, "https://arxiv.org/abs/2309.03824v1").paper.id == "2309.03824v2"


def test_ids_key_and_url():
    assert ids.key(" arXiv:2309.03824v2 ") == "2309.03824"
    assert ids.key("DOI:10.1145/ABC") == "10.1145/abc"
    assert ids.key("gemma-2-improving-open-language-models") == (
        "gemma-2-improving-open-language-models"
    )
    assert ids.url("2309.03824v2") == "https://arxiv.org/abs/2309.03824"
    assert ids.url("10.1145/3580305.3599256") == "https://doi.org/10.1145/3580305.3599256"
    assert ids.url("my-slug") is None
    assert ids.arxiv_id("1234") is None and ids.doi("10.12/x y") is None


def test_a_title_prefix_of_several_papers_is_an_error_listing_them(arxiv):
    with pytest.raises(ExplorerError) as e:
        find_paper(arxiv, "diffusion")
    msg = str(e.value)
    assert msg.startswith(
        "'diffusion' matches 3 titles: 'Diffusion Models Beat GANs' [diffusion-a]"
    )
    assert "'Diffusion in Graphs' [diffusion-c]" in msg and msg.endswith("or an id")
    assert "\n" not in msg
    assert find_paper(arxiv, "Diffusion Policies").paper.id == "diffusion-b"


def test_a_typo_is_forgiven_and_a_miss_says_did_you_mean(arxiv):
    m = find_paper(arxiv, "Toxicty of Chat Models")
    assert (m.how, m.paper.id) == ("closest title", "2309.03824")
    with pytest.raises(ExplorerError) as e:
        find_paper(arxiv, "diffusion models for graphs and robots")
    msg = str(e.value)
    assert msg.startswith("no paper has the id or title 'diffusion models for graphs and robots'")
    assert "; did you mean " in msg and "[diffusion-" in msg
    with pytest.raises(ExplorerError, match=r"search`$"):  # nothing close: no suggestion
        find_paper(arxiv, "qqqq zzzz")


def test_seed_titles_that_share_a_prefix(seed_corpus):
    with pytest.raises(ExplorerError, match=r"^'Toxicity' matches 2 titles: 'Toxicity Detection"):
        find_paper(seed_corpus, "Toxicity")
    # the part before a colon names one paper: "Gemini" is Gemini 1.0, and says what else matched
    m = find_paper(seed_corpus, "Gemini")
    assert m.how == "short title" and m.paper.title.startswith("Gemini: A Family")
    assert any(p.title.startswith("Gemini 1.5") for p in m.others)


def undated() -> Corpus:
    return Corpus([paper(f"p{i}", f"Paper number {i} about topic {i % 3}") for i in range(12)])


def test_filters_on_fields_the_corpus_lacks_are_errors():
    c = undated()
    with pytest.raises(ExplorerError, match="year filter needs dates, and no paper of this"):
        Filters.make(years="2024-2025").mask(c)
    with pytest.raises(ExplorerError, match="author filter needs authors"):
        Filters.make(author="smith").mask(c)
    with pytest.raises(ExplorerError, match="category filter needs categories"):
        Filters.make(categories="cs.CL").mask(c)


def test_an_unknown_category_names_the_closest(seed_corpus):
    with pytest.raises(ExplorerError) as e:
        Filters.make(categories=["cs.CL", "cs.XX"]).mask(seed_corpus)
    assert str(e.value).startswith("no paper has the category 'cs.XX'; closest: cs.")
    assert "(this corpus has" in str(e.value)
    ok = Filters.make(categories=["cs", "stat.ML"]).mask(seed_corpus)  # a prefix is known
    assert ok.sum() == len(seed_corpus)


def test_the_api_raises_where_it_returned_nothing(tmp_path):
    f = tmp_path / "undated.jsonl"
    f.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in undated()), encoding="utf-8")
    ex = Explorer.build(f, root=tmp_path / "cache", embedder=HashEmbedder(), with_map=False)
    with pytest.raises(ExplorerError, match="year filter needs dates"):
        ex.search("topic", years=(2023, 2025))
    with pytest.raises(ExplorerError, match="author filter needs authors"):
        ex.related("p1", author="smith")
    out = CliRunner().invoke(
        main,
        ["search", "topic", "--year", "2024-", "--corpus", "undated"],
        env={"EXPLORER_CACHE": str(tmp_path / "cache")},
    )
    assert out.exit_code == 1
    assert out.stderr.strip() == (
        "Error: the year filter needs dates, and no paper of this corpus has a date or year"
    )


def test_colouring_by_a_field_no_paper_has_is_an_error():
    c = undated()
    xy, labels = np.zeros((len(c), 2)), np.zeros(len(c), dtype=int)
    with pytest.raises(ExplorerError, match="cannot colour by year: no paper of this corpus"):
        figure.map_figure(xy, c, labels, {0: "t"}, color_by="year")
    with pytest.raises(ExplorerError, match="cannot colour by category: no paper"):
        figure.map_figure(xy, c, labels, {0: "t"}, color_by="category")
    figure.map_figure(xy, c, labels, {0: "t"}, color_by="cluster")  # always possible


def test_hits_carry_a_link_and_the_abstract(arxiv):
    d = Hit(arxiv.get("2309.03824"), 0.5, 1, cosine=0.5).to_dict()
    assert d["url"] == "https://arxiv.org/abs/2309.03824"
    assert d["abstract"].startswith("Toxicity of Chat Models. We study")
    assert Hit(arxiv.get("diffusion-a"), 0.5, 1).to_dict()["url"] is None
