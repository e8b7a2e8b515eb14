"""Text cleaning that every input finishes, and that on ordinary text says what it always said.

The hostile inputs below hung `explorer build` for minutes (issue 10's fuzz probe): regular
expressions that backtrack or rescan on unbalanced LaTeX, sentence splitting that re-searched
every piece, and a year range with a long run of spaces. Each now runs in linear time; the
guard below fails a test that takes more than 20 s (a hang, not a speed target).
"""

from __future__ import annotations

import re

import pytest
from helpers import deadline  # tests/helpers.py

from explorer.papers import ExplorerError
from explorer.search.ranking import parse_years
from explorer.text import split_sentences, strip_latex

# The regular expressions `strip_latex` replaced: the oracle on ordinary text.
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
_TEXT_CMD = re.compile(r"\\(?:emph|textbf|textit|texttt|textsc|textrm|text|mathrm)\s*\{([^{}]*)\}")
_CMD = re.compile(r"\\[a-zA-Z]+\*?|\\.")
_URL = re.compile(r"(?:https?://|www\.)\S+")


def old_strip_latex(text: str) -> str:
    text = _URL.sub(" ", _MATH.sub(" ", text))
    prev = None
    while prev != text:
        prev, text = text, _TEXT_CMD.sub(r" \1 ", text)
    return _CMD.sub(" ", text).replace("{", " ").replace("}", " ")


ORDINARY = [
    "We prove $O(n \\log n)$ bounds for \\emph{robust} \\textbf{\\emph{nested}} training.",
    "Display $$\\sum_i x_i$$ and inline \\(a+b\\) and \\[c\\] math; see https://x.org/a?b=1.",
    "A price of $5 and no closing dollar, \\cite{smith} and \\% signs and \\textit {spaced}.",
    "Unclosed \\( paren and [brackets] and {braces} stay words.",
    "Plain text with no LaTeX at all.",
    "",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_strip_latex_says_what_the_regular_expressions_said(text):
    assert strip_latex(text) == old_strip_latex(text)


@pytest.mark.parametrize(
    "text",
    [
        "\\(" * 60_000,
        "\\[" * 60_000,
        "(" * 60_000,
        "[" * 60_000,
        "$" + "a" * 60_000,
        "\\emph{" * 60_000 + "x" + "}" * 60_000,
        "\\emph{" * 60_000,
        "$$ " * 30_000,
    ],
    ids=[
        "parens",
        "brackets",
        "plain-parens",
        "plain-brackets",
        "dollar",
        "nested",
        "unclosed",
        "dollars",
    ],
)
def test_strip_latex_finishes_on_hostile_text(text):
    with deadline(20):
        out = strip_latex(text)
    assert "\\emph" not in out and "\\(" not in out


def test_nested_text_commands_keep_their_words_at_any_depth():
    with deadline(20):
        out = strip_latex("\\emph{" * 5_000 + "deep" + "}" * 5_000 + " tail")
    assert out.split() == ["deep", "tail"]


def test_sentences_of_hostile_text_finish_and_keep_every_word():
    text = "A. " * 50_000 + "Then a real sentence ends here. And another one follows it."
    with deadline(20):
        parts = split_sentences(text)
    assert " ".join(parts).split() == text.split()


def test_a_year_range_with_a_long_run_of_spaces_is_parsed_or_refused_at_once():
    with deadline(20):
        assert parse_years(" " * 5_000 + "2020-2024" + " " * 5_000) == (2020, 2024)
        with pytest.raises(ExplorerError, match="year range must look like"):
            parse_years("2020" + " " * 5_000 + "x")
