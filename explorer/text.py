"""The text rules every stage shares: cleaning, LaTeX stripping, stemming, sentences, dull words.

One place, so that BM25, the topic labeller, the explainer and the map's hover read a text the
same way: `clean_text`, `strip_latex`, `stem`, `split_sentences`, `first_sentence`, the BM25
`STOP_WORDS`, the abstracts' `BOILERPLATE` and `dull_words()`.

`strip_latex` is linear in the length of the text, whatever the text: an abstract of 60,000
unclosed `\\(` or 60,000 nested `\\emph{` takes milliseconds. (The regular expressions it
replaced took minutes on them.) On ordinary text the output is exactly theirs.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "BOILERPLATE",
    "STOP_WORDS",
    "clean_text",
    "dull_words",
    "first_sentence",
    "split_sentences",
    "stem",
    "strip_latex",
]

_WS = re.compile(r"\s+")


def clean_text(s: str) -> str:
    """Collapse arXiv's hard line breaks and runs of white space into single spaces."""
    return _WS.sub(" ", s).strip()


# Where inline or display math may open: `$`, `$$`, `\(` or `\[`.
_MATH_OPEN = re.compile(r"\$|\\[(\[]")
_MATH_CLOSE = {"(": "\\)", "[": "\\]"}
_TEXT_NAMES = "emph|textbf|textit|texttt|textsc|textrm|text|mathrm"
# Text-style commands keep their argument ("\emph{robust}" -> " robust "); the rest go.
_TEXT_CMD = re.compile(r"\\(?:" + _TEXT_NAMES + r")\s*\{([^{}]*)\}")
_TEXT_OPEN = re.compile(r"\\(?:" + _TEXT_NAMES + r")\s*\{")
_BRACE = re.compile(r"[{}]")
_CMD = re.compile(r"\\[a-zA-Z]+\*?|\\.")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# Passes of the plain substitution before the one-pass unwrapping takes over (abstracts nest
# two levels at most; each pass is linear, the number of passes is the nesting depth).
_PASSES = 8


def _strip_math(text: str) -> str:
    """Replace each math span (`$$…$$`, `$…$`, `\\(…\\)`, `\\[…\\]`) by a space, left to right.

    What the regular expression above does, but each closing delimiter is searched for once
    from any point on: the answer (the next one, or none) is kept and reused until the scan
    passes it, so that thousands of unclosed `\\(` cost one search, not one each.
    """
    if "$" not in text and "\\" not in text:
        return text
    found: dict[str, tuple[int, int]] = {}  # closer -> (searched from, index found or -1)

    def find(closer: str, start: int) -> int:
        hit = found.get(closer)
        if hit is not None and hit[0] <= start and (hit[1] < 0 or hit[1] >= start):
            return hit[1]
        j = text.find(closer, start)
        found[closer] = (start, j)
        return j

    out: list[str] = []
    pos = i = 0
    while m := _MATH_OPEN.search(text, i):
        s = m.start()
        end = -1
        if text[s] == "$":
            if text.startswith("$$", s) and (j := find("$$", s + 2)) >= 0:
                end = j + 2
            elif (j := find("$", s + 1)) >= 0:
                end = j + 1
        elif (j := find(_MATH_CLOSE[text[s + 1]], s + 2)) >= 0:
            end = j + 2
        if end < 0:  # never closed: not math, go on after its first character
            i = s + 1
            continue
        out += (text[pos:s], " ")
        pos = i = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _unwrap_all(text: str) -> str:
    """Unwrap every text command whose braces hold, once inner ones are unwrapped, no brace.

    The fixed point of substituting `_TEXT_CMD` repeatedly, in one pass over the braces: a
    `{` opened by `\\emph` & co. is unwrapped when its `}` comes and nothing inside it is
    left braced. (It differs from the repeated substitution only where an unwrapped command
    leaves white space alone between another command and a brace, `\\emph\\emph{ }{x}`: the
    substitution then unwraps the outer one too. Text that nests so deep never has that.)
    """
    opens = {m.end() - 1: m.start() for m in _TEXT_OPEN.finditer(text)}
    if not opens:
        return text
    stack: list[list] = []  # [position of "{", nothing braced inside so far]
    cuts: list[tuple[int, int]] = []  # spans each replaced by one space
    for m in _BRACE.finditer(text):
        i = m.start()
        if text[i] == "{":
            stack.append([i, True])
        elif stack:
            start, clean = stack.pop()
            if clean and start in opens:
                cuts += ((opens[start], start + 1), (i, i + 1))
            elif stack:
                stack[-1][1] = False
    if not cuts:
        return text
    cuts.sort()
    out: list[str] = []
    pos = 0
    for a, b in cuts:
        out += (text[pos:a], " ")
        pos = b
    out.append(text[pos:])
    return "".join(out)


def strip_latex(text: str) -> str:
    """Remove math, LaTeX commands and URLs, keeping the words of \\emph{...} and friends."""
    text = _URL.sub(" ", _strip_math(text))
    for _ in range(_PASSES):  # nested \emph{\textbf{x}}: one level a pass
        unwrapped = _TEXT_CMD.sub(r" \1 ", text)
        if unwrapped == text:
            break
        text = unwrapped
    else:
        text = _unwrap_all(text)
    return _CMD.sub(" ", text).replace("{", " ").replace("}", " ")


