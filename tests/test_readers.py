"""Tests for `explorer.readers`: the real seed listing, every supported format on small fixture
files (tests/data/), the one-line error messages, and the shared arXiv data when present."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

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


def error_of(*args, **kwargs) -> str:
    """The message of the ExplorerError that read_corpus raises; it must be one line."""
    with pytest.raises(ExplorerError) as info:
        read_corpus(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return message


# --------------------------------------------------------------------------- seed listing


def test_seed_titles_exact(seed):
    assert [p.title for p in seed] == SEED_TITLES
    assert seed.stats.rows == 41 and seed.stats.skipped_no_abstract == 0
    assert seed.stats.duplicate_ids == []


@pytest.mark.parametrize(
    "index, category, date, has_code, authors, et_al, affiliations",
    [
        (0, "cs.CL", "2024-07-31", False, ("Gemma Team", "Morgane Riviere", "Shreya Pathak"),
         True, ("deepmind",)),
        (3, "cs.IR", "2023-07-26", False, ("Scott Sanner", "Krisztian Balog", "Filip Radlinski"),
         True, ()),
        (5, "cs.CL", "2023-02-01", False, ("Léo Laugier", "Raghuram Vadapalli", "Thomas Bonald"),
         True, ()),
        (8, "cs.AI", "2026-05-07", False, ("Alex Bäuerle", "Adam Connors", "Alexander Novikov"),
         True, ()),
        (9, "cs.CL", "2024-03-08", False, ("Gemini Team", "Petko Georgiev", "Ving Ian Lei"),
         True, ("deepmind", "mila")),
        (11, "cs.CL", "2024-04-11", True, ("Ian Tenney", "Ryan Mullins", "Bin Du"),
         True, ("deepmind",)),
        (13, "cs.CL", "2026-05-12", False, ("Maxime Guigon", "Lucas Dixon", "Michaël E. Sander"),
         False, ()),
        (15, "cs.HC", "2025-10-14", True, ("Crystal Qian", "Vivian Tsai", "Michael Behr"),
         True, ()),
        (18, "cs.LG", "2023-12-06", False, ("Dan Friedman", "Andrew Lampinen", "Lucas Dixon"),
         True, ("princeton",)),
        (23, "cs.CL", "2025-03-05", False, ("Jessica Hoffmann", "Christiane Ahlheim", "Zac Yu"),
         True, ()),
        (28, "cs.CL", "2021-12-13", False, ("Nan Du", "Yanping Huang", "Andrew M. Dai"),
         True, ()),
        (36, "stat.ML", "2019-03-05", False, ("Daniel Borkan", "Lucas Dixon", "John Li"),
         True, ()),
        (37, "cs.CL", "2018-10-31", False,
         ("Yiqing Hua", "Cristian Danescu-Niculescu-Mizil", "Dario Taraborelli"), True, ()),
        (40, "cs.NI", "2016-05-13", False,
         ("Lucas Dixon", "Thomas Ristenpart", "Thomas Shrimpton"), False, ()),
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
        ("Deep Learning in PracticeYann LeCun, Yoshua Bengio", "Deep Learning in Practice",
         ["Yann LeCun", "Yoshua Bengio"], False),
        ("WaveNet: A Generative Model for Raw AudioAaron van den Oord, Sander Dieleman et al.",
         "WaveNet: A Generative Model for Raw Audio", ["Aaron van den Oord", "Sander Dieleman"],
         True),
        ("Scaling Laws for GPT-4Jane O'Brien, Mary McDonald", "Scaling Laws for GPT-4",
         ["Jane O'Brien", "Mary McDonald"], False),
        ("Evaluation in AIAlice Smith", "Evaluation in AI", ["Alice Smith"], False),
        ("Human-AI Teaming with LLMsJ.-P. Martin", "Human-AI Teaming with LLMs", ["J.-P. Martin"],
         False),
        ("Length-Controlled Generation with LLMsJuncheng Xie, Hung-yi Lee",
         "Length-Controlled Generation with LLMs", ["Juncheng Xie", "Hung-yi Lee"], False),
        # lower-case surnames only pass in the fallback pass, when no strict split exists
        ("Superposition Yields Robust Neural ScalingYizhou liu, Ziming Liu, Jeff Gore",
         "Superposition Yields Robust Neural Scaling", ["Yizhou liu", "Ziming Liu", "Jeff Gore"],
         False),
    ],
)
def test_split_title_authors(line, title, authors, et_al):
    assert split_title_authors(line) == (title, authors, et_al, [])


def test_author_list_rejects_title_fragments():
    assert parse_author_list("I-Guided Mathematical DiscoveryAlex Bäuerle, Adam Connors") is None
    assert parse_author_list("LJessica Hoffmann, Zac Yu") is None
    assert parse_author_list("Conv: A Corpus of the Complete Conversational History") is None
    assert parse_author_list("Ada Lovelace, Alan Turing et al.") == (
        ["Ada Lovelace", "Alan Turing"], True)


def _seed_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "listing.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("XQJul 31, 2024\nA TitleAda Lovelace\nAbstract.\n",
         ":1: unknown subject 'XQ' in 'XQJul 31, 2024' (known: AI, AR, CC, CE, CG, CL, CR, CV, CY, "
         "DB, DC, DL, DM, DS, ET, FL, GL, GR, GT, HC, IR, IT, LG, LO, MA, MM, MS, NA, NE, NI, OH, "
         "OS, PF, PL, RO, SC, SD, SE, SI, SY, ML)"),
        ("A TitleAda Lovelace\nAbstract.\n",
         ":1: expected a listing header such as 'CLJul 31, 2024' (subject glued to the date), got "
         "'A TitleAda Lovelace'"),
        ("CLJul 31, 2024\nA TitleAda Lovelace\nAbstract.\nA stray line\n",
         ":4: the entry that starts on line 1 already has its 3 lines (header, title+authors, "
         "abstract); expected a new header such as 'CLJul 31, 2024' (subject glued to the date), "
         "got 'A stray line'"),
        ("CLJul 31, 2024\nA TitleAda Lovelace\nAbstract.\n\nLGMar 1, 2023\nOnly TitleBo Li\n",
         ":5: this entry has 2 line(s) but needs 3 (header, title+authors, abstract)"),
        ("CLJul 31, 2024\nno authors here at all\nAbstract.\n",
         ":2: cannot tell the title from the authors in 'no authors here at all' (expected the "
         "title glued to 'First Last, First Last et al.')"),
        ("CLFeb 30, 2024\nA TitleAda Lovelace\nAbstract.\n", ":1: no such date: 'CLFeb 30, 2024'"),
        ("CLJux 3, 2024\nA TitleAda Lovelace\nAbstract.\n",
         ":1: unknown month 'Jux' in 'CLJux 3, 2024'"),
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
    assert first.text.startswith("Calculation of prompt diphoton production cross sections at "
                                 "Tevatron and LHC energies. A fully differential calculation")
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


def test_slugify_and_dates():
    assert slugify("Gemma 2: Improving Open Language Models at a Practical Size") == (
        "gemma-2-improving-open-language-models")
    assert slugify("Who's asking? Ça va") == "whos-asking-ca-va"
    assert slugify("Decoding-time Realignment of Language Models") == "decoding-time-realignment-of-language-models"
    assert slugify("深度学习").startswith("paper-")
    assert normalize_date("Mon, 2 Apr 2007 19:18:42 GMT") == "2007-04-02"
    assert normalize_date("2024-07-31T12:00:00Z") == "2024-07-31"
    assert normalize_date("Jul 31, 2024") == "2024-07-31"
    assert normalize_date(2021) == "2021" and normalize_date("2021-07") == "2021"
    assert normalize_date(" ") is None


# --------------------------------------------------------------------------- bad input


BAD_INPUTS = [
    ("papers.jsonl", b'{"id": "a", "title": "t", "abstract": "x"}\n\n{"id": "b", "title": "t" '
     b'"abstract": "x"}\n', {}, ":3: not valid JSON (Expecting ',' delimiter at column 26)"),
    ("empty.jsonl", b"", {}, ": no papers (empty file)"),
    ("latin1.csv", b"id,title,abstract\n1,Caf\xc3\xa9,ok\n2,Caf\xe9,bad\n", {},
     ":3: not UTF-8 text (byte 0xe9); re-save the file as UTF-8"),
    ("refs.csv", b"id,name,summary\n1,a,b\n", {},
     ": no 'abstract' column (columns: id, name, summary); map one with "
     "columns={'abstract': ...} / --column abstract=summary"),
    ("refs2.csv", b"id,name,summary\n1,a,b\n", {"columns": {"abstract": "summary"}},
     ": no 'title' column (columns: id, name, summary); map one with "
     "columns={'title': ...} / --column title=name"),
    ("notitle.jsonl", b'{"abstract": "x", "year": 2020}\n', {},
     ": no 'title' column (columns: abstract, year); map one with columns={'title': ...} / "
     "--column title=..."),
    ("mapped.csv", b"id,title,summary\n1,a,b\n", {"columns": {"abstract": "summry"}},
     ": no 'summry' column (mapped to 'abstract') (columns: id, title, summary)"),
    ("blank.jsonl", b'{"id": "a", "title": "t", "abstract": "x"}\n{"id": "b", "title": " ", '
     b'"abstract": "x"}\n', {}, ":2: no title (the 'title' field is empty)"),
    ("noid.jsonl", b'{"id": "a", "title": "t", "abstract": "x"}\n{"id": "", "title": "u", '
     b'"abstract": "x"}\n', {}, ":2: no id (the 'id' field is empty)"),
    ("date.csv", b"id,title,abstract,date\n1,t,a,someday\n", {},
     ":2: unrecognised date 'someday' (use YYYY-MM-DD or a year)"),
    ("fields.csv", b'id,title,abstract\n1,"a,b",c,d\n', {},
     ":2: 4 fields, but the header has 3 (is a field with a ',' missing its quotes?)"),
    ("header.csv", b"id,title,abstract\n", {}, ": no papers (only a header row)"),
    ("dupcol.csv", b"id,title,title,abstract\n", {},
     ":1: the header names the column 'title' twice"),
    ("allblank.jsonl", b'{"id": "a", "title": "t", "abstract": ""}\n', {},
     ": no papers (none of its 1 rows has an abstract)"),
    ("list.jsonl", b'[{"id": "a"}]\n', {},
     ":1: expected a JSON object per line, got a list (a JSON array belongs in a .json file)"),
    ("pretty.jsonl", b'[\n  {"id": "a"}\n]\n', {},
     ":1: not valid JSON (Expecting value at column 2); is this a pretty-printed .json file? "
     "name it .json or pass fmt='json'"),
    ("bad.json", b'[\n {"id": "a", "title": "t", "abstract": "x"},\n {"id": "b"}\n {"id": "c"}\n]',
     {}, ":4: not valid JSON (Expecting ',' delimiter at column 2)"),
    ("nums.json", b"[\n1, 2]", {}, ":2: expected a JSON object for each paper, got a number"),
    ("obj.json", b'{"items": []}', {},
     ': expected a JSON array of papers or an object with a "papers" list (keys: items)'),
    ("emptylist.json", b"[]", {}, ": no papers (the list is empty)"),
    ("notes.docx", b"hello", {},
     ": unknown file type '.docx' (supported: .txt (seed listing), .jsonl, .ndjson, .json, "
     ".csv, .tsv, each optionally .gz; or pass fmt=...)"),
    ("broken.jsonl.gz", b"not gzip at all", {},
     ": not a valid gzip file (Not a gzipped file (b'no'))"),
    ("short.jsonl.gz", gzip.compress(b'{"id": "a", "title": "t", "abstract": "x"}\n' * 50)[:40],
     {}, ": the gzip file is truncated (it ends in the middle of the data)"),
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
        "unknown format 'xml' (choose from: seed, jsonl, json, csv, tsv, arxiv)")
    assert error_of(DATA / "refs.csv", columns={"author": "authors"}) == (
        "columns: unknown field 'author' (did you mean 'authors'? fields: id, title, abstract, "
        "authors, affiliations, categories, date, year)")


# --------------------------------------------------------------------------- the shared data


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared arXiv data lives on the dev machines)")
    return path


def test_arxiv_cs_2025_first_rows(tmp_path):
    source = _require(ARXIV / "papers.jsonl.gz")
    head = tmp_path / "head.jsonl.gz"
    with gzip.open(source, "rb") as src, gzip.open(head, "wb") as dst:
        for _, line in zip(range(20), src):
            dst.write(line)
    corpus = read_corpus(head)
    assert len(corpus) == 20 and corpus.stats.rows == 20
    first = corpus[0]
    assert first.id == "2503.11677"
    assert first.title == (
        "Simulation of prosthetic vision with PRIMA system and enhancement of face representation"
    )
    assert first.authors == ("Jungyeon Park", "Anna Kochnev Goldstein", "Yueming Zhou",
                             "Nathan Jensen", "Daniel Palanker")
    assert first.categories == ("cs.HC", "cs.CV")
    assert first.date == "2025-03-18"
    assert first.extra == ()  # "comment": null
    assert first.abstract.startswith("Objective. Patients implanted with the PRIMA photovoltaic "
                                     "subretinal\nprosthesis")
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
    assert all(label == p.primary_category for label, p in zip(labels, corpus))

