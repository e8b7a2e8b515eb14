"""One identity per paper: DOIs (short and long, in URLs and Zotero's `extra`), arXiv ids
(versions dropped) and, failing both, title + first author's surname; what merges and what
does not; and `Paper`'s new fields staying out of old corpora and their text hashes."""

from __future__ import annotations

import json
from pathlib import Path

from explorer import ids
from explorer.papers import Paper
from explorer.readers import read_corpus
from explorer.readers.identity import identities, merge_library, same_paper


def lib(pid: str, title: str, authors=("Ada Lovelace",), date="2020", **kw) -> Paper:
    kind = kw.pop("kind", "article")
    extra = tuple(sorted({"library": "bibtex", "type": kind, **kw.pop("extra", {})}.items()))
    entry = (("@format", "bibtex"), ("@type", kind))
    return Paper(pid, title, kw.pop("abstract", ""), tuple(authors), date=date, extra=extra,
                 entry=entry, no_abstract=not kw.get("abstract"), **kw)  # fmt: skip


def test_dois_in_every_form_are_one_key():
    for text in ("10.1038/NATURE123", "https://doi.org/10.1038/nature123", "doi:10.1038/nature123"):
        assert ids.doi(text) == "10.1038/nature123"
    assert ids.doi("https://doi.org/10/FQD6HJ") == "10/fqd6hj"  # a shortDOI stays short
    assert ids.find_doi("DOI: 10.1007/978-1-4419-9326-7") == "10.1007/978-1-4419-9326-7"
    assert ids.find_doi("https://x.org/content/pdf/10.1007%2Fs11307-012-0572-0.pdf") == (
        "10.1007/s11307-012-0572-0"
    )
    assert ids.find_doi("see (doi:10.1234/abc).") == "10.1234/abc"
    assert ids.find_arxiv("http://arxiv.org/abs/1910.07512v2") == "1910.07512"
    assert ids.find_arxiv("arXiv preprint arXiv:hep-th/9901001v1") == "hep-th/9901001"
    assert ids.find_doi("no identifier here") is None and ids.find_arxiv("1910.07512") is None


def test_identities():
    p = lib("10.1234/x", "Deep Learning: A Review!", ("Yann LeCun", "Y. Bengio"), doi="10.1234/x",
            extra={"arxiv": "1234.56789", "short_doi": "10/abc"})  # fmt: skip
    assert identities(p) == {
        "doi:10.1234/x",
        "doi:10/abc",
        "arxiv:1234.56789",
        "title:deep learning a review|lecun",
    }
    short = lib("intro", "Intro", ("Émile Borel",), date="1909")
    assert identities(short) == {"title:intro|borel|1909"}  # a short title needs its year


def test_merging_keeps_the_published_version_and_fills_it():
    title = "Graph Networks for Molecules."
    url = "https://arxiv.org/abs/2001.00001"
    preprint = lib("2001.00001", title, ("A. Ba",), date="2020-01-02", kind="unpublished",
                   abstract="Long abstract " * 5, url=url)  # fmt: skip
    published = lib("ba-2021-graph-networks-for", title.lower()[:-1], ("Ann Ba", "C. Du"),
                    date="2021", venue="ICLR", cite_key="ba2021")  # fmt: skip
    other = Paper("1", "Graph networks for molecules", "a jsonl paper, not a library's", ("A. Ba",))
    papers, merges = merge_library([preprint, other, published])
    assert [p.id for p in papers] == ["2001.00001", "1"]  # the group in its first place
    kept = papers[0]
    assert (kept.venue, kept.date, kept.cite_key, kept.authors) == (
        "ICLR",
        "2021",
        "ba2021",
        ("Ann Ba", "C. Du"),
    )
    assert kept.abstract == preprint.abstract and not kept.no_abstract
    assert dict(kept.extra)["type"] == "article" and kept.url == preprint.url
    assert merges == [{"kept": "2001.00001", "merged": ["2001.00001"], "why": "title"}]
    assert same_paper(kept, preprint) and same_paper(kept, published)


def test_what_does_not_merge():
    a = lib("10.1234/a", "A study of things", doi="10.1234/a")
    b = lib("10.1234/b", "A study of things", doi="10.1234/b")  # two published DOIs
    c = lib("ada-2019-a-study-of-things", "A study of things", date="2019")  # another year
    chapter1 = lib("10.9999/book", "Chapter one of the book", doi="10.9999/book")
    chapter2 = lib("10.9999/book", "Another chapter entirely", doi="10.9999/book")  # the book's DOI
    papers, merges = merge_library([a, b, c, chapter1, chapter2])
    assert merges == [] and len(papers) == 5
    assert [p.id for p in papers][3:] == ["10.9999/book", "lovelace-2020-another-chapter-entirely"]
    d = lib("ada-2019-a-study-of-things", "A Study of Things", date="2019")
    assert merge_library([c, d])[1] == [
        {
            "kept": "lovelace-2019-a-study-of-things",
            "merged": ["ada-2019-a-study-of-things"],
            "why": "title",
        }  # fmt: skip  (a merged paper's id is made again from its fields)
    ]


def test_a_short_doi_meets_its_long_form_across_files(tmp_path: Path):
    csl = tmp_path / "short.json"
    csl.write_text(
        json.dumps(
            [
                {
                    "type": "article-journal",
                    "title": "Perceptions of disability",
                    "DOI": "10/fqd6hj",
                    "URL": "https://doi.org/10.1177/0193723504268729",
                    "author": [{"family": "Brittain", "given": "Ian"}],
                }
            ]
        ),
        encoding="utf-8",
    )
    bib = tmp_path / "long.bib"
    bib.write_text(
        "@article{b, title={Perceptions of Disability}, author={Ian Brittain},\n"
        "  doi={https://doi.org/10.1177/0193723504268729}, abstract={Sport and disability.}}\n",
        encoding="utf-8",
    )
    corpus = read_corpus([csl, bib])
    assert len(corpus) == 1 and corpus.stats.merges[0]["why"] == "doi"
    p = corpus[0]
    assert (p.id, p.abstract, dict(p.extra)["short_doi"]) == (
        "10.1177/0193723504268729",
        "Sport and disability.",
        "10/fqd6hj",
    )


def test_new_fields_stay_out_of_old_corpora_and_text_hashes():
    old = dict(id="x", title="T", abstract="A", authors=["B"], et_al=False, affiliations=[])
    old |= dict(categories=[], date=None, has_code=False, extra={})
    p = Paper.from_dict(old)
    assert p.to_dict() == old  # an old corpus's line reads and writes back the same
    rich = Paper("x", "T", "A", ("B",), venue="V", keywords=("k",), doi="10.1234/x", cite_key="c",
                 entry=(("@format", "bibtex"), ("@type", "article"), ("note", "n")))  # fmt: skip
    assert rich.text == p.text and rich.text_hash == p.text_hash  # the vector cache's key
    assert Paper.from_dict(json.loads(json.dumps(rich.to_dict()))) == rich
    assert Paper.from_dict(rich.to_dict()).entry == rich.entry
    bare = Paper("y", "Title", "", keywords=("a", "b"), no_abstract=True)
    assert bare.text == "Title. a, b" and Paper("z", "Title", "", no_abstract=True).text == "Title"
