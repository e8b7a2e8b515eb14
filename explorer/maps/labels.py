"""Cluster labels: class-based TF-IDF over the cluster's abstracts, read as a few distinct terms.

Texts and cluster labels in, names out: `label_clusters` gives {cluster: "a · b · c · d"}. No
model and no disk I/O; the one random step (sampling the abstracts of very large corpora) takes
a seed. `explorer.maps.topics` makes the clusters and calls this to name them.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from explorer.papers import ExplorerError
from explorer.text import dull_words, stem, strip_latex

LABEL_SEPARATOR = " · "

# An n-gram never spans punctuation: "large language models (LLMs)" has no "models llms".
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”‘’/|]|\s[-–—]+\s")
_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Too common in abstracts to name a topic alone, but fine inside an n-gram ("language models").
_WEAK = frozenset(
    """model models framework frameworks data task tasks system systems large problem problems
    high low level multiple single real world time recent challenging challenges key better
    learning""".split()
)
# c-TF-IDF reads at most this many abstracts in all (sampled evenly over clusters, seeded):
# a label needs a cluster's common words, not every document, and 100,000 abstracts have
# tens of millions of distinct trigrams.
MAX_LABEL_DOCS = 10_000
# A longer n-gram replaces a term it contains when at least this share of the cluster's
# documents holding the term hold the n-gram ("gaussian" → "gaussian splatting").
GROW = 0.6
# Generic filler: a word among the corpus's COMMON_WORDS most frequent (by documents holding
# it) names a topic alone only where it is at least MIN_LIFT times as common in the topic as
# in the corpus ("training" everywhere is filler; "robot" in the robotics topic is not).
# docs/quality.md measures it: filler terms 23% → 6% of the subset's label terms.
COMMON_WORDS = 200
MIN_LIFT = 3.0
# Words that name no topic alone, seen in labels (issue 26): adverbs ("increasingly"), verbs of
# method ("derive") and comparatives ("lower"). Inside an n-gram they stay ("lower bounds").
NO_NAME = frozenset(
    """derive derives derived deriving obtain obtains obtained yield yields yielding achieve
    achieves achieved achieving enable enables enabled enabling improve improves improved
    lower higher greater larger smaller fewer better worse faster slower stronger weaker
    newer older wider deeper broader richer harder easier simpler heavily easily readily
    primarily necessarily arbitrarily""".split()
)
# Adverbs by their ending ("increasingly", "substantially", "effectively", "notably").
_ADVERB = re.compile(r".{3,}(?:ingly|ively|ously|ally|ibly|ably|[tdehrw]ly)$")


def names_nothing(term: str) -> bool:
    """Whether a single-word term is one that names no topic (`NO_NAME` or an adverb)."""
    return " " not in term and (term in NO_NAME or bool(_ADVERB.match(term)))


def terms(text: str, *, ngrams: int = 3, stop: frozenset[str] | None = None) -> list[str]:
    """The terms of `text`: lower-case words and n-grams (n <= `ngrams`) of adjacent words.

    Stop words and punctuation break n-grams ("detection of toxicity" gives no bigram); weak
    words ("model", "data") count only inside n-grams; math and LaTeX commands are dropped.
    """
    stop = dull_words() - _WEAK if stop is None else stop
    out: list[str] = []
    for phrase in _PHRASE_BREAK.split(strip_latex(text).lower()):
        run: list[str] = []  # the current run of adjacent content words
        for w in [*_TOKEN.findall(phrase), ""]:  # "" flushes the last run
            if w and w not in stop and len(w) > 1:
                run.append(w)
                continue
            for n in range(1, ngrams + 1):
                out += [
                    " ".join(run[i : i + n])
                    for i in range(len(run) - n + 1)
                    if n > 1 or run[i] not in _WEAK
                ]
            run = []
    return out


class DocTerms:
    """Texts' terms (`terms`), each text read once, as 0/1 rows over one sorted vocabulary.

    The topic tree labels every level from the same papers (each parent's children against
    each other): read once here, a paper's terms serve every level. `rows`: the texts to read
    (default: all); `view(rows)` is the same terms for a part of them, in that order.
    """

    def __init__(
        self, texts: Sequence[str], rows: NDArray[np.integer] | None = None, *, ngrams: int = 3
    ) -> None:
        read = np.arange(len(texts)) if rows is None else np.unique(np.asarray(rows))
        stop = dull_words() - _WEAK
        ids: defaultdict[str, int] = defaultdict()
        ids.default_factory = ids.__len__  # a new term gets the next id
        per = [
            np.unique([ids[t] for t in terms(texts[int(r)], ngrams=ngrams, stop=stop)])
            for r in read
        ]
        self.vocab = sorted(ids)  # as CountVectorizer's: ties are broken alphabetically
        rank = np.empty(len(ids), dtype=np.intp)
        rank[[ids[t] for t in self.vocab]] = np.arange(len(ids))
        flat = np.concatenate([np.zeros(0, np.intp), *per]).astype(np.intp)
        indptr = np.concatenate([[0], np.cumsum([len(x) for x in per])])
        self.matrix = sparse.csr_matrix(
            (np.ones(len(flat)), rank[flat], indptr), shape=(len(read), len(ids))
        )
        self.matrix.sort_indices()
        self.where = np.full(len(texts), -1, dtype=np.intp)  # text -> its row of `matrix`
        self.where[read] = np.arange(len(read))
        self.at = np.arange(len(texts))  # this view's texts

    def __len__(self) -> int:
        return len(self.at)

    def view(self, rows: NDArray[np.integer]) -> DocTerms:
        out = object.__new__(DocTerms)
        out.vocab, out.matrix, out.where = self.vocab, self.matrix, self.where
        out.at = self.at[np.asarray(rows, dtype=np.intp)]
        return out

    def counts(
        self, rows: NDArray[np.integer], labels: NDArray[np.integer]
    ) -> tuple[list[int], list[str], sparse.csr_matrix]:
        """`_class_counts` of this view's `rows` (all read), `labels` aligned with them."""
        pos = self.where[self.at[np.asarray(rows, dtype=np.intp)]]
        if (pos < 0).any():
            raise ExplorerError("DocTerms: a text asked for was not read")
        docs = self.matrix[pos]
        used = np.flatnonzero(docs.getnnz(axis=0))
        if not len(used):
            return [], [], sparse.csr_matrix((0, 0))
        classes, counts = _by_class(docs[:, used], labels)
        return classes, [self.vocab[j] for j in used], counts


