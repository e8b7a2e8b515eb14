"""Every real reference-manager export in ../shared/data/libraries, read: its counts (entries,
papers kept, kept without an abstract, merged as duplicates, skipped) and exact fields of
chosen entries. The files and their quirks are listed in that folder's README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED_DATA, require

from explorer.papers import Paper
from explorer.readers import read_corpus

LIBRARIES = SHARED_DATA / "libraries"

# file: (entries, kept, kept without abstract, merged into another, skipped)
COUNTS = {
    "bibtex/mendeley_humanities_512.bib": (512, 508, 198, 4, 0),
    "bibtex/jabref51_crossref_accents_20.bib": (20, 20, 1, 0, 0),
    "bibtex/bbt_biblatex_arxiv_preprint_pairs_12.biblatex": (12, 6, 0, 6, 0),
    "bibtex/biblatex-examples_strings_crossref.bib": (92, 87, 81, 3, 2),
    "bibtex/extra/oldstyle_parens_ai_bibliography_988.bib": (988, 977, 963, 10, 1),
    "ris/zotero_export_100.ris": (100, 100, 2, 0, 0),
    "ris/lens_export_bom_crlf_100.ris": (100, 100, 2, 0, 0),
    "ris/rayyan_export_untagged_continuations_19.ris": (19, 19, 11, 0, 0),
    "csl-json/manubot_deep-review_615.json": (615, 610, 397, 4, 1),
    "csl-json/bbt_better-csl_shortdoi_26.json": (26, 26, 26, 0, 0),
    "zotero/bbt_json_chem_ml_51.json": (51, 51, 18, 0, 0),
    "zotero/bbt_json_bulk_humanities_1241.json": (1241, 1240, 930, 1, 0),
    "zotero/zotero7_rdf_joss_5.rdf": (5, 5, 0, 0, 0),
    "endnote-xml/endnote19_singleline_5.xml": (5, 5, 2, 0, 0),
    "endnote-xml/endnote15_pretty_label_multititle.xml": (3, 3, 3, 0, 0),
    "endnote-xml/bookends_endnotexml_1.xml": (1, 1, 0, 0, 0),
}


def library(name: str):
    return read_corpus(require(LIBRARIES / name))


def by_key(corpus, key: str) -> Paper:
    found = [p for p in corpus if p.cite_key == key]
    assert len(found) == 1, (key, [p.id for p in found])
    return found[0]


def test_every_file_in_the_folder_is_counted_here():
    require(LIBRARIES)
    files = {
        str(p.relative_to(LIBRARIES))
        for p in LIBRARIES.rglob("*")
        if p.is_file() and "LICENSES" not in p.parts and p.name != "README.md"
    }
    assert files == set(COUNTS)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts(name):
    corpus = library(name)
    s = corpus.stats
    without = sum(p.no_abstract for p in corpus)
    got = (s.rows, len(corpus), without, s.merged_entries, s.skipped_entries)
    assert got == COUNTS[name]
    assert s.rows == len(corpus) + s.merged_entries + s.skipped_entries  # none lost uncounted
    assert len(s.skipped_keys) == min(s.skipped_entries, 5)
    for p in corpus:  # what no abstract means, and what is embedded then
        assert p.no_abstract == (p.abstract == "")
        if p.no_abstract:
            words = ", ".join(p.keywords)
            assert p.text == (f"{p.title}. {words}" if words else p.title)
        assert dict(p.entry)["@format"] == dict(p.extra)["library"]


def test_mendeley_empty_and_repeated_keys_and_exact_duplicates():
    corpus = library("bibtex/mendeley_humanities_512.bib")
    assert sum(1 for p in corpus if p.cite_key is None) == 37  # `@article{,`: kept, keyless
    assert corpus.stats.merges[:2] == [
        {"kept": "10.1111/japp.12230", "merged": ["Milazzo2017", "Milazzo2017"], "why": "doi"},
        {"kept": "woolf-1939-reviewing", "merged": ["Woolf1939"], "why": "title"},
    ]
    p = by_key(corpus, "Black2020")
    assert (p.id, p.doi, p.date, p.venue) == (
        "10.1037/ppm0000281",
        "10.1037/ppm0000281",
        "2020",
        "Psychology of Popular Media",
    )
    assert p.authors == ("Jessica E Black", "Jennifer L Barnes")


def test_jabref_crossref_defined_after_and_latex_accents():
    corpus = library("bibtex/jabref51_crossref_accents_20.bib")
    p = by_key(corpus, "Bogadottir2012")
    assert p.id == "bogadottir-2012-fleece-imperial-metabolism-in-the-precolumbian"
    assert p.authors == ("Ragnheiður Bogadóttir",)
    assert p.title == "Fleece: Imperial metabolism in the preColumbian Andes"
    assert p.venue.startswith("Ecology and Power: Struggles over Land")  # the crossref's title
    assert p.keywords[:3] == ("metabolic rift", "ecological economics", "political ecology")
    assert dict(p.extra)["type"] == "incollection" and p.doi is None


def test_biblatex_examples_strings_concatenation_eprints_and_sets():
    corpus = library("bibtex/biblatex-examples_strings_crossref.bib")
    assert corpus.stats.skipped_keys[0].endswith(":26: set (a set of entries, not a paper)")
    nietzsche = by_key(corpus, "nietzsche:ksa")
    assert (
        dict(nietzsche.entry)["publisher"] == "Deutscher Taschenbuch-Verlag and Walter de Gruyter"
    )
    assert nietzsche.title == "Sämtliche Werke"
    baez = by_key(corpus, "baez/article")  # eprint math/0307200v3: the id, version dropped
    assert (baez.id, baez.date, baez.authors) == (
        "math/0307200",
        "2004",
        ("John C. Baez", "Aaron D. Lauda"),
    )
    assert corpus.stats.merges[0] == {
        "kept": "math/0307200",
        "merged": ["baez/online"],
        "why": "arxiv",
    }
    salam = by_key(corpus, "salam")
    assert salam.venue == "Elementary particle theory"  # booktitle, from its crossref


def test_old_parenthesised_entries_macros_and_dangling_crossrefs():
    corpus = library("bibtex/extra/oldstyle_parens_ai_bibliography_988.bib")
    p = by_key(corpus, "deKleer:77")  # @article( … ), month = aug
    assert (p.title, p.date, p.venue) == (
        "AMORD: Explicit control of reasoning",
        "1977-08",
        "Sigplan Notices",
    )
    # An undefined macro stays as its name: `MCDERMOTT # { and Gerald J. Sussman}`
    assert by_key(corpus, "McDermott:72").authors == ("MCDERMOTT", "Gerald J. Sussman")
    assert corpus.stats.skipped_keys == [
        f"{LIBRARIES}/bibtex/extra/oldstyle_parens_ai_bibliography_988.bib:9953: "
        "NguyenETAL:DiversityAIJ (no title)"
    ]


def test_preprint_pairs_merge_into_the_published_version():
    corpus = library("bibtex/bbt_biblatex_arxiv_preprint_pairs_12.biblatex")
    assert [m["why"] for m in corpus.stats.merges] == ["title"] * 6
    he = corpus.get("1502.01852")  # the published paper, taking its preprint's arXiv id
    assert he.cite_key == "he_delving_deep_2015" and dict(he.extra)["type"] == "inproceedings"
    assert he.venue == "Proceedings of the IEEE International Conference on Computer Vision"
    assert corpus.stats.merges[0] == {
        "kept": "1502.01852",
        "merged": ["_preprinthe_delving_deep_into_rectifiers_2015"],
        "why": "title",
    }


def test_ris_bom_crlf_continuations_and_keywords():
    lens = library("ris/lens_export_bom_crlf_100.ris")
    first = lens[0]  # the BOM before record 1 does not hide it
    assert (first.id, first.cite_key, first.date, first.venue) == (
        "10.1007/s11307-012-0572-0",
        "000-463-679-101-319",
        "2012-07-03",
        "Molecular imaging and biology",
    )
    assert first.authors[:2] == ("Björn A. Blomberg", "Mateen Moghbel")
    rayyan = library("ris/rayyan_export_untagged_continuations_19.ris")
    p = rayyan[0]  # KW continued over untagged lines: one keyword a line
    assert p.keywords[:4] == (
        "Health Facility Administration",
        "Joint Commission",
        "Standards",
        "Medication Errors",
    )
    assert (p.id, p.no_abstract, p.text) == (
        "2011-overcoming-medication-reconciliation-challenges",
        True,
        "Overcoming Medication Reconciliation Challenges. " + ", ".join(p.keywords),
    )
    zotero = library("ris/zotero_export_100.ris")
    assert zotero[0].date == "2021-02-01"  # DA 2021/02/01/
    assert zotero[0].authors[0] == "Rens van de Schoot"


def test_csl_arxiv_reports_and_short_dois():
    manubot = library("csl-json/manubot_deep-review_615.json")
    hogwild = manubot.get("1106.5730")  # type report, the id in `number`
    assert (hogwild.cite_key, hogwild.date, hogwild.venue) == ("3qm8sXnB", "2011-11-14", "arXiv")
    assert not hogwild.abstract.startswith(" ")
    short = library("csl-json/bbt_better-csl_shortdoi_26.json")
    p = short[0]  # DOI 10/fqd6hj beside the long DOI in its URL
    assert (p.id, p.doi, dict(p.extra)["short_doi"]) == (
        "10.1177/0193723504268729",
        "10.1177/0193723504268729",
        "10/fqd6hj",
    )
    assert p.no_abstract and p.text == p.title


def test_better_bibtex_json_doi_in_extra_and_boilerplate_abstract():
    corpus = library("zotero/bbt_json_chem_ml_51.json")
    book = by_key(corpus, "zhang12")
    assert (book.id, book.doi, book.no_abstract) == ("10.1007/978-1-4419-9326-7", book.id, True)
    assert not any("Downloaded via" in p.abstract for p in corpus)
    bulk = library("zotero/bbt_json_bulk_humanities_1241.json")
    chapters = [p for p in bulk if p.doi == "10.1007/978-0-387-74711-8"]
    assert len(chapters) == 3  # a book's DOI on its chapters merges only the repeated chapter
    assert len({p.id for p in chapters}) == 3


def test_zotero_rdf_doi_on_the_journal_node():
    corpus = library("zotero/zotero7_rdf_joss_5.rdf")
    assert [p.doi for p in corpus][:2] == ["10.21105/joss.01866", "10.21105/joss.01038"]
    p = corpus[1]  # the journal inline, not by reference
    assert (p.venue, p.date, p.authors[0]) == (
        "Journal of Open Source Software",
        "2018-11-19",
        "Anna-Lena Wölwer",
    )


def test_endnote_styles_and_multiline_values():
    one = library("endnote-xml/endnote19_singleline_5.xml")[0]
    assert one.authors == ("M. Blichert-Toft", "J. Andersen", "U. Dyreborg")
    assert (one.venue, one.date, one.cite_key) == ("Acta Chirurgica Scandinavica", "1990", "1")
    pretty = library("endnote-xml/endnote15_pretty_label_multititle.xml")
    assert pretty[0].title == (
        "An ecological basis for reforestation of submariginal lands in the Central Hardwood Region"
    )
    bookends = library("endnote-xml/bookends_endnotexml_1.xml")[0]
    assert (bookends.id, bookends.abstract) == ("10.1038/bjc.2014.606", "test abstract")
    assert "Aged, 80 and over" in bookends.keywords  # a MeSH term keeps its comma


def test_several_files_and_formats_are_one_corpus(tmp_path: Path):
    """The Zotero and Lens exports hold the same 100 papers: 100 after reading both."""
    both = read_corpus(
        [
            require(LIBRARIES / "ris/zotero_export_100.ris"),
            LIBRARIES / "ris/lens_export_bom_crlf_100.ris",
        ]
    )
    assert (len(both), both.stats.rows, both.stats.merged_entries) == (100, 200, 100)
    assert {m["why"] for m in both.stats.merges} == {"doi"}
    p = both.get("10.1038/s42256-020-00287-7")  # Zotero's record, with no ID of its own,
    assert dict(p.entry)["@format"] == "ris" and p.cite_key == "106-059-195-106-980"  # Lens's
