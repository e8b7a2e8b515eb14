"""Plain words from LaTeX-flavoured abstracts: the one `strip_latex` that labels and BM25 share.

Linear in the length of the text, whatever the text: an abstract of 60,000 unclosed `\\(` or
60,000 nested `\\emph{` takes milliseconds. (The regular expressions this replaces took
minutes on them: each unclosed `\\(` searched to the end of the text again, and each pass over
nested commands unwrapped one level.) On ordinary text the output is exactly theirs.
"""

from __future__ import annotations

import re

__all__ = ["strip_latex"]

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