def _by_class(
    docs: sparse.csr_matrix, labels: NDArray[np.integer]
) -> tuple[list[int], sparse.csr_matrix]:
    classes = sorted(set(np.asarray(labels).tolist()))
    rows = np.searchsorted(classes, labels)
    member = sparse.csr_matrix(
        (np.ones(len(labels)), (rows, np.arange(len(labels)))), shape=(len(classes), len(labels))
    )
    return classes, sparse.csr_matrix(member @ docs, dtype=float)


def _class_counts(
    texts: Sequence[str] | DocTerms, labels: NDArray[np.integer], ngrams: int
) -> tuple[list[int], list[str], sparse.csr_matrix]:
    """classes (c,), vocabulary (t,), and (c, t) counts of the class's documents holding a term."""
    labels = np.asarray(labels)
    if len(texts) != len(labels):
        raise ExplorerError(f"got {len(texts)} texts but {len(labels)} labels")
    docs = texts if isinstance(texts, DocTerms) else DocTerms(texts, ngrams=ngrams)
    return docs.counts(np.arange(len(labels)), labels)


def _weigh(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    per_class = np.asarray(counts.sum(axis=1)).ravel()
    per_term = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log(1.0 + per_class.mean() / np.maximum(per_term, 1.0))
    tf = sparse.diags(1.0 / np.maximum(per_class, 1.0)) @ counts
    return sparse.csr_matrix(tf @ sparse.diags(idf))


def c_tf_idf(
    texts: Sequence[str], labels: NDArray[np.integer], *, ngrams: int = 3
) -> tuple[list[int], list[str], sparse.csr_matrix]:
    """Class-based TF-IDF (as BERTopic's): classes (c,), vocabulary (t,), sparse scores (c, t).

    tf(t, c) = documents of class c containing t, divided by the class's total (L1 row norm);
    idf(t) = log(1 + A / f(t)), A = average count per class, f(t) = count across all classes.
    Counting a term once per document keeps one abstract that repeats a word from naming a
    topic. Noise (-1) is a class here, so that its words are discounted, but gets no label.
    """
    classes, vocab, counts = _class_counts(texts, labels, ngrams)
    return classes, vocab, _weigh(counts) if classes else counts


@functools.lru_cache(maxsize=1 << 16)
def _stems(term: str) -> frozenset[str]:
    """The stems of a term's words, hyphenated parts too ("high-quality" holds "quality")."""
    return frozenset(stem(w) for w in term.replace("-", " ").split())


def _acronym(term: str) -> str:
    words = term.split()
    return "".join(w[0] for w in words) if len(words) > 1 else "\0"


class _Said:
    """Terms already said, ready to ask whether another term repeats one of them (`_repeats`):
    their stems, acronyms, and stems by their first four letters."""

    def __init__(self, chosen: Sequence[str]) -> None:
        self.stems: set[str] = set().union(*(_stems(c) for c in chosen))
        self.acronyms = {_acronym(c) for c in chosen}
        self.by_prefix: dict[str, list[str]] = {}
        for b in self.stems:
            if len(b) >= 4:
                self.by_prefix.setdefault(b[:4], []).append(b)

    def repeated_by(self, term: str) -> bool:
        mine = _stems(term)
        # "llms" repeats "large language models" (and the other way round)
        if mine & self.acronyms or mine & self.stems or _acronym(term) in self.stems:
            return True
        for a in mine:
            for b in self.by_prefix.get(a[:4], ()):  # a shared prefix of 4+ letters
                if len(os.path.commonprefix([a, b])) >= 0.8 * min(len(a), len(b)):
                    return True
        return False


def _repeats(term: str, chosen: Sequence[str]) -> bool:
    """True if a word of `term` repeats one of `chosen`: same stem, or they share a prefix of
    4+ letters covering 80% of the shorter ("robot" / "robotic", "image" / "imaging")."""
    return bool(chosen) and _Said(chosen).repeated_by(term)


def pick_terms(ranked: Sequence[tuple[str, float, float]], n_terms: int) -> list[str]:
    """Choose `n_terms` labels from (term, score, count) triples, best score first.

    No chosen term repeats a word of another. A term that mostly appears inside a longer one
    is shown as the longer one ("gaussian" → "gaussian splatting", "language models" → "large
    language models"): an n-gram containing the term in at least GROW times as many of the
    cluster's documents replaces it, repeatedly.
    """
    chosen: list[str] = []
    for term, _, count in ranked:
        if len(chosen) == n_terms:
            break
        if _repeats(term, chosen):
            continue
        grown = True
        while grown:
            grown = False
            for longer, _, c in ranked:
                if (
                    c >= GROW * count
                    and longer != term
                    and f" {term} " in f" {longer} "
                    and not _repeats(longer.replace(term, " "), chosen)
                ):
                    term, count, grown = longer, c, True
                    break
        chosen.append(term)
    return chosen


def sample_rows(labels: NDArray[np.integer], limit: int, seed: int) -> NDArray[np.intp]:
    """At most `limit` rows, the same share of every class (seeded), in their original order."""
    n = len(labels)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = max(10, limit // len(classes))
    keep = [
        rng.permutation(rows)[:per_class] for c in classes for rows in [np.flatnonzero(labels == c)]
    ]
    return np.sort(np.concatenate(keep))


def _within(a: str, b: str) -> bool:
    """Whether one term is the other or a run of its words."""
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def _generic(
    vocab: Sequence[str], counts: sparse.csr_matrix, sizes: NDArray[np.float64], common: int
) -> list[set[int]]:
    """Per class, the vocabulary indices of generic terms it may not use (see MIN_LIFT): the
    corpus's `common` most frequent words, and terms made of them only ("training setting"),
    where they are not distinctive of the class."""
    if common <= 0:
        return [set() for _ in sizes]
    df = np.asarray(counts.sum(axis=0)).ravel()  # documents holding each term, all classes
    single = np.flatnonzero([" " not in t for t in vocab])
    words = {vocab[j] for j in single[np.argsort(-df[single], kind="stable")[:common]]}
    plain = np.array([all(w in words for w in t.split()) for t in vocab])
    cand = np.flatnonzero(plain)
    n = sizes.sum()
    share = counts[:, cand].toarray() / np.maximum(sizes, 1.0)[:, None]  # (c, m)
    lift = share / np.maximum(df[cand] / n, 1e-12)
    out = []
    for row, size in enumerate(sizes):
        # A topic of 40% of the corpus can lift a word 2.5 times at most: ask half of that.
        need = min(MIN_LIFT, 0.5 * n / max(size, 1.0))
        out.append({int(j) for j, x in zip(cand, lift[row], strict=True) if x < need})
    return out


def label_clusters(
    texts: Sequence[str],
    labels: NDArray[np.integer],
    *,
    n_terms: int = 4,
    seed: int = 42,
    common: int = COMMON_WORDS,
) -> dict[int, str]:
    """Name each cluster (labels >= 0) by its top c-TF-IDF terms: {cluster: "a · b · c · d"};
    see `sibling_labels` for the rules."""
    found = sibling_labels(texts, labels, (), n_terms=n_terms, seed=seed, common=common)
    return {c: LABEL_SEPARATOR.join(chosen) for c, chosen in found.items()}


def sibling_labels(
    texts: Sequence[str] | DocTerms,
    labels: NDArray[np.integer],
    avoid: Sequence[str] = (),
    *,
    n_terms: int = 4,
    seed: int = 42,
    common: int = COMMON_WORDS,
) -> dict[int, list[str]]:
    """Each cluster's (labels >= 0) top c-TF-IDF terms against the others: {cluster: [terms]}.

    The clusters are siblings (the topic tree labels each parent's children by this, on the
    parent's papers only), and no term repeats a word of `avoid` (their ancestors' labels).
    `texts` (n,) align with `labels` (n,); noise (-1) gets no name. Terms that repeat a word
    of a better term are skipped, so a label never says "game · games". Generic filler is left
    out: a word among the corpus's `common` most frequent names a topic alone only where it is
    distinctive (MIN_LIFT; `common=0` turns this off), and a word chosen for several topics is
    kept only by the one where it is most distinctive. Corpora larger than MAX_LABEL_DOCS are
    labelled from a seeded sample of each cluster.
    """
    labels = np.asarray(labels)
    if len(texts) != len(labels):
        raise ExplorerError(f"got {len(texts)} texts but {len(labels)} labels")
    rows = sample_rows(labels, MAX_LABEL_DOCS, seed)
    docs = texts if isinstance(texts, DocTerms) else DocTerms(texts, rows)
    classes, vocab, counts = docs.counts(rows, labels[rows])
    if not classes:
        return {}
    scores = _weigh(counts)
    sizes = np.array([np.sum(labels[rows] == c) for c in classes], dtype=np.float64)
    banned = _generic(vocab, counts, sizes, common)
    ranked: dict[int, list[tuple[str, float, float]]] = {}
    said = _Said(avoid) if avoid else None
    for row, c in enumerate(classes):
        if c < 0:
            continue
        r = scores.getrow(row)
        # Best score first; ties broken alphabetically (the vocabulary is sorted) for stability.
        order = np.lexsort((r.indices, -r.data))[: 25 * n_terms]
        best = r.indices[order]
        held = np.asarray(counts[row, best].todense()).ravel()
        generic = _Said([vocab[j] for j in banned[row] if " " not in vocab[j]])
        ranked[row] = [
            (vocab[j], float(x), float(c))
            for j, x, c in zip(best, r.data[order], held, strict=True)
            # a generic word, or a form of one ("evaluating" for "evaluation"), is not a name
            if j not in banned[row]
            and not names_nothing(vocab[j])
            and (" " in vocab[j] or not generic.repeated_by(vocab[j]))
            and not (said and said.repeated_by(vocab[j]))
        ]
    picked = {row: pick_terms(terms_, n_terms) for row, terms_ in ranked.items()}
    for _ in range(3):  # a term in several labels stays where it is most distinctive
        users: dict[str, list[int]] = {}
        for row, chosen in picked.items():
            for t in chosen:
                users.setdefault(t, []).append(row)
        # Words only: "large language models" may name two topics that each say more besides.
        shared = {t: rs for t, rs in users.items() if len(rs) > 1 and " " not in t}
        if not shared or common <= 0:
            break
        for t, rows_ in shared.items():
            j = bisect.bisect_left(vocab, t)  # the vocabulary is sorted
            keep = max(rows_, key=lambda r: (counts[r, j] / max(sizes[r], 1.0), -r))
            for r in rows_:
                if r != keep:  # nor a part of it ("large language" of "large language models")
                    ranked[r] = [x for x in ranked[r] if not _within(x[0], t)]
                    picked[r] = pick_terms(ranked[r], n_terms)
    return {int(classes[row]): chosen for row, chosen in picked.items()}