# -- words ---------------------------------------------------------------------------------------

# Lucene's 33 English stop words and a few that every abstract uses ("we", "our"): BM25's IDF
# already discounts common words, so the list is short on purpose (a long one, like
# scikit-learn's, drops words such as "system" or "computer" that name topics).
STOP_WORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their
    then there these they this to was will with we our from which can has have been its""".split()
)

# The boilerplate of abstracts ("we propose a novel method…"): words that name no topic and
# explain no relation. Labels and explanations leave them out; ranking keeps them (BM25's IDF
# weighs them down).
BOILERPLATE = frozenset(
    """paper propose proposed proposes approach approaches method methods result results show
    shows shown demonstrate demonstrates use used uses using based new novel existing work works
    study studies present presents introduce introduces achieve achieves achieved significant
    significantly performance state-of-the-art sota extensive experiment experiments experimental
    effective effectively furthermore additionally including various different outperform
    outperforms improve improves improved code available github address addresses addressing
    make makes made previous recent recently task tasks well also however while both across given
    provide provides first does did doing publicly""".split()
)


@functools.cache
def dull_words() -> frozenset[str]:
    """scikit-learn's 318 English stop words and the `BOILERPLATE` of abstracts."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | BOILERPLATE


# Words that end in "s" without being plurals (the rules below would cut them).
_NOT_PLURAL = frozenset(
    "bias alias atlas canvas gas lens news series species whereas perhaps always does has was its "
    "thus yes axes".split()
)
# Plurals in -es of words that end in -e ("caches" → "cache", not "cach").
_E_PLURALS = frozenset("caches niches headaches avalanches moustaches".split())


@functools.lru_cache(maxsize=1 << 18)  # words repeat: a corpus tokenizes twice as fast
def stem(word: str) -> str:
    """Plurals to singulars only ("models" → "model", "studies" → "study", "classes" → "class").

    Harman's S-stemmer, with "-sses", "-xes", "-ches", "-shes" losing their "es" ("boxes" →
    "box", "approaches" → "approach"). Light on purpose: terms stay readable words in labels
    and explanations, and it never merges words of different meaning the way Porter's stemmer
    can ("general"/"generic" → "gener").
    """
    if (
        len(word) <= 3
        or not word.endswith("s")
        or word.endswith(("ss", "us", "is"))
        or word in _NOT_PLURAL
    ):
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")) and word not in _E_PLURALS:
        return word[:-2]
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    return word[:-1]


# -- sentences -----------------------------------------------------------------------------------

# Words after which a full stop does not end a sentence (lower-cased, without the stop).
ABBREVIATIONS = frozenset(
    """al e.g i.e etc vs cf fig figs eq eqs sec secs ref refs approx resp no nos vol
    dr mr mrs ms prof inc ltd corp jr sr st viz ca wrt w.r.t""".split()
)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
MIN_SENTENCE = 20  # characters: shorter pieces ("Code." "Fig. 2.") join their neighbour
_CLOSING = frozenset("\"')]")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")


def _last_word(text: str, start: int, end: int) -> str | None:
    """The word that a full stop ends `text[start:end]` with ("al" of "... et al."), or None.

    What `([A-Za-z][A-Za-z.]*)\\.[\"')\\]]*$` finds in the slice, read backwards from `end`
    without slicing: a regex search of each piece, on text with thousands of "A. " that join
    one piece, was quadratic.
    """
    while end > start and text[end - 1] in _CLOSING:
        end -= 1
    if end <= start or text[end - 1] != ".":
        return None
    end -= 1
    i = end
    while i > start and text[i - 1] in _WORD_CHARS:
        i -= 1
    while i < end and text[i] == ".":
        i += 1
    return text[i:end] if i < end else None


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences, not after "et al.", "e.g.", "Fig." or an initial ("J.")."""
    text = clean_text(text)
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        last = _last_word(text, start, m.start())
        if last and (last.lower() in ABBREVIATIONS or len(last) == 1):
            continue  # "et al. Their", "J. Smith": not an end
        out.append(text[start : m.start()].strip())
        start = m.end()
    out.append(text[start:].strip())
    merged: list[list[str]] = []  # pieces of each sentence, joined once (not += per piece)
    sizes: list[int] = []
    for s in out:
        if merged and (len(s) < MIN_SENTENCE or sizes[-1] < MIN_SENTENCE):
            merged[-1].append(s)
            sizes[-1] += 1 + len(s)
        elif s:
            merged.append([s])
            sizes.append(len(s))
    return [" ".join(parts) for parts in merged]


def first_sentence(abstract: str, limit: int = 220) -> str:
    """The abstract's first sentence, cut at `limit` characters (whole abstracts slow big maps)."""
    sentences = split_sentences(abstract[: 2 * limit])  # cheap on long abstracts
    s = sentences[0] if sentences else ""
    return s if len(s) <= limit else s[: limit - 1].rsplit(" ", 1)[0] + "…"
