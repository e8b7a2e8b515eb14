"""Identity, dates and limits when reading a corpus (issue 23).

- one paper per `ids.key`: arXiv versions merge into the latest, any other repeat is a
  duplicate; ids made from titles are unique across all the files of one `read_corpus`;
- a paper without a date takes its arXiv id's month ("YYYY-MM"), and every consumer of
  `Paper.date` takes that form;
- a line, a whole JSON file and a gzip file's expansion are bounded: the exact one-line error,
  at about the memory of the limit (a subprocess measures its peak).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import error_of  # tests/helpers.py

from explorer import ids
from explorer.building import BuildReport
from explorer.maps.figure import COLORINGS
from explorer.papers import Corpus, Paper
from explorer.readers import limits, read_corpus
from explorer.readers.common import normalize_date
from explorer.search.lookup import find_paper

ABSTRACT = "We study a problem of some interest."


def jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def rec(pid: str | None, title: str, **fields) -> dict:
    r = {"title": title, "abstract": f"{title}. {ABSTRACT}", **fields}
    if pid is not None:
        r = {"id": pid, **r}
    return r


# --------------------------------------------------------------------------- one paper per key


def test_versions_of_one_arxiv_id_are_one_paper_the_latest(tmp_path):
    path = jsonl(
        tmp_path / "p.jsonl",
        rec("2309.03824", "First Version", date="2023-09-07"),
        rec("other", "Another Paper"),
        rec("2309.03824v3", "Third Version", date="2024-01-02"),
        rec("2309.03824v2", "Second Version", date="2023-10-01"),
    )
    corpus = read_corpus(path)
    assert corpus.ids == ["2309.03824v3", "other"]  # the first one's place, the latest's id
    latest = corpus[0]
    assert (latest.title, latest.date) == ("Third Version", "2024-01-02")
    assert latest.abstract == f"Third Version. {ABSTRACT}"
    assert corpus.stats.merged_versions == 2
    assert corpus.stats.duplicate_ids == []


def test_look_up_by_any_form_finds_the_merged_paper(tmp_path):
    path = jsonl(
        tmp_path / "p.jsonl",
        rec("2309.03824v2", "Second Version"),
        rec("2309.03824v1", "First Version"),
        rec("x", "Other Paper Here"),
    )
    corpus = read_corpus(path)
    assert corpus.ids == ["2309.03824v2", "x"]
    for query in ("2309.03824", "2309.03824v1", "arXiv:2309.03824v2", "arxiv.org/abs/2309.03824"):
        m = find_paper(corpus, query)
        assert (m.how, m.paper.id, m.paper.title) == ("id", "2309.03824v2", "Second Version")


def test_an_explicit_version_beats_none_and_the_same_version_twice_is_a_duplicate(tmp_path):
    path = jsonl(
        tmp_path / "p.jsonl",
        rec("2309.03824v1", "Version One"),
        rec("2309.03824", "No Version Written"),  # lower than v1: merged away
        rec("arXiv:2309.03824v1", "Version One Again"),  # v1 again: a duplicate
        rec("hep-th/9901001", "Old Style"),
        rec("https://arxiv.org/abs/hep-th/9901001", "Old Style Again"),  # no version either
    )
    corpus = read_corpus(path)
    assert corpus.ids == ["2309.03824v1", "hep-th/9901001"]
    assert [p.title for p in corpus] == ["Version One", "Old Style"]
    assert corpus.stats.merged_versions == 1
    assert corpus.stats.duplicate_ids == [
        "arXiv:2309.03824v1",
        "https://arxiv.org/abs/hep-th/9901001",
    ]


def test_a_doi_in_another_case_is_the_same_paper(tmp_path):
    path = jsonl(
        tmp_path / "p.jsonl",
        rec("10.1145/ABC.123", "Upper"),
        rec("doi:10.1145/abc.123", "Lower"),
    )
    corpus = read_corpus(path)
    assert corpus.ids == ["10.1145/ABC.123"]
    assert corpus.stats.duplicate_ids == ["doi:10.1145/abc.123"]
    assert corpus.stats.merged_versions == 0


def test_versions_merge_across_files_and_a_repeated_id_is_still_a_duplicate(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", rec("2503.16177v1", "Old Text"), rec("p1", "Mine"))
    b = jsonl(tmp_path / "b.jsonl", rec("p1", "Mine Again"), rec("2503.16177v2", "New Text"))
    corpus = read_corpus([a, b])
    assert corpus.ids == ["2503.16177v2", "p1"]
    assert [p.title for p in corpus] == ["New Text", "Mine"]
    assert (corpus.stats.merged_versions, corpus.stats.duplicate_ids) == (1, ["p1"])


def test_a_corpus_made_directly_merges_the_same_way():
    corpus = Corpus(
        [Paper("2309.03824", "A", ABSTRACT), Paper("2309.03824v2", "B", ABSTRACT, date="2024")]
    )
    assert [(p.id, p.title, p.date) for p in corpus] == [("2309.03824v2", "B", "2024")]
    assert corpus.position("2309.03824v2") == 0 and "2309.03824" not in corpus
    assert corpus.stats.merged_versions == 1


def test_ids_version():
    assert ids.version("2309.03824v12") == 12
    assert ids.version("https://arxiv.org/abs/hep-th/9901001v2") == 2
    assert ids.version("2309.03824") is None and ids.version("my-slug-v2") is None


# --------------------------------------------------------------------------- slugs across files


def test_slugs_are_unique_across_the_files_of_one_corpus(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", rec(None, "Attention Is All You Need"))
    b = jsonl(tmp_path / "b.jsonl", rec(None, "Attention is all you need"), rec(None, "Other"))
    c = tmp_path / "c.csv"
    c.write_text(f"title,abstract\nAttention Is All You Need,{ABSTRACT}\n", encoding="utf-8")
    corpus = read_corpus([a, b, c])
    assert corpus.ids == [
        "attention-is-all-you-need",
        "attention-is-all-you-need-2",
        "other",
        "attention-is-all-you-need-3",
    ]
    assert corpus.stats.duplicate_ids == []


def test_a_slug_never_takes_an_id_an_earlier_file_gave(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", rec("attention-is-all-you-need", "Given Its Own Id"))
    b = jsonl(tmp_path / "b.jsonl", rec(None, "Attention Is All You Need"))
    corpus = read_corpus([a, b])
    assert corpus.ids == ["attention-is-all-you-need", "attention-is-all-you-need-2"]
    assert corpus.stats.duplicate_ids == []


def test_one_file_still_gets_the_slugs_it_got(tmp_path):
    path = jsonl(
        tmp_path / "a.jsonl", rec(None, "Same"), rec(None, "Same", abstract="Another text.")
    )
    assert read_corpus(path).ids == ["same", "same-2"]
    assert read_corpus(path).ids == ["same", "same-2"]  # a new call, a new allocator


def test_the_same_title_and_abstract_again_is_one_paper_not_a_new_slug(tmp_path):
    """Two reading lists without ids that share a paper: it is kept once (a duplicate), and a
    paper that only shares its title still gets its own slug."""
    a = jsonl(tmp_path / "a.jsonl", rec(None, "Shared Paper"), rec(None, "Only In A"))
    b = tmp_path / "b.csv"
    b.write_text(
        "title,abstract\n"
        f"Only In B,{ABSTRACT}\n"
        f"Shared Paper,Shared Paper. {ABSTRACT}\n"
        f"Shared Paper,A different abstract.\n",
        encoding="utf-8",
    )
    corpus = read_corpus([a, b, a])
    assert corpus.ids == ["shared-paper", "only-in-a", "only-in-b", "shared-paper-2"]
    assert corpus[3].abstract == "A different abstract."
    assert corpus.stats.duplicate_ids == ["shared-paper", "shared-paper", "only-in-a"]


# --------------------------------------------------------------------------- dates from ids


@pytest.mark.parametrize(
    "pid, month",
    [
        ("2503.16177", "2025-03"),
        ("2503.16177v2", "2025-03"),
        ("arXiv:2503.16177", "2025-03"),
        ("https://arxiv.org/abs/2503.16177v1", "2025-03"),
        ("0704.0001", "2007-04"),
        ("1412.9999", "2014-12"),
        ("1501.00001", "2015-01"),
        ("hep-th/9901001", "1999-01"),
        ("math.AG/0703001", "2007-03"),
        ("cond-mat/9108001", "1991-08"),
        ("0703.0001", None),  # new-style ids began in April 2007
        ("2513.00001", None),  # no 13th month
        ("1501.1234", None),  # four digits only up to 1412
        ("1412.12345", None),  # five from 1501
        ("hep-th/0704001", None),  # old-style ids ended in March 2007
        ("hep-th/9107001", None),
        ("my-paper", None),
        ("10.1145/3580305.3599256", None),
        ("٢٥٠٣.١٦١٧٧", None),  # other scripts' digits are no arXiv month
    ],
)
def test_ids_month(pid, month):
    assert ids.month(pid) == month


def test_a_paper_without_a_date_takes_its_arxiv_ids_month(tmp_path):
    path = jsonl(
        tmp_path / "p.jsonl",
        rec("2503.16177", "Dated By Id"),
        rec("0704.0001", "Also By Id", date=""),
        rec("2503.00002", "Own Date", date="2024-12-31"),
        rec("2503.00003", "Own Year", year=2020),
        rec("my-id", "No Date At All"),
    )
    corpus = read_corpus(path)
    assert [p.date for p in corpus] == ["2025-03", "2007-04", "2024-12-31", "2020", None]
    assert [p.year for p in corpus] == [2025, 2007, 2024, 2020, None]
    assert corpus.stats.dates_from_ids == 2


def test_dates_from_ids_in_csv_and_a_month_column_is_kept_as_a_month(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        f"id,title,abstract,date\n2503.16177,A,{ABSTRACT},\n2401.00001,B,{ABSTRACT},2023-7\n",
        encoding="utf-8",
    )
    corpus = read_corpus(path)
    assert [p.date for p in corpus] == ["2025-03", "2023-07"]
    assert corpus.stats.dates_from_ids == 1
    assert normalize_date("2021-07") == "2021-07" and normalize_date("2021-7") == "2021-07"


def test_stats_merge_adds_the_new_counts(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", rec("2503.16177", "A"), rec("2503.16177v2", "A2"))
    b = jsonl(tmp_path / "b.jsonl", rec("2504.00001", "B"))
    stats = read_corpus([a, b]).stats
    assert (stats.rows, stats.merged_versions, stats.dates_from_ids) == (3, 1, 3)


def test_a_month_date_reads_everywhere_a_date_is_used():
    p = Paper("2503.16177", "T", ABSTRACT, date="2025-03")
    assert p.year == 2025
    assert p.to_dict()["date"] == "2025-03" and Paper.from_dict(p.to_dict()) == p
    values = {c.name: c.values for c in COLORINGS}
    by_date, by_year = values["date"], values["year"]
    assert by_date is not None and by_year is not None
    # a month colours at its first day (2025-03-01 is day 60 of 365), not at New Year
    assert by_date([p]) == [pytest.approx(2025 + 59 / 365)] and by_year([p]) == [2025]


def test_the_build_summary_says_what_was_merged_and_dated(tmp_path):
    report = BuildReport(
        corpus="c",
        papers=10,
        rows=12,
        skipped_no_abstract=0,
        duplicate_ids=["p1"],
        embedded=10,
        reused=0,
        up_to_date=False,
        seconds=1.0,
        path=tmp_path,
        merged_versions=1,
        dates_from_ids=7,
    )
    assert report.summary() == (
        "c: 10 papers, 1 duplicate ids kept once (p1), 1 other arXiv version merged "
        "(the latest kept), 7 dates taken from arXiv ids; embedded 10, reused 0 cached; 1.0s"
    )
    report.merged_versions, report.dates_from_ids = 2, 1
    assert ", 2 other arXiv versions merged (the latest kept), 1 date taken from arXiv ids;" in (
        report.summary()
    )
    report.merged_versions = report.dates_from_ids = 0
    assert "arXiv" not in report.summary()


# --------------------------------------------------------------------------- bounded reading


def test_limits_are_stated():
    assert limits.LINE_LIMIT == 64 << 20 and limits.TEXT_LIMIT == 1 << 30
    assert (limits.BOMB_RATIO, limits.BOMB_FLOOR) == (100, 64 << 20)
    assert [limits.size(n) for n in (64 << 20, 1 << 30, 1536, 100)] == [
        "64 MiB",
        "1 GiB",
        "1.5 KiB",
        "100 bytes",
    ]


@pytest.fixture
def small(monkeypatch):
    """Limits small enough to pass in a test file of a few KiB."""
    monkeypatch.setattr(limits, "LINE_LIMIT", 1024)
    monkeypatch.setattr(limits, "TEXT_LIMIT", 16384)
    monkeypatch.setattr(limits, "BOMB_FLOOR", 8192)
    monkeypatch.setattr(limits, "CHUNK", 512)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".csv", ".txt"])
def test_a_line_longer_than_the_limit_is_an_error_naming_it(tmp_path, small, suffix):
    head = (
        json.dumps(rec("a", "Short")) + "\n"
        if suffix.startswith(".jsonl")
        else "title,abstract\n"
        if suffix == ".csv"
        else "CLJul 31, 2024\n"
    )
    data = (head + "x" * 1024 + "\n").encode()
    path = tmp_path / f"p{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    assert error_of(path) == f"{path}:2: a line longer than 1 KiB"


def test_a_line_at_the_limit_reads(tmp_path, small):
    line = json.dumps({"id": "a", "title": "T" * 900, "abstract": ABSTRACT})
    line += " " * (1023 - len(line))
    path = tmp_path / "p.jsonl"
    path.write_text(line + "\n" + json.dumps(rec("b", "Next")) + "\n", encoding="utf-8")
    assert read_corpus(path).ids == ["a", "b"]


def test_lines_ended_by_a_lone_cr_are_split_past_the_cap(tmp_path, small):
    """A file whose lines end at `\\r` reads as many short lines however long it is, and one
    long line among them is named by its number."""
    rows = [f"p{i},Title {i},{ABSTRACT}" for i in range(60)]  # ~3 KiB, no "\n" anywhere
    path = tmp_path / "p.csv"
    path.write_bytes(("id,title,abstract\r" + "\r".join(rows) + "\r\n").encode())
    assert read_corpus(path).ids == [f"p{i}" for i in range(60)]
    rows[40] = f"p40,{'L' * 1100},{ABSTRACT}"
    path.write_bytes(("id,title,abstract\r" + "\r".join(rows) + "\r").encode())
    assert error_of(path) == f"{path}:42: a line longer than 1 KiB"


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_a_json_file_larger_than_the_limit_is_refused(tmp_path, small, suffix):
    papers = [rec(f"p{i}", f"Title {i}") for i in range(200)]
    data = json.dumps(papers, indent=1).encode()
    assert len(data) > 16384
    path = tmp_path / f"p{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    assert error_of(path) == (
        f"{path}: more than 16 KiB of text, too much to read as one document; give the papers "
        "as JSON Lines (.jsonl, one paper a line), read a line at a time"
    )
    cut = data[:16000]
    path.write_bytes(gzip.compress(cut) if suffix.endswith(".gz") else cut)
    assert "too much" not in error_of(path)  # under the limit: read (and found cut short)


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".json.gz", ".csv.gz", ".txt.gz"])
def test_a_gzip_file_that_expands_too_much_is_refused(tmp_path, small, suffix):
    path = tmp_path / f"p{suffix}"
    path.write_bytes(gzip.compress(b" " * 200 + b"\n") * 200)  # 40 KiB out of ~6 KiB: ~7x
    assert len(path.read_bytes()) * 100 > 200 * 201
    assert "decompression bomb" not in error_of(path)  # not a bomb: read, and empty
    path.write_bytes(gzip.compress(b" " * 1000 + b"\n" + b"\n" * 20_000))  # ~21 KiB from ~70 B
    assert error_of(path) == (
        f"{path}: the gzip file expands more than 100 times (a decompression bomb?)"
    )


def test_a_bomb_of_papers_stops_at_the_floor(tmp_path, small):
    line = (json.dumps(rec("2503.16177", "Same Paper")) + "\n").encode()
    path = tmp_path / "p.jsonl.gz"
    path.write_bytes(gzip.compress(line * 10_000))
    assert error_of(path) == (
        f"{path}: the gzip file expands more than 100 times (a decompression bomb?)"
    )


_PEAK = """
import resource, sys
from explorer.papers import ExplorerError
from explorer.readers import read_corpus
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_corpus(sys.argv[1])
    print("read")
