"""Tests for `explorer.readers`: the real seed listing, every supported format on small fixture
files (tests/data/), the one-line error messages, and the shared arXiv data when present."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import pytest
from helpers import deadline, error_of  # tests/helpers.py

from explorer.papers import ExplorerError
from explorer.readers import detect_format, read_corpus
from explorer.readers.common import normalize_date, slugify
from explorer.readers.seed import parse_author_list, split_title_authors

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEED = HERE.parent / "seeds" / "000_67f743c21ede86c5.txt"
ARXIV = HERE.parent.parent / "shared" / "data" / "arxiv-cs-2025"

SEED_TITLES = [
    "Gemma 2: Improving Open Language Models at a Practical Size",
    "Simfluence: Modeling the Influence of Individual Training Examples by Simulating Training "
    "Runs",
    "Interactive AI Alignment: Specification, Process, and Evaluation Alignment",
    "Large Language Models are Competitive Near Cold-start Recommenders for Language- and "
    "Item-based Preferences",
    "Towards Agile Text Classifiers for Everyone",
    "KNNs of Semantic Encodings for Rating Prediction",
    "Beyond Rewards: a Hierarchical Perspective on Offline Multiagent Behavioral Analysis",
    "Gradient-Based Automated Iterative Recovery for Parameter-Efficient Tuning",
    "Intentmaking and Sensemaking: Human Interaction with AI-Guided Mathematical Discovery",
    "Gemini 1.5: Unlocking multimodal understanding across millions of tokens of context",
    "Gemma: Open Models Based on Gemini Research and Technology",
    "Interactive Prompt Debugging with Sequence Salience",
    "Think Before You Lie: How Reasoning Improves Honesty",
    "A Study on Hidden Layer Distillation for Large Language Model Pre-Training",
    "Patchscopes: A Unifying Framework for Inspecting Hidden Representations of Language Models",
    "Deliberate Lab: A Platform for Real-Time Human-AI Social Experiments",
    "Decoding-time Realignment of Language Models",
    "LLM Comparator: Visual Analytics for Side-by-Side Evaluation of Large Language Models",
    "Interpretability Illusions in the Generalization of Simplified Models",
    "Scalable Influence and Fact Tracing for Large Language Model Pretraining",
    "Detecting Hallucination and Coverage Errors in Retrieval Augmented Generation for "
    "Controversial Topics",
    "Parameter Efficient Reinforcement Learning from Human Feedback",
    "Beyond the Rosetta Stone: Unification Forces in Generalization Dynamics",
    "Improving Neutral Point-of-View Generation with Data- and Parameter-Efficient RL",
    "To Mask or to Mirror: Human-AI Alignment in Collective Reasoning",
    "Who's asking? User personas and the mechanics of latent misalignment",
    "Gemini: A Family of Highly Capable Multimodal Models",
    "Large Language Models for User Interest Journeys",
    "GLaM: Efficient Scaling of Language Models with Mixture-of-Experts",
    "Toxicity Detection can be Sensitive to the Conversational Context",
    "Augmenting the User-Item Graph with Textual Similarity Models",
    "Civil Rephrases Of Toxic Texts With Self-Supervised Transformers",
    "Six Attributes of Unhealthy Conversation",
    "Toxicity Detection: Does Context Really Matter?",
    "Classifying Constructive Comments",
    "Nuanced Metrics for Measuring Unintended Bias with Real Data for Text Classification",
    "Limitations of Pinned AUC for Measuring Unintended Bias",
    "WikiConv: A Corpus of the Complete Conversational History of a Large Online Collaborative "
    "Community",
    "Conversations Gone Awry: Detecting Early Signs of Conversational Failure",
    "Ex Machina: Personal Attacks Seen at Scale",
    "Network Traffic Obfuscation and Automated Internet Censorship",
]


@pytest.fixture(scope="module")
def seed():
    return read_corpus(SEED, listing_year=2026)


# --------------------------------------------------------------------------- seed listing


def test_seed_titles_exact(seed):
    assert [p.title for p in seed] == SEED_TITLES
    assert seed.stats.rows == 41 and seed.stats.skipped_no_abstract == 0
    assert seed.stats.duplicate_ids == []


@pytest.mark.parametrize(
    "index, category, date, has_code, authors, et_al, affiliations",
    [
        (
            0,
            "cs.CL",
            "2024-07-31",
            False,
            ("Gemma Team", "Morgane Riviere", "Shreya Pathak"),
            True,
            ("deepmind",),
        ),
        (
            3,
            "cs.IR",
            "2023-07-26",
            False,
            ("Scott Sanner", "Krisztian Balog", "Filip Radlinski"),
            True,
            (),
        ),
        (
            5,
            "cs.CL",
            "2023-02-01",
            False,
            ("Léo Laugier", "Raghuram Vadapalli", "Thomas Bonald"),
            True,
            (),
        ),
        (
            8,
            "cs.AI",
            "2026-05-07",
            False,
            ("Alex Bäuerle", "Adam Connors", "Alexander Novikov"),
            True,
            (),
        ),
        (
            9,
            "cs.CL",
            "2024-03-08",
            False,
            ("Gemini Team", "Petko Georgiev", "Ving Ian Lei"),
            True,
            ("deepmind", "mila"),
        ),
        (
            11,
            "cs.CL",
            "2024-04-11",
            True,
            ("Ian Tenney", "Ryan Mullins", "Bin Du"),
            True,
            ("deepmind",),
        ),
        (
            13,
            "cs.CL",
            "2026-05-12",
            False,
            ("Maxime Guigon", "Lucas Dixon", "Michaël E. Sander"),
            False,
            (),
        ),
        (
            15,
            "cs.HC",
            "2025-10-14",
            True,
            ("Crystal Qian", "Vivian Tsai", "Michael Behr"),
            True,
            (),
        ),
        (
            18,
            "cs.LG",
            "2023-12-06",
            False,
            ("Dan Friedman", "Andrew Lampinen", "Lucas Dixon"),
            True,
            ("princeton",),
        ),
        (
            23,
            "cs.CL",
            "2025-03-05",
            False,
            ("Jessica Hoffmann", "Christiane Ahlheim", "Zac Yu"),
            True,
            (),
        ),
        (28, "cs.CL", "2021-12-13", False, ("Nan Du", "Yanping Huang", "Andrew M. Dai"), True, ()),
        (36, "stat.ML", "2019-03-05", False, ("Daniel Borkan", "Lucas Dixon", "John Li"), True, ()),
        (
            37,
            "cs.CL",
            "2018-10-31",
            False,
            ("Yiqing Hua", "Cristian Danescu-Niculescu-Mizil", "Dario Taraborelli"),
            True,
            (),
        ),
        (
            40,
            "cs.NI",
            "2016-05-13",
            False,
            ("Lucas Dixon", "Thomas Ristenpart", "Thomas Shrimpton"),
            False,
            (),
        ),
    ],
)
def test_seed_entry_fields(seed, index, category, date, has_code, authors, et_al, affiliations):
    p = seed[index]
    assert p.categories == (category,)
    assert p.date == date
    assert p.has_code is has_code
    assert p.authors == authors
    assert p.et_al is et_al
    assert p.affiliations == affiliations


def test_seed_ids_and_abstracts(seed):
    assert seed.ids[:3] == [
        "gemma-2-improving-open-language-models",
        "simfluence-modeling-the-influence-of-individual",
        "interactive-ai-alignment-specification-process-and",
    ]
    assert seed[25].id == "whos-asking-user-personas-and-the"
    assert len(set(seed.ids)) == 41
    assert seed[0].abstract.startswith("In this work, we introduce Gemma 2, a new addition")
    assert seed[40].abstract.endswith("these challenges.")
    assert all(p.abstract and "\n" not in p.abstract for p in seed)
    assert sum(p.has_code for p in seed) == 2
    assert sum(p.date.startswith("2026") for p in seed) == 3


def test_seed_tolerates_bom_crlf_blank_lines_and_trailing_newline(seed, tmp_path):
    lines = SEED.read_text(encoding="utf-8").splitlines()
    messy = "\ufeff"
    for i in range(0, len(lines), 3):
        messy += "\r\n".join(lines[i : i + 3]) + "\r\n\r\n  \r\n"
    path = tmp_path / "messy.txt"
    path.write_bytes(messy.encode("utf-8"))
    again = read_corpus(path, listing_year=2026)
    assert list(again) == list(seed)


def test_seed_duplicate_titles_get_numbered_slugs(tmp_path):
    entry = "CLJan 2, 2020\nSame TitleAda Lovelace\nAn abstract.\n"
    path = tmp_path / "twice.txt"
    path.write_text(entry * 3, encoding="utf-8")
    assert read_corpus(path).ids == ["same-title", "same-title-2", "same-title-3"]


@pytest.mark.parametrize(
    "line, title, authors, et_al",
    [
        (
            "Deep Learning in PracticeYann LeCun, Yoshua Bengio",
            "Deep Learning in Practice",
            ["Yann LeCun", "Yoshua Bengio"],
            False,
        ),
        (
            "WaveNet: A Generative Model for Raw AudioAaron van den Oord, Sander Dieleman et al.",
            "WaveNet: A Generative Model for Raw Audio",
            ["Aaron van den Oord", "Sander Dieleman"],
            True,
        ),
        (
            "Scaling Laws for GPT-4Jane O'Brien, Mary McDonald",
            "Scaling Laws for GPT-4",
            ["Jane O'Brien", "Mary McDonald"],
            False,
        ),
        ("Evaluation in AIAlice Smith", "Evaluation in AI", ["Alice Smith"], False),
        (
            "Human-AI Teaming with LLMsJ.-P. Martin",
            "Human-AI Teaming with LLMs",
            ["J.-P. Martin"],
            False,
        ),
        (
            "Length-Controlled Generation with LLMsJuncheng Xie, Hung-yi Lee",
            "Length-Controlled Generation with LLMs",
            ["Juncheng Xie", "Hung-yi Lee"],
            False,
        ),
        # lower-case surnames only pass in the fallback pass, when no strict split exists
        (
            "Superposition Yields Robust Neural ScalingYizhou liu, Ziming Liu, Jeff Gore",
            "Superposition Yields Robust Neural Scaling",
            ["Yizhou liu", "Ziming Liu", "Jeff Gore"],
            False,
        ),
    ],
)
def test_split_title_authors(line, title, authors, et_al):
    assert split_title_authors(line) == (title, authors, et_al, [])


def test_author_list_rejects_title_fragments():
    assert parse_author_list("I-Guided Mathematical DiscoveryAlex Bäuerle, Adam Connors") is None
    assert parse_author_list("LJessica Hoffmann, Zac Yu") is None
    assert parse_author_list("Conv: A Corpus of the Complete Conversational History") is None
    assert parse_author_list("Ada Lovelace, Alan Turing et al.") == (
        ["Ada Lovelace", "Alan Turing"],
        True,
    )


def _seed_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "listing.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "XQJul 31, 2024\nA TitleAda Lovelace\nAbstract.\n",
            ":1: unknown subject 'XQ' in 'XQJul 31, 2024' (known: AI, AR, CC, CE, CG, CL, CR, "
            "CV, CY, DB, DC, DL, DM, DS, ET, FL, GL, GR, GT, HC, IR, IT, LG, LO, MA, MM, MS, NA, "
            "NE, NI, OH, OS, PF, PL, RO, SC, SD, SE, SI, SY, ML)",
        ),
        (
            "A TitleAda Lovelace\nAbstract.\n",
            ":1: expected a listing header such as 'CLJul 31, 2024' (subject glued to the "
            "date), got 'A TitleAda Lovelace'",
        ),
        (
            "CLJul 31, 2024\nA TitleAda Lovelace\nAbstract.\nA stray line\n",
            ":4: the entry that starts on line 1 already has its 3 lines (header, title+authors, "
            "abstract); expected a new header such as 'CLJul 31, 2024' (subject glued to the "
            "date), got 'A stray line'",
        ),
        (
            "CLJul 31, 2024\nA TitleAda Lovelace\nAbstract.\n\nLGMar 1, 2023\nOnly TitleBo Li\n",
            ":5: this entry has 2 line(s) but needs 3 (header, title+authors, abstract)",
        ),
        (
            "CLJul 31, 2024\nno authors here at all\nAbstract.\n",
            ":2: cannot tell the title from the authors in 'no authors here at all' (expected the "
            "title glued to 'First Last, First Last et al.')",
        ),
        ("CLFeb 30, 2024\nA TitleAda Lovelace\nAbstract.\n", ":1: no such date: 'CLFeb 30, 2024'"),
        (
            "CLJux 3, 2024\nA TitleAda Lovelace\nAbstract.\n",
            ":1: unknown month 'Jux' in 'CLJux 3, 2024'",
        ),
        ("\n\n", ": no papers (empty file)"),
    ],
)
def test_seed_errors(tmp_path, text, expected):
    path = _seed_file(tmp_path, text)
    assert error_of(path, listing_year=2026) == path + expected


def test_seed_date_without_year_needs_listing_year():
    assert error_of(SEED) == (
        f"{SEED}:25: the date in 'AIMay 7' has no year; pass the year the listing was made "
        "(listing_year=...)"
    )


# --------------------------------------------------------------------------- record formats


def test_generic_jsonl():
    corpus = read_corpus(DATA / "generic.jsonl")
    assert corpus.ids == ["p1", "p2", "42"]
    assert corpus.stats.rows == 6
    assert corpus.stats.skipped_no_abstract == 2
    assert corpus.stats.duplicate_ids == ["p1"]
    p1, p2, p42 = corpus
    assert p1.title == "Sparse attention for long documents"
    assert p1.authors == ("Ada Lovelace", "Alan Turing")
    assert p1.categories == ("cs.CL", "cs.LG")
    assert p1.date == "2021"
    assert p1.extra == (("citations", "12"), ("comment", "ACL 2021"), ("label", "nlp"))
    assert p2.date == "2022-03-04" and p2.categories == ("cs.LG",) and p2.extra == ()
    assert p42.authors == ("A. Author", "B. Author", "C. Author") and p42.et_al
    assert p42.date == "2007-04-02"


def test_arxiv_dump_jsonl():
    corpus = read_corpus(DATA / "arxiv-dump.jsonl")
    assert corpus.ids == ["0704.0001", "0704.0002", "0704.0003"]
    assert corpus.stats.rows == 4 and corpus.stats.skipped_no_abstract == 1
    first, second, third = corpus
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan")
    assert first.date == "2007-04-02"  # versions[0].created, not update_date
    assert first.categories == ("hep-ph",)
    assert dict(first.extra)["doi"] == "10.1103/PhysRevD.76.013009"
    assert dict(first.extra)["comments"] == "37 pages, 15 figures; published version"
    assert first.text.startswith(
        "Calculation of prompt diphoton production cross sections at "
        "Tevatron and LHC energies. A fully differential calculation"
    )
    assert second.authors == ("Ileana Streinu", "Louis Theran")  # from the string
    assert second.categories == ("math.CO", "cs.CG")
    assert second.date == "2007-03-31"
    assert third.date == "2008-01-13"  # no versions: update_date
    assert read_corpus(DATA / "arxiv-dump.jsonl", fmt="arxiv").ids == corpus.ids


def test_json_object_with_papers_and_plain_array(tmp_path):
    corpus = read_corpus(DATA / "papers.json")
    assert corpus.ids == ["j1", "j2"]
    assert corpus.stats.rows == 3 and corpus.stats.skipped_no_abstract == 1
    assert corpus[0].categories == ("cs.IR", "cs.CL") and corpus[1].date == "2019"
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"id": "a", "title": "T", "abstract": "A", "year": 2000}]))
    (paper,) = read_corpus(array)
    assert (paper.id, paper.date) == ("a", "2000")


def test_csv_with_column_mapping():
    columns = {"id": "paper_id", "title": "name", "abstract": "summary", "date": "published"}
    corpus = read_corpus(DATA / "refs.csv", columns=columns)
    assert corpus.ids == ["r1", "r2", "r4"]
    assert corpus.stats.rows == 4 and corpus.stats.skipped_no_abstract == 1
    r1, r2, r4 = corpus
    assert r1.title == "Retrieval, reranking and you"
    assert r1.abstract == "A summary with a comma, and\na line break."
    assert r1.authors == ("Jane Doe", "John Roe") and r1.date == "2020-05-01"
    assert r2.date == "2020"
    assert (r4.title, r4.authors, r4.date) == ("Über Suchmaschinen", ("Jürgen Müller",), None)


def test_tsv_semicolon_csv_and_case_insensitive_header(tmp_path):
    tsv = tmp_path / "a.tsv"
    tsv.write_text("ID\tTitle\tAbstract\nt1\tTab separated\tYes.\n", encoding="utf-8")
    semi = tmp_path / "b.csv"
    semi.write_text("id;title;abstract\ns1;Semicolons, too;Yes.\n", encoding="utf-8-sig")
    corpus = read_corpus([tsv, semi])
    assert corpus.ids == ["t1", "s1"]
    assert corpus[1].title == "Semicolons, too"


def test_gzip_is_read_transparently(tmp_path):
    packed = tmp_path / "generic.jsonl.gz"
    packed.write_bytes(gzip.compress((DATA / "generic.jsonl").read_bytes()))
    assert list(read_corpus(packed)) == list(read_corpus(DATA / "generic.jsonl"))
    assert detect_format(packed) == "jsonl" and detect_format("x.TXT") == "seed"


def test_several_files_concatenate_and_merge_stats(seed):
    corpus = read_corpus([SEED, DATA / "generic.jsonl", DATA / "generic.jsonl"], listing_year=2026)
    assert len(corpus) == 41 + 3
    assert corpus.ids[40:] == [seed.ids[40], "p1", "p2", "42"]
    assert corpus.stats.rows == 41 + 6 + 6
    assert corpus.stats.skipped_no_abstract == 4
    assert corpus.stats.duplicate_ids == ["p1", "p1", "p2", "p1", "42"]


def test_records_without_ids_get_slugs_and_fmt_overrides_suffix(tmp_path):
    path = tmp_path / "list.txt"
    rows = [
        {"title": "Über Attention", "abstract": "x"},
        {"title": "über  attention", "abstract": "y"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert read_corpus(path, fmt="jsonl").ids == ["uber-attention", "uber-attention-2"]


def test_author_strings_and_lists(tmp_path):
    path = tmp_path / "authors.jsonl"
    rows = [
        {"id": "1", "title": "T", "abstract": "A", "authors": ["NVIDIA", ":", "Aaron Blakeman"]},
        {"id": "2", "title": "T", "abstract": "A", "authors": "Ann Lee, Bo Li, and Cy Ng"},
        {"id": "3", "title": "T", "abstract": "A", "authors": [{"name": "Ann Lee"}, "et al."]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    a, b, c = read_corpus(path)
    assert a.authors == ("NVIDIA", "Aaron Blakeman")
    assert b.authors == ("Ann Lee", "Bo Li", "Cy Ng") and not b.et_al
    assert c.authors == ("Ann Lee",) and c.et_al


@pytest.mark.parametrize("missing", ["None", "null", "NaN", "NaT", "n/a", " NA "])
def test_missing_date_spellings(tmp_path, missing):
    """Exports write a missing year as str(None), NaN or NULL (csfcube's papers.jsonl has
    "year": "None"): that is no date, not an error; a date given elsewhere still counts."""
    path = tmp_path / "years.jsonl"
    rows = [
        {"id": "1", "title": "T", "abstract": "A", "year": missing},
        {"id": "2", "title": "T", "abstract": "A", "year": "2019"},
        {"id": "3", "title": "T", "abstract": "A", "date": "2020-05-01", "year": missing},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    a, b, c = read_corpus(path)
    assert (a.date, b.date, c.date) == (None, "2019", "2020-05-01")


def test_slugify_and_dates():
    assert slugify("Gemma 2: Improving Open Language Models at a Practical Size") == (
        "gemma-2-improving-open-language-models"
    )
    assert slugify("Who's asking? Ça va") == "whos-asking-ca-va"
    assert (
        slugify("Decoding-time Realignment of Language Models")
        == "decoding-time-realignment-of-language-models"
    )
    assert slugify("深度学习").startswith("paper-")
    assert normalize_date("Mon, 2 Apr 2007 19:18:42 GMT") == "2007-04-02"
    assert normalize_date("2024-07-31T12:00:00Z") == "2024-07-31"
    assert normalize_date("Jul 31, 2024") == "2024-07-31"
    assert normalize_date(2021) == "2021" and normalize_date("2021-07") == "2021-07"
    assert normalize_date(" ") is None


# --------------------------------------------------------------------------- bad input


BAD_INPUTS = [
    (
        "papers.jsonl",
        b'{"id": "a", "title": "t", "abstract": "x"}\n\n{"id": "b", "title": "t" '
        b'"abstract": "x"}\n',
        {},
        ":3: not valid JSON (Expecting ',' delimiter at column 26)",
    ),
    ("empty.jsonl", b"", {}, ": no papers (empty file)"),
    (
        "latin1.csv",
        b"id,title,abstract\n1,Caf\xc3\xa9,ok\n2,Caf\xe9,bad\n",
        {},
        ":3: not UTF-8 text (byte 0xe9); re-save the file as UTF-8",
    ),
    (
        "refs.csv",
        b"id,name,summary\n1,a,b\n",
        {},
        ": no 'abstract' column (columns: id, name, summary); map one with "
        "columns={'abstract': ...} / --column abstract=summary",
    ),
    (
        "refs2.csv",
        b"id,name,summary\n1,a,b\n",
        {"columns": {"abstract": "summary"}},
        ": no 'title' column (columns: id, name, summary); map one with "
        "columns={'title': ...} / --column title=name",
    ),
    (
        "notitle.jsonl",
        b'{"abstract": "x", "year": 2020}\n',
        {},
        ": no 'title' column (columns: abstract, year); map one with columns={'title': ...} / "
        "--column title=...",
    ),
    (
        "mapped.csv",
        b"id,title,summary\n1,a,b\n",
        {"columns": {"abstract": "summry"}},
        ": no 'summry' column (mapped to 'abstract') (columns: id, title, summary)",
    ),
    (
        "blank.jsonl",
        b'{"id": "a", "title": "t", "abstract": "x"}\n{"id": "b", "title": " ", "abstract": "x"}\n',
        {},
        ":2: no title (the 'title' field is empty)",
    ),
    (
        "noid.jsonl",
        b'{"id": "a", "title": "t", "abstract": "x"}\n{"id": "", "title": "u", "abstract": "x"}\n',
        {},
        ":2: no id (the 'id' field is empty)",
    ),
    (
        "date.csv",
        b"id,title,abstract,date\n1,t,a,someday\n",
        {},
        ":2: unrecognised date 'someday' in the 'date' field (use YYYY-MM-DD or a year)",
    ),
    (
        "fields.csv",
        b'id,title,abstract\n1,"a,b",c,d\n',
        {},
        ":2: 4 fields, but the header has 3 (is a field with a ',' missing its quotes?)",
    ),
    ("header.csv", b"id,title,abstract\n", {}, ": no papers (only a header row)"),
    (
        "dupcol.csv",
        b"id,title,title,abstract\n",
        {},
        ":1: the header names the column 'title' twice",
    ),
    (
        "allblank.jsonl",
        b'{"id": "a", "title": "t", "abstract": ""}\n',
        {},
        ": no papers (none of its 1 rows has an abstract)",
    ),
    (
        "list.jsonl",
        b'[{"id": "a"}]\n',
        {},
        ":1: expected a JSON object per line, got a list (a JSON array belongs in a .json file)",
    ),
    (
        "pretty.jsonl",
        b'[\n  {"id": "a"}\n]\n',
        {},
        ":1: not valid JSON (Expecting value at column 2); is this a pretty-printed .json file? "
        "name it .json or pass fmt='json'",
    ),
    (
        "bad.json",
        b'[\n {"id": "a", "title": "t", "abstract": "x"},\n {"id": "b"}\n {"id": "c"}\n]',
        {},
        ":4: not valid JSON (Expecting ',' delimiter at column 2)",
    ),
    ("nums.json", b"[\n1, 2]", {}, ":2: expected a JSON object for each paper, got a number"),
    (
        "obj.json",
        b'{"items": []}',
        {},
        ': expected a JSON array of papers or an object with a "papers" list (keys: items)',
    ),
    ("emptylist.json", b"[]", {}, ": no papers (the list is empty)"),
    (
        "notes.docx",
        b"hello",
        {},
        ": unknown file type '.docx' (supported: .txt (seed listing), .jsonl/.ndjson (JSON "
        "Lines), .json (a JSON array of papers, or CSL-JSON or Better BibTeX JSON), .csv (CSV "
        "with a header), .tsv (TSV with a header), .bib/.bibtex/.biblatex (BibTeX or "
        "BibLaTeX), .ris (RIS), .rdf (Zotero RDF), .xml (EndNote XML), each optionally .gz; "
        "or pass fmt=...)",
    ),
    (
        "broken.jsonl.gz",
        b"not gzip at all",
        {},
        ": not a valid gzip file (Not a gzipped file (b'no'))",
    ),
    (
        "short.jsonl.gz",
        gzip.compress(b'{"id": "a", "title": "t", "abstract": "x"}\n' * 50)[:40],
        {},
        ": the gzip file is truncated (it ends in the middle of the data)",
    ),
    # the fuzz probe's findings: each was a traceback, a hang or a silently wrong result
    (
        "quote.csv",
        b'id,title,abstract\n1,"a"b,c\n',
        {},
        ":2: not valid CSV (text after a closing quote; a field is either quoted whole, or a '\"' "
        "inside it is written '\"\"'): ',' expected after '\"'",
    ),
    (
        "unclosed.csv",
        b'id,title,abstract\n1,t,a\n2,"never closed,x\n3,t,a\n',
        {},
        ":3: not valid CSV (a quoted field of the record that starts here is never closed: a '\"' "
        "is missing)",
    ),
    (
        "nul.csv",
        b"id,title,abstract\n1,t\x00,a\n",
        {},
        ":2: contains a NUL byte (0x00): is it a binary or UTF-16 file? re-save it as UTF-8 text",
    ),
    (
        "nul.json",
        b'[\n{"id": "a", "title": "t", "abstract": "x"},\n\x00]',
        {},
        ":3: contains a NUL byte (0x00): is it a binary or UTF-16 file? re-save it as UTF-8 text",
    ),
    (
        "utf16.csv",
        "id,title,abstract\n1,t,a\n".encode("utf-16"),
        {},
        ":1: the file is UTF-16 (little-endian) text; re-save it as UTF-8",
    ),
    (
        "utf16be.jsonl",
        "\ufeff{}".encode("utf-16-be"),
        {},
        ":1: the file is UTF-16 (big-endian) text; re-save it as UTF-8",
    ),
    (
        "utf32.txt",
        "CLJul 31, 2024\n".encode("utf-32"),
        {},
        ":1: the file is UTF-32 (little-endian) text; re-save it as UTF-8",
    ),
    (
        "huge.csv",
        b"id,title,abstract\n1,t," + b"x" * (16 * 2**20 + 1) + b"\n",
        {},
        ":2: not valid CSV (a field longer than 16,777,216 characters)",
    ),
    (
        "fakegz.csv.gz",
        b"\x1f\x8b" + b"id,title,abstract\n",
        {},
        ": not a valid gzip file (Unknown compression method)",
    ),
    ("emptyrow.csv", b'""\n\n', {}, ": no papers (empty file)"),
]


@pytest.mark.parametrize(
    "name, content, kwargs, expected", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_one_line_naming_file_and_line(tmp_path, name, content, kwargs, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert error_of(str(path), **kwargs) == str(path) + expected


def test_bad_arguments(tmp_path):
    assert error_of(str(tmp_path / "nope.jsonl")) == f"{tmp_path / 'nope.jsonl'}: file not found"
    assert error_of(str(tmp_path)) == f"{tmp_path}: is a directory, not a file"
    assert error_of([]) == "no input files given"
    assert error_of(SEED, fmt="xml") == (
        "unknown format 'xml' (choose from: seed, jsonl, json, csv, tsv, arxiv, bibtex, ris, "
        "csl-json, bbt-json, zotero-rdf, endnote)"
    )
    assert error_of(DATA / "refs.csv", columns={"author": "authors"}) == (
        "columns: unknown field 'author' (did you mean 'authors'? fields: id, title, abstract, "
        "authors, affiliations, categories, date, year)"
    )


# --------------------------------------------------------------------------- the shared data


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared arXiv data lives on the dev machines)")
    return path


def test_arxiv_cs_2025_first_rows(tmp_path):
    source = _require(ARXIV / "papers.jsonl.gz")
    head = tmp_path / "head.jsonl.gz"
    with gzip.open(source, "rb") as src, gzip.open(head, "wb") as dst:
        for _, line in zip(range(20), src, strict=False):
            dst.write(line)
    corpus = read_corpus(head)
    assert len(corpus) == 20 and corpus.stats.rows == 20
    first = corpus[0]
    assert first.id == "2503.11677"
    assert first.title == (
        "Simulation of prosthetic vision with PRIMA system and enhancement of face representation"
    )
    assert first.authors == (
        "Jungyeon Park",
        "Anna Kochnev Goldstein",
        "Yueming Zhou",
        "Nathan Jensen",
        "Daniel Palanker",
    )
    assert first.categories == ("cs.HC", "cs.CV")
    assert first.date == "2025-03-18"
    assert first.extra == ()  # "comment": null
    assert first.abstract.startswith(
        "Objective. Patients implanted with the PRIMA photovoltaic subretinal\nprosthesis"
    )
    assert first.abstract.endswith("for face recognition.")
    assert corpus[1].categories == ("cs.AR", "cs.CV", "eess.IV")
    assert corpus[2].extra == (("comment", "IROS2025 under review"),)


def test_arxiv_cs_2025_subset_keeps_labels():
    corpus = read_corpus(_require(ARXIV / "subset-10cats.jsonl"))
    assert len(corpus) == 3990 and corpus.stats.skipped_no_abstract == 0
    first = corpus[0]
    assert first.id == "2309.03824"
    assert first.title.startswith("Training Acceleration of Low-Rank Decomposed Networks")
    assert first.categories == ("cs.LG", "cs.AI", "cs.CL")
    assert first.extra == (("label", "cs.LG"),)
    labels = [dict(p.extra)["label"] for p in corpus]
    assert len(set(labels)) == 10
    assert all(label == p.primary_category for label, p in zip(labels, corpus, strict=True))


# --------------------------------------------------------------------------- fuzz-probe regressions


def _write(tmp_path: Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


def _jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        (
            "deep.json",
            "[" * 100_000 + "]" * 100_000,
            ":1: JSON that cannot be read: lists or objects nested too deeply",
        ),
        (
            "deep-object.json",
            '{"papers": [\n{"a":' * 1 + '{"a":' * 100_000 + "1" + "}" * 100_001 + "]}",
            ":2: JSON that cannot be read: lists or objects nested too deeply",
        ),
        (
            "deep-meta.json",
            '{"meta": ' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "}",
            ":1: JSON that cannot be read: lists or objects nested too deeply",
        ),
        (
            "deep.jsonl",
            _jsonl({"id": "a", "title": "t", "abstract": "x"})
            + '{"a":' * 100_000
            + "1"
            + "}" * 100_000
            + "\n",
            ":2: JSON that cannot be read: lists or objects nested too deeply",
        ),
        (
            "deep-list.jsonl",
            "[" * 100_000 + "]" * 100_000 + "\n",
            ":1: JSON that cannot be read: lists or objects nested too deeply",
        ),
    ],
)
def test_deeply_nested_json_is_one_line_error(tmp_path, name, content, expected):
    """Was a RecursionError traceback from the json module."""
    path = _write(tmp_path, name, content)
    assert error_of(path) == path + expected


@pytest.mark.parametrize("name", ["big.jsonl", "big.json"])
@pytest.mark.parametrize("field", ["id", "year", "extra"])
def test_integer_beyond_the_digit_limit_is_one_line_error(tmp_path, name, field):
    """Was `ValueError: Exceeds the limit (4300 digits) for integer string conversion`."""
    good = json.dumps({"id": "a", "title": "t", "abstract": "x"})
    digits = "9" * 5000
    bad = f'{{"{field}": {digits}, "title": "t", "abstract": "x", "id": "b"}}'
    content = f"{good}\n{bad}\n" if name.endswith(".jsonl") else f"[{good},\n{bad}]"
    path = _write(tmp_path, name, content)
    assert (
        error_of(path)
        == path + ":2: JSON that cannot be read: an integer with more than 4,300 digits"
    )


@pytest.mark.parametrize(
    "record, field",
    [
        ({"id": "\\ud800", "title": "t", "abstract": "x"}, "id"),
        ({"id": "a", "title": "Title \\udfff", "abstract": "x"}, "title"),
        ({"id": "a", "title": "t", "abstract": "cut \\ud83d"}, "abstract"),
        ({"id": "a", "title": "t", "abstract": "x", "authors": ["Ada \\udc00"]}, "authors"),
        ({"id": "a", "title": "t", "abstract": "x", "categories": "cs.CL \\ude00"}, "categories"),
        ({"id": "a", "title": "t", "abstract": "x", "comment": "\\ud800"}, "comment"),
        ({"id": "a", "title": "t", "abstract": "x", "n\\ud800": "v"}, "n\\udc00"),
    ],
)
def test_lone_surrogate_is_an_error_naming_line_and_field(tmp_path, record, field):
    """A JSON `\\ud800` escape without its pair was read into the corpus, which then could not
    be saved (UnicodeEncodeError at build time). Refused, naming line and field; not replaced."""
    text = json.dumps(record).replace("\\\\u", "\\u")  # the escape as the file has it
    path = _write(tmp_path, "lone.jsonl", _jsonl({"id": "z", "title": "t", "abstract": "x"}) + text)
    message = error_of(path)
    assert message.startswith(f"{path}:2: the ")
    assert "field holds a lone UTF-16 surrogate" in message
    if field != "n\\udc00":
        assert f"the {field!r} field" in message
    message.encode("utf-8")  # printable


def test_lone_surrogate_in_a_title_that_is_slugged(tmp_path):
    """Found by the fuzzer: in a file without ids the title was hashed into a slug first, and
    `title.encode("utf-8")` raised UnicodeEncodeError."""
    path = _write(tmp_path, "slug.jsonl", '{"title": "\\u6587\\udfff", "abstract": "x"}\n')
    assert error_of(path) == (
        f"{path}:1: the 'title' field holds a lone UTF-16 surrogate ('\\udfff'), which is not a "
        "character (a \\uXXXX escape cut from its pair?); fix the text"
    )


def test_surrogate_pair_escapes_are_one_character(tmp_path):
    path = _write(
        tmp_path, "pair.json", '[{"id": "a", "title": "Smile \\ud83d\\ude00", "abstract": "x"}]'
    )
    assert read_corpus(path)[0].title == "Smile \U0001f600"


@pytest.mark.parametrize(
    "line",
    [
        "aB" * 60_000,  # glue points everywhere (was minutes: quadratic)
        "aB-" * 40_000,
        "Title" + ", ".join(["Yann LeCun"] * 12_000) + ", 1",  # long author list, bad at the end
        "(" * 120_000,
        "A" * 120_000,
    ],
)
def test_long_seed_line_is_read_in_linear_time(tmp_path, line):
    """A 120,000-character title+authors line hung `explorer build` (quadratic splitting)."""
    path = _write(tmp_path, "long.txt", f"CLJul 31, 2024\n{line}\nThe abstract.\n")
    start = time.perf_counter()
    with deadline(60):
        try:
            read_corpus(path)
        except ExplorerError as e:
            assert "\n" not in str(e) and str(e).startswith(f"{path}:2: ")
    assert time.perf_counter() - start < 10


def test_long_author_list_in_a_seed_listing_is_split(tmp_path):
    names = ", ".join(["Yann LeCun"] * 12_000)
    path = _write(tmp_path, "long.txt", f"CLJul 31, 2024\nA TitleAda Lovelace, {names}\nText.\n")
    with deadline(60):
        (paper,) = read_corpus(path)
    assert paper.title == "A Title" and len(paper.authors) == 12_001


@pytest.mark.parametrize(
    "authors, categories",
    [
        ("," * 100_000, "cs.CL"),
        (", " * 50_000 + "x", "cs.CL"),
        ("Ada Lovelace", " " * 100_000 + "a;"),
        ("Ada Lovelace" + " " * 100_000 + "and Bob", "cs.CL"),
    ],
)
def test_author_and_category_splitting_is_linear(tmp_path, authors, categories):
    """The `[\\s,]*\\bet al` and `\\s*[;,]\\s*` regexes backtracked quadratically (a minute for
    20,000 commas)."""
    record = {
        "id": "a",
        "title": "t",
        "abstract": "x",
        "authors": authors,
        "categories": categories,
    }
    path = _write(tmp_path, "long.jsonl", _jsonl(record))
    start = time.perf_counter()
    with deadline(60):
        (paper,) = read_corpus(path)
    assert time.perf_counter() - start < 5
    assert all(a.strip(" ,") for a in paper.authors)


def test_fifo_device_and_other_non_files_are_refused_at_once(tmp_path):
    """A FIFO with no writer hung for ever in open(); now refused before opening."""
    fifo = tmp_path / "papers.jsonl"
    os.mkfifo(fifo)
    with deadline(10):
        assert (
            error_of(str(fifo)) == f"{fifo}: is not a regular file (a FIFO (named pipe)); "
            "give a file of papers"
        )
    device = tmp_path / "null.csv"
    device.symlink_to("/dev/null")
    assert (
        error_of(str(device)) == f"{device}: is not a regular file (a device); give a file "
        "of papers"
    )
    gz = tmp_path / "pipe.json.gz"
    os.mkfifo(gz)
    with deadline(10):
        assert "is not a regular file" in error_of(str(gz))
    loop = tmp_path / "loop.txt"
    loop.symlink_to("loop.txt")
    assert (
        error_of(str(loop)) == f"{loop}: cannot read the file (Too many levels of symbolic links)"
    )
    dangling = tmp_path / "gone.tsv"
    dangling.symlink_to(tmp_path / "nowhere")
    assert error_of(str(dangling)) == f"{dangling}: file not found"
    assert error_of(str(tmp_path / "nul\0.csv")).endswith(
        "cannot read the file (embedded null byte)"
    )


_AUTHORS = 'a list of names (strings or {"name": ...} objects) or one string'
_LIST = "a list of strings or one string"
_DATE = "a date string or a year"
_VERSIONS = 'a list of {"created": date string} objects'
_PARSED = "a list of [last, first, suffix] lists of strings"
_WRONG_TYPES = [
    ({"id": True}, "the 'id' field must be a string or an integer, got true"),
    ({"id": None}, "no id (the 'id' field is null)"),
    ({"id": 1.5}, "the 'id' field must be a string or an integer, got a number 1.5"),
    ({"id": ["a"]}, """the 'id' field must be a string or an integer, got a list ["a"]"""),
    ({"id": "a\nb"}, "the id 'a b' (the 'id' field) holds a control character or a line break"),
    ({"title": {"x": 1}}, """the 'title' field must be a string, got an object {"x": 1}"""),
    ({"title": ["a", "b"]}, """the 'title' field must be a string, got a list ["a", "b"]"""),
    ({"title": 1984}, "the 'title' field must be a string, got a number 1984"),
    ({"abstract": ["x"]}, """the 'abstract' field must be a string, got a list ["x"]"""),
    ({"abstract": float("nan")}, "the 'abstract' field must be a string, got a number NaN"),
    ({"abstract": False}, "the 'abstract' field must be a string, got false"),
    ({"authors": 7}, f"the 'authors' field must be {_AUTHORS}, got a number 7"),
    ({"authors": ["Ada", None]}, f"the 'authors' field must be {_AUTHORS}, got null"),
    (
        {"authors": [{"name": 5}]},
        f"""the 'authors' field must be {_AUTHORS}, got an object {{"name": 5}}""",
    ),
    ({"categories": [1, 2]}, f"the 'categories' field must be {_LIST}, got a list [1, 2]"),
    (
        {"categories": {"a": "b"}},
        f"""the 'categories' field must be {_LIST}, got an object {{"a": "b"}}""",
    ),
    ({"affiliations": True}, f"the 'affiliations' field must be {_LIST}, got true"),
    ({"date": True}, f"the 'date' field must be {_DATE}, got true"),
    ({"year": [2020]}, f"the 'year' field must be {_DATE}, got a list [2020]"),
    (
        {"date": "2020-01-02", "year": {"y": 1}},
        f"""the 'year' field must be {_DATE}, got an object {{"y": 1}}""",
    ),
    ({"year": 20200}, "unrecognised date '20200' in the 'year' field (use YYYY-MM-DD or a year)"),
    ({"year": "0999"}, "unrecognised date '0999' in the 'year' field (use YYYY-MM-DD or a year)"),
    ({"versions": "v1"}, f"the 'versions' field must be {_VERSIONS}, got a string 'v1'"),
    (
        {"versions": [{"created": 5}]},
        f"""the 'versions' field must be {_VERSIONS}, got a list [{{"created": 5}}]""",
    ),
    ({"primary_category": 5}, "the 'primary_category' field must be a string, got a number 5"),
    (
        {"authors_parsed": [["Lovelace", 1]]},
        f"""the 'authors_parsed' field must be {_PARSED}, got a list [["Lovelace", 1]]""",
    ),
    (
        {"authors_parsed": [["Lovelace", "Ada"]], "authors": 5},
        f"the 'authors' field must be {_AUTHORS}, got a number 5",
    ),
]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("change, expected", _WRONG_TYPES, ids=[str(c) for c, _ in _WRONG_TYPES])
def test_wrongly_typed_field_is_an_error_naming_line_and_field(tmp_path, fmt, change, expected):
    """`"id": true` was read as the id "True", a title object as "{'x': 1}", and so on."""
    first = {"id": "ok", "title": "A title", "abstract": "Fine."}
    second = {"id": "b", "title": "Another", "abstract": "Also fine.", **change}
    if fmt == "jsonl":
        content = _jsonl(first, second)
    else:
        content = "[\n" + json.dumps(first) + ",\n" + json.dumps(second) + "\n]"
    path = _write(tmp_path, f"typed.{fmt}", content)
    line = 2 if fmt == "jsonl" else 3
    assert error_of(path) == f"{path}:{line}: {expected}"


def test_an_id_in_a_file_without_ids_is_an_error(tmp_path):
    """Later ids were silently ignored when the first record had none (slugs for all)."""
    path = _write(
        tmp_path,
        "mixed.jsonl",
        _jsonl({"title": "One", "abstract": "x"}, {"id": "p2", "title": "Two", "abstract": "y"}),
    )
    assert error_of(path) == (
        f"{path}:2: this record has an id (the 'id' field) but the first record has none; give "
        "every record an id, or none (ids are then made from the titles)"
    )
    path = _write(
        tmp_path,
        "mixed2.jsonl",
        _jsonl({"id": "p1", "title": "One", "abstract": "x"}, {"title": "Two", "abstract": "y"}),
    )
    assert error_of(path) == f"{path}:2: no id (this record has no 'id' field)"


def test_well_typed_values_are_still_accepted(tmp_path):
    """The accepted shapes of the typing rules (see explorer.readers)."""
    rows = [
        {
            "id": 42,
            "title": " Spaced \n title ",
            "abstract": "x",
            "year": 2021.0,
            "authors": [{"name": "Ada Lovelace"}, {"first": "Alan", "last": "Turing"}],
            "categories": "cs.CL, cs.LG",
            "affiliations": None,
            "flag": True,
            "n": 1.5,
            "nested": {"ignored": [1]},
        },
        {
            "id": " p2 ",
            "title": "T",
            "abstract": "y",
            "date": 1999,
            "authors": "A; B et al.",
            "categories": ["cs.IR", " ", "stat.ML"],
            "primary_category": "stat.ML",
            "authors_parsed": [["Lovelace", "Ada", None]],
            "versions": [{"created": None}],
        },
        {"id": "p3", "title": "T", "abstract": "z", "year": "٢٠٢١"},
    ]
    a, b, c = read_corpus(_write(tmp_path, "ok.jsonl", _jsonl(*rows)))
    assert (a.id, a.title, a.date, a.authors, a.categories, a.affiliations) == (
        "42",
        "Spaced title",
        "2021",
        ("Ada Lovelace", "Alan Turing"),
        ("cs.CL", "cs.LG"),
        (),
    )
    assert a.extra == (("flag", "true"), ("n", "1.5"))
    assert (b.id, b.date, b.authors, b.et_al, b.categories) == (
        "p2",
        "1999",
        ("Ada Lovelace",),
        False,
        ("stat.ML", "cs.IR"),
    )
    assert c.date == "2021"  # Arabic-Indic digits, written in ASCII


_SEPARATORS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"


@pytest.mark.parametrize("name, delimiter", [("seps.csv", ","), ("seps.tsv", "\t")])
def test_unicode_line_separators_are_field_text_in_csv(tmp_path, name, delimiter):
    """str.splitlines() breaks lines at U+2028 and friends: no reader may split records there."""
    d = delimiter
    content = (
        f"id{d}title{d}abstract\n"
        f"a{d}Title{_SEPARATORS}one{d}Ab{_SEPARATORS}stract\n"
        f"b{d}Two{d}\u2028lead and trail\x0b\n"
    )
    corpus = read_corpus(_write(tmp_path, name, content))
    assert corpus.ids == ["a", "b"] and corpus.stats.rows == 2
    assert corpus[0].title == "Title one"  # white space in a title: one space
    assert corpus[0].abstract == f"Ab{_SEPARATORS}stract"  # an abstract is kept as it is
    assert corpus[1].abstract == "\u2028lead and trail\x0b"


def test_unicode_line_separators_are_field_text_in_seed_and_jsonl(tmp_path):
    seed = _write(
        tmp_path, "seps.txt", f"CLJul 31, 2024\nA TitleAda Lovelace\nAb{_SEPARATORS}stract.\n"
    )
    (paper,) = read_corpus(seed)
    assert paper.abstract == f"Ab{_SEPARATORS}stract."
    raw = json.dumps({"id": "a", "title": "t", "abstract": f"x{_SEPARATORS}y"}, ensure_ascii=False)
    (paper,) = read_corpus(_write(tmp_path, "seps.jsonl", raw + "\n"))
    assert paper.abstract == f"x{_SEPARATORS}y"


def test_a_separator_only_first_line_is_not_the_csv_header(tmp_path):
    path = _write(tmp_path, "lead.csv", "\u2028\nid,title,abstract\n1,t,a\n")
    assert read_corpus(path).ids == ["1"]


def test_lone_cr_ends_lines_in_csv_and_seed_listings(tmp_path):
    """CSV and the seed listing accept \\n, \\r\\n and \\r; line numbers count them all."""
    csv_path = _write(tmp_path, "mac.csv", 'id,title,abstract\r1,"Two\rlines",a\r2,t,b\r')
    corpus = read_corpus(csv_path)
    assert corpus.ids == ["1", "2"] and corpus[0].title == "Two lines"
    assert error_of(_write(tmp_path, "mac2.csv", "id,title,abstract\r1,t,a\r2,t\r")) == (
        f"{tmp_path / 'mac2.csv'}:3: 2 fields, but the header has 3 (is a field with a ',' "
        "missing its quotes?)"
    )
    seed = _write(tmp_path, "mac.txt", "CLJul 31, 2024\rA TitleAda Lovelace\rText.\r")
    assert read_corpus(seed)[0].title == "A Title"
    jsonl = _write(
        tmp_path,
        "mac.jsonl",
        '{"id": "a", "title": "t", "abstract": "x"}\r{"id": "b", "title": "t", "abstract": "y"}\r',
    )
    assert error_of(jsonl) == f"{jsonl}:1: not valid JSON (Extra data at column 44)"


def test_error_messages_escape_control_characters_and_cut_long_column_lists(tmp_path):
    header = ",".join(["a\x01b"] + [f"col{i}" for i in range(100)])
    message = error_of(_write(tmp_path, "cols.csv", header + "\n" + "," * 100 + "\n"))
    assert "a\\x01b, col0, col1" in message and "... (101 in all)" in message
