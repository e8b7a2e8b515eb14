"""Back to the reference manager: every real library file written as BibTeX, RIS and CSL-JSON
and read again gives the same papers and fields; a library paper keeps its citation key, type
and fields; hostile text can neither end an entry nor start a command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import require
from test_library_readers import COUNTS, LIBRARIES

from explorer.papers import ExplorerError, Paper
from explorer.readers import read_corpus
from explorer.references import format_for, write
from explorer.web import exports

SUFFIX = {"bibtex": ".bib", "ris": ".ris", "csl-json": ".json"}
OWN = {".bib": "bibtex", ".biblatex": "bibtex", ".ris": "ris", ".json": "csl-json"}


def again(papers, fmt: str, tmp_path: Path):
    path = tmp_path / f"again{SUFFIX[fmt]}"
    path.write_text(write(papers, fmt), encoding="utf-8")
    return read_corpus(path)


def core(p: Paper) -> tuple:
    return (p.id, p.title, p.year, p.doi, p.abstract, p.no_abstract)


def full(p: Paper) -> tuple:
    return (*core(p), p.authors, p.date, p.venue, p.keywords, p.url, p.cite_key)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_a_library_written_in_its_own_format_reads_back_the_same(name, tmp_path):
    corpus = read_corpus(require(LIBRARIES / name))
    fmt = OWN.get(Path(name).suffix)
    if fmt is None or (fmt == "csl-json" and "zotero/" in name):
        pytest.skip("no writer for this format (RDF, EndNote, Better BibTeX JSON)")
    back = again(list(corpus), fmt, tmp_path)
    keys = [p.cite_key for p in corpus]
    for p, q in zip(corpus, back, strict=True):
        if keys.count(p.cite_key) > 1:  # a repeated key is written -2, -3: the rest stands
            assert full(p)[:-1] == full(q)[:-1]
        else:
            assert full(p) == full(q)
        assert dict(p.extra)["type"] == dict(q.extra)["type"]


# Names that hold a comma ("State, The") or an HTML entity can only be approximated in RIS.
ROUGH_NAMES = {"zotero/bbt_json_bulk_humanities_1241.json", "csl-json/manubot_deep-review_615.json"}


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
@pytest.mark.parametrize("name", sorted(COUNTS))
def test_any_library_through_any_format_keeps_ids_titles_years_dois_abstracts(name, fmt, tmp_path):
    corpus = read_corpus(require(LIBRARIES / name))
    back = again(list(corpus), fmt, tmp_path)
    if name in ROUGH_NAMES:  # an id made from such a name may change with it
        assert [core(p)[1:] for p in corpus] == [core(q)[1:] for q in back]
    else:
        assert [core(p) for p in corpus] == [core(q) for q in back]
        assert [p.authors for p in corpus] == [q.authors for q in back]


def test_an_entry_keeps_its_key_type_and_fields():
    corpus = read_corpus(require(LIBRARIES / "bibtex/biblatex-examples_strings_crossref.bib"))
    bib = write([p for p in corpus if p.cite_key == "nietzsche:ksa"], "bibtex")
    assert bib.startswith("@mvbook{nietzsche:ksa,\n  author = {Nietzsche, Friedrich},\n")
    assert '  title = {S{\\"a}mtliche Werke},\n' in bib  # LaTeX as the file wrote it
    assert "  publisher = {Deutscher Taschenbuch-Verlag and Walter de Gruyter},\n" in bib
    ris = read_corpus(require(LIBRARIES / "ris/zotero_export_100.ris"))
    text = write([ris[0]], "ris")
    assert text.startswith("TY  - JOUR\nTI  - An open source machine learning framework")
    assert "\nN1  - <p>ASReview_relevant</p>\n" in text and text.endswith("ER  - \n")
    csl = read_corpus(require(LIBRARIES / "csl-json/bbt_better-csl_shortdoi_26.json"))
    item = json.loads(write([csl[0]], "csl-json"))[0]
    assert (item["citation-key"], item["DOI"], item["accessed"]) == (
        "brittain2004",
        "10/fqd6hj",  # the item as it was, shortDOI and all
        {"date-parts": [["2019", 4, 28]]},
    )


HOSTILE = Paper(
    "2401.00001",
    "Ends } here @misc{evil, title={x}} \\input{/etc/passwd} 100% $x_1$ # ~ ^ & _",
    "Line one\nER  - \nTY  - JOUR\n} } }",
    ("Evil }, Name", "O'Brien and Sons"),
    date="2024-01-02",
    keywords=("a, b", "c"),
)


def test_hostile_text_neither_ends_an_entry_nor_runs_a_command(tmp_path):
    bib = write([HOSTILE], "bibtex")
    assert bib.count("\n@") == 0 and "\\input" not in bib.replace("\\textbackslash{}input", "")
    back = again([HOSTILE], "bibtex", tmp_path)[0]
    assert (back.id, back.title, back.abstract) == (
        HOSTILE.id,
        HOSTILE.title,
        "Line one ER - TY - JOUR } } }",
    )
    assert back.authors == HOSTILE.authors and back.keywords == HOSTILE.keywords
    ris = write([HOSTILE], "ris")
    assert ris.count("ER  - ") == 1 and ris.count("TY  - ") == 1
    back = again([HOSTILE], "ris", tmp_path)[0]
    assert (back.title, back.abstract) == (HOSTILE.title, "Line one ER - TY - JOUR } } }")
    back = again([HOSTILE], "csl-json", tmp_path)[0]
    assert (back.id, back.title, back.authors) == (HOSTILE.id, HOSTILE.title, HOSTILE.authors)


def test_a_library_entry_with_tex_commands_is_written_as_text():
    raw = (("title", "T \\input{/etc/passwd}"), ("note", "a } b"))
    p = Paper("x", "T", "A", entry=(("@format", "bibtex"), ("@type", "article"), *raw))
    bib = write([p], "bibtex")
    assert "title = {T \\textbackslash{}input\\{/etc/passwd\\}}" in bib
    assert "note = {a \\} b}" in bib


def test_formats_by_suffix_and_the_web_exports():
    assert [format_for(f) for f in ("a.bib", "b.RIS", "c.json", "d.biblatex")] == [
        "bibtex",
        "ris",
        "csl-json",
        "bibtex",
    ]
    with pytest.raises(ExplorerError, match=r"^x\.docx: unknown export format '\.docx'"):
        format_for("x.docx")
    assert exports.FORMATS["ris"] == ("ris", "application/x-research-info-systems")
    assert exports.FORMATS["csl-json"][0] == "json"
    assert exports.export([HOSTILE], "csl-json") == write([HOSTILE], "csl-json")
    assert exports.to_bibtex([HOSTILE]).startswith("@misc{2401.00001,\n")
