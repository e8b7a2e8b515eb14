"""Fuzzing the readers (and `explorer build` on bad input) with hypothesis.

Every generated file, of every format, either reads as exactly the papers it holds (with every
field of the right type), or is refused with an ExplorerError whose message is one line naming
the file (and the line and field where the generator knows them). Never another exception,
never a hang (a 10 s alarm per case), never a wrongly typed field accepted. The generators and
the property live in tests/fuzzing.py, shared with benchmarks/fuzz.py (10,000 cases).

The budget is fixed and the run derandomized, so CI is reproducible: EXPLORER_FUZZ_CASES
(default 600) examples in all, shared out between the tests below.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import fuzzing
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.readers.seed import parse_author_list, split_title_authors

BUDGET = int(os.environ.get("EXPLORER_FUZZ_CASES", "600"))


def budget(share: float, least: int = 5) -> settings:
    return settings(
        max_examples=max(least, int(BUDGET * share)),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="explorer-fuzz-") as d:
        yield Path(d)


def check(case: fuzzing.Case, workdir: Path) -> fuzzing.Outcome:
    outcome = fuzzing.run_case(case, workdir)
    assert outcome.kind in fuzzing.GOOD, f"{outcome.kind}: {outcome.detail}\n{case!r}"
    return outcome


@budget(0.30)
@given(case=fuzzing.valid_case())
def test_valid_files_read_exactly(workdir, case):
    outcome = check(case, workdir)
    assert outcome.kind == ("error" if case.must_fail else "exact"), outcome


@budget(0.15)
@given(
    case=st.one_of(
        fuzzing.wrong_type_case(), fuzzing.surrogate_case(), fuzzing.id_in_slug_file_case()
    )
)
def test_wrong_types_are_errors_naming_line_and_field(workdir, case):
    assert check(case, workdir).kind == "error"


@budget(0.20)
@given(case=fuzzing.structure_case())
def test_broken_files_fail_at_the_right_line(workdir, case):
    check(case, workdir)


@budget(0.30)
@given(case=fuzzing.mutated_case())
def test_damaged_files_are_papers_or_one_line_errors(workdir, case):
    check(case, workdir)


@pytest.mark.parametrize("case", fuzzing.path_cases(), ids=lambda c: c.note)
def test_paths_that_are_not_files(workdir, case):
    assert check(case, workdir).kind == "error"


# --------------------------------------------------------------------------- the seed splitter


def _quadratic_split(line: str):
    """The old `split_title_authors`: parse_author_list at every glue point (quadratic)."""
    body, sep, affs = line.rpartition(" · ")
    if not sep:
        body, affs = line, ""
    affiliations = [a.strip() for a in affs.split(",") if a.strip()]
    points = [i for i in range(1, len(body)) if body[i].isupper() and body[i - 1] not in " -\t"]
    for relaxed in (False, True):
        for i in points:
            parsed = parse_author_list(body[i:], relaxed)
            title = " ".join(body[:i].split())
            if parsed is not None and title:
                return title, parsed[0], parsed[1], affiliations
    return None


_PIECES = (
    "Ab",
    "Cd",
    "LeCun",
    "van",
    "de",
    "A.",
    "SL",
    "O'Brien",
    "Jean-Pierre",
    "Hung-yi",
    "x",
    "et",
    "al",
    "al.",
    "RL",
    "aB",
    "zhou",
    "-",
    ",",
    ", ",
    " ",
    " · ",
    "Q",
    "McDonald",
    "III",
    "\t",
    "Élodie",
    "é",
    "1",
    "..",
    "A.B.",
    "Size",
    "Gemma",
    " et al.",
    "'",
)


@budget(0.5, least=200)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join))
def test_linear_title_author_split_matches_the_quadratic_one(line):
    assert split_title_authors(line) == _quadratic_split(line)


# --------------------------------------------------------------------------- the command line


def _one_error_line(result, path: str | None = None) -> str:
    assert result.exit_code in (1, 2), (result.exit_code, result.output)
    assert result.exc_info is None or isinstance(result.exc_info[1], SystemExit), result.exc_info
    assert "Traceback" not in result.output
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert result.stdout == ""
    error = [x for x in lines if x.startswith("Error: ")]
    assert len(error) == 1, result.stderr
    if result.exit_code == 1:  # a library error: exactly one line on stderr
        assert len(lines) == 1, result.stderr
    if path is not None:
        assert error[0].startswith(f"Error: {path}"), error[0]
    return error[0]


@pytest.fixture(scope="module")
def cli(workdir):
    from explorer.cli import main

    runner = CliRunner()
    env = {"EXPLORER_CACHE": str(workdir / "cache"), "EXPLORER_MODELS": str(workdir / "models")}

    def invoke(args):
        return runner.invoke(main, args, env=env, catch_exceptions=True)

    return invoke


_BAD = st.one_of(fuzzing.wrong_type_case(), fuzzing.structure_case().filter(lambda c: c.must_fail))


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(case=_BAD)
def test_cli_build_of_a_bad_file_is_one_error_line(cli, workdir, case):
    """`explorer build FILE --no-map`: reading fails before any model is loaded."""
    folder = Path(tempfile.mkdtemp(dir=workdir))
    path = fuzzing.materialise(case, folder)
    args = ["build", str(path), "--no-map", "--quiet"]
    if "listing_year" in case.kwargs:
        args += ["--listing-year", str(case.kwargs["listing_year"])]
    _one_error_line(cli(args), str(path))
    assert not (workdir / "models").exists()  # no model was fetched or exported


@pytest.mark.parametrize("case", fuzzing.path_cases(), ids=lambda c: c.note)
def test_cli_build_of_a_path_that_is_not_a_file(cli, workdir, case):
    folder = Path(tempfile.mkdtemp(dir=workdir))
    path = fuzzing.materialise(case, folder)
    _one_error_line(cli(["build", str(path), "--no-map", "--quiet"]), str(path))


@pytest.mark.parametrize(
    "args, code, pattern",
    [
        (
            ["build", "{data}/generic.jsonl", "--format", "nonsense"],
            2,
            r"'nonsense' is not one of 'seed', 'jsonl', 'json', 'csv', 'tsv', 'arxiv'",
        ),
        (["build", "{data}/generic.jsonl", "--column", "junk"], 1, r"--column takes FIELD=COLUMN"),
        (["build", "{data}/generic.jsonl", "--column", "autors=x"], 1, r"unknown field 'autors'"),
        (["build", "{data}/generic.jsonl", "--listing-year", "soon"], 2, r"'soon' is not a valid"),
        (["build", "{data}/generic.jsonl", "--listing-year", "99"], 1, r"four-digit year"),
        (["build", "{data}/no-such-file.csv"], 1, r"no-such-file.csv: file not found"),
        (["build", "{data}"], 1, r"is a directory"),
        (["search", "attention", "-k", "-1"], 1, r"k must be a positive integer"),
        (["search", "attention", "-k", "many"], 2, r"'many' is not a valid integer"),
        (["search", "attention", "--mode", "nonsense"], 2, r"'nonsense' is not one of"),
        (["search", "attention", "--diverse", "2"], 2, r"2.0? is not in the range"),
        (["search", "attention", "--corpus", "nope", "--year", "junk"], 1, r"corpus 'nope'"),
        (["related", "--corpus", "nope"], 1, r"give at least one paper"),
        (["related", "x", "--corpus", "nope"], 1, r"corpus 'nope' is not built"),
        (["topics", "--corpus", "nope"], 1, r"corpus 'nope' is not built"),
        (["map", "--corpus", "nope"], 1, r"corpus 'nope' is not built"),
        (["build", "--bogus-option"], 2, r"No such option:? '?--bogus-option"),
    ],
)
def test_cli_bad_arguments_are_one_line(cli, args, code, pattern):
    data = str(Path(__file__).resolve().parent / "data")
    result = cli([a.replace("{data}", data) for a in args])
    line = _one_error_line(result)
    assert result.exit_code == code, result.output
    assert re.search(pattern, line), line


# --------------------------------------------------------------------------- library files


@pytest.mark.parametrize("case", fuzzing.library_special_cases(), ids=lambda c: c.note)
def test_hard_library_files_read_or_fail_in_one_line(workdir, case):
    outcome = check(case, workdir)
    if case.must_fail:
        assert outcome.kind == "error", outcome


@budget(0.25)
@given(case=fuzzing.library_case())
def test_damaged_library_files_are_papers_or_one_line_errors(workdir, case):
    check(case, workdir)


def test_a_50000_entry_bib_reads_in_seconds(tmp_path):
    """50,000 entries, each with a macro, a `#`, LaTeX and a crossref: read in a few seconds
    (most go to bibtexparser's splitter), every one kept."""
    import time

    from explorer.readers import read_corpus

    entries = ['@string{pub = {Springer}}\n@proceedings{conf, title = {Proc. of \\"Uber}}\n']
    entries += [
        f"@inproceedings{{k{i},\n  title = {{Paper {{{i}}} on Caf\\'e}},\n"
        f"  author = {{Ba, A. and Du, C.}},\n  year = {{{2000 + i % 20}}},\n"
        f"  publisher = pub # {{ Verlag}},\n  crossref = {{conf}}\n}}\n"
        for i in range(50_000)
    ]
    path = tmp_path / "big.bib"
    path.write_text("".join(entries), encoding="utf-8")
    start = time.perf_counter()
    corpus = read_corpus(path)
    seconds = time.perf_counter() - start
    assert len(corpus) == 50_001 and corpus.stats.skipped_entries == 0
    p = corpus.get("ba-2007-paper-7-on-cafe")
    assert (p.title, p.venue, p.no_abstract) == ("Paper 7 on Café", "Proc. of Über", True)
    assert dict(p.entry)["publisher"] == "Springer Verlag"
    assert seconds < 60, seconds
