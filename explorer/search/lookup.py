"""Which paper a name means: an id in any form (`ids.py`) or a title, its part before a colon,
its start, or a title with a typo; a name that fits several papers is an error listing them;
a miss is an error with "did you mean", and `near_miss` says whether the name looked like an
id or a mistyped title at all (else it is free text to search for).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from explorer import ids
from explorer.papers import Corpus, ExplorerError, Paper

_NORM = re.compile(r"[^0-9a-z]+")


def _norm(s: str) -> str:
    return _NORM.sub(" ", s.casefold()).strip()


class NoSuchPaper(ExplorerError):
    """An id or title that names no paper (the web app answers 404)."""


class AmbiguousName(ExplorerError):
    """A title that fits several papers (the web app answers 409, listing them)."""


@dataclass(frozen=True)
class Match:
    """Which paper a user's id-or-title argument was taken to mean, and how."""

    paper: Paper
    how: str  # "id", "title", "short title" (before a colon), "title prefix", "closest title"
    others: tuple[Paper, ...] = ()  # other papers that matched as well

    def describe(self, also: str = "also matched") -> str:
        s = f"matched {self.how}: {self.paper.title} [{self.paper.id}]"
        if self.others:
            more = f" and {len(self.others) - 3} more" if len(self.others) > 3 else ""
            s += f" ({also}: {'; '.join(p.title for p in self.others[:3])}{more})"
        return s


def _titled(corpus: Corpus, rows: Sequence[int], limit: int = 3) -> str:
    shown = ", ".join(f"{corpus[i].title!r} [{corpus[i].id}]" for i in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _by_key(corpus: Corpus, query: str) -> int | None:
    """The row whose id is the same arXiv id or DOI as `query` (a URL, `arXiv:…`, `…v2`)."""
    want = ids.arxiv_id(query) or ids.doi(query)
    if want is None:
        return None  # not an id form that normalises: nothing more to compare
    for row, pid in enumerate(corpus.ids):
        if ids.key(pid) == want:
            return row
    return None


def find_paper(corpus: Corpus, query: str) -> Match:
    """Resolve a paper id (also as an arXiv URL, `arXiv:` id, versioned id or DOI), an exact
    title, a title before its colon ("Gemma"), a title prefix ("Gemma 2") or a title with a
    typo. A title that several papers share that way is an error listing them, never a silent
    pick; no match is an error with the closest titles ("did you mean")."""
    q = query.strip()
    if not q:
        raise ExplorerError("empty query: give a paper id or title")
    if q in corpus:
        return Match(corpus.get(q), "id")
    row = _by_key(corpus, q)
    if row is not None:
        return Match(corpus[row], "id")
    nq = _norm(q)
    raw = corpus.titles
    titles = [_norm(t) for t in raw]
    tiers = [
        ("title", [i for i, t in enumerate(titles) if t == nq]),
        # "Gemma" means "Gemma: Open Models…", not "Gemma 2: …": the part before a colon first
        ("short title", [i for i, t in enumerate(raw) if _norm(t.split(":")[0]) == nq]),
        (
            "title prefix",
            [i for i, t in enumerate(titles) if nq and (t + " ").startswith(nq + " ")],
        ),
    ]
    for t, (how, rows) in enumerate(tiers):
        distinct = {titles[i] for i in rows}
        if len(distinct) > 1:
            raise AmbiguousName(
                f"{q!r} matches {len(rows)} titles: {_titled(corpus, rows)}; "
                "give more of the title, or an id"
            )
        if rows:
            best = rows[0]  # several rows with one title: the same paper listed twice
            # Everything else the words matched, in any tier, so the user sees the ambiguity.
            others = dict.fromkeys(i for _, r in tiers[t:] for i in r if i != best)
            return Match(corpus[best], how, tuple(corpus[i] for i in others))
    from rapidfuzz import fuzz, process

    near = process.extract(nq, titles, scorer=fuzz.ratio, limit=2, score_cutoff=90)
    if near and (len(near) == 1 or near[0][1] - near[1][1] >= 5):  # one clear typo away
        return Match(corpus[near[0][2]], "closest title")
    miss = near_miss(corpus, q)
    if miss is not None and miss.suggestions:
        rows = [corpus.position(p.id) for p in miss.suggestions]
    else:
        rows = [
            g[2] for g in process.extract(nq, titles, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
        ]
    hint = f"; did you mean {_titled(corpus, rows)}?" if rows else ""
    what = miss.message if miss is not None else f"no paper has the id or title {query!r}"
    raise NoSuchPaper(f"{what}; for free text use `explorer search`{hint}")


@dataclass(frozen=True)
class Miss:
    """What a query that names no paper looked like: an id ("id") or a title a typo or so away
    from papers' own ("title"), with the papers it may have meant."""

    kind: str
    message: str
    suggestions: tuple[Paper, ...]


# A query is taken for a mistyped title when it is this close (rapidfuzz's ratio, 0-100) to a
# title's part before its colon or to a title's start of its own length: "Gema 2" is 92 from
# "Gemma 2", "OcluGausian" 92 from "OccluGaussian"; a phrase such as "toxic comments in online
# conversations" is under 60 from every seed title.
TITLE_LIKE = 80


def near_miss(corpus: Corpus, query: str) -> Miss | None:
    """For a query that names no paper (`find_paper` failed): a `Miss` when it looks like an
    id (an arXiv id or DOI form; suggestions: ids a digit or two away) or a mistyped title;
    None when it is free text."""
    from rapidfuzz import fuzz, process

    q = query.strip()
    key = ids.arxiv_id(q) or ids.doi(q)
    if key is not None:
        keys = [ids.key(pid) for pid in corpus.ids]
        near = process.extract(key, keys, scorer=fuzz.ratio, limit=3, score_cutoff=80)
        return Miss("id", f"no paper has the id {q!r}", tuple(corpus[r] for _, _, r in near))
    nq = _norm(q)
    if not 4 <= len(nq) <= 300:  # a word or two, or an abstract: free text, not a title
        return None
    scored: dict[int, float] = {}
    for r, title in enumerate(corpus.titles):
        t = _norm(title)
        score = max(
            fuzz.ratio(nq, _norm(title.split(":")[0])), fuzz.ratio(nq, t[: len(nq)].rstrip())
        )
        if score >= TITLE_LIKE:
            scored[r] = score
    if not scored:
        return None
    best = sorted(scored, key=lambda r: -scored[r])[:3]
    return Miss("title", f"no paper has the title {q!r}", tuple(corpus[r] for r in best))