except ExplorerError as e:
    print(e)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def peak_read(path: Path) -> tuple[str, int]:
    """The message of reading `path` in a fresh process, and its peak memory growth in MiB."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PEAK), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    return out[0], int(out[1])


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv.gz"])
def test_a_2_gib_line_in_a_small_gzip_is_refused_at_the_real_limit(tmp_path, suffix):
    """The issue's file: a ~2 MB .gz holding one 2 GiB line (32 gzip members of 64 MiB of
    "a": made in a moment). Refused at 64 MiB, with about that much memory, not 5 GB."""
    member = gzip.compress(b"a" * (64 << 20), compresslevel=9)
    path = tmp_path / f"big{suffix}"
    with path.open("wb") as f:
        if suffix == ".csv.gz":
            f.write(gzip.compress(b"title,abstract\n"))
        for _ in range(32):
            f.write(member)
    assert path.stat().st_size < 4 << 20
    message, peak = peak_read(path)
    line = 2 if suffix == ".csv.gz" else 1
    assert message == f"{path}:{line}: a line longer than 64 MiB"
    assert peak < 200, f"{peak} MiB"


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".json.gz"])
def test_a_bomb_is_refused_at_the_real_limit_in_little_memory(tmp_path, suffix):
    """More than 64 MiB of blank lines from about 100 KB: refused, holding about one line
    (lines) or the floor (JSON, read whole)."""
    member = gzip.compress(b" " * ((1 << 20) - 1) + b"\n", compresslevel=9)
    path = tmp_path / f"bomb{suffix}"
    with path.open("wb") as f:
        if suffix == ".json.gz":
            f.write(gzip.compress(b"["))
        for _ in range(100):
            f.write(member)
    message, peak = peak_read(path)
    assert message == f"{path}: the gzip file expands more than 100 times (a decompression bomb?)"
    assert peak < (40 if suffix == ".jsonl.gz" else 120), f"{peak} MiB"
