"""Asking a corpus: examples, free texts and picked sentences in, ranked hits with their topics
and (asked for) their why out. What the facade's `related` and `search` share.

It asks only for what a question needs, of anything shaped like `Askable` (a built corpus's
parts, `explorer.parts.Parts`): the model loads for free text only, BM25 for the modes and
explanations that read it, sentence vectors for the modes that align them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from explorer.papers import Corpus, Hit
from explorer.search.query import check_mode, make_query, needs_lexical, needs_sentences, ranked
from explorer.search.ranking import Filters
from explorer.text import split_sentences

if TYPE_CHECKING:
    from explorer.index.lexical import LexicalIndex
    from explorer.index.sentences import SentenceVectors
    from explorer.index.vectors import VectorIndex
    from explorer.search.explain import Explainer


class Model(Protocol):
    def embed(self, texts: list[str]) -> NDArray[np.float32]: ...


class Askable(Protocol):
    """What a question reads: the corpus and its index, then parts loaded when first used."""

    corpus: Corpus
    index: VectorIndex

    @property
    def vectors(self) -> NDArray[np.float32]: ...
    @property
    def lexical(self) -> LexicalIndex: ...
    @property
    def sentences(self) -> SentenceVectors: ...
    @property
    def model(self) -> Model: ...
    def explainer(self) -> Explainer: ...
    def topic_labels(self) -> list[str | None] | None: ...


@dataclass(frozen=True)
class Picked:
    """Sentences of one paper, picked by number: their text, mean vector, vectors and the row."""

    sentences: list[str]
    mean: NDArray[np.float32]
    vectors: NDArray[np.float32]
    row: int


def picked(parts: Askable, row: int, numbers: Sequence[int]) -> Picked:
    """Sentences `numbers` (1-based) of paper `row`, with their saved vectors."""
    sents, vecs = parts.sentences.pick(row, parts.corpus[row], numbers)
    mean = vecs.mean(axis=0)
    return Picked(sents, (mean / np.linalg.norm(mean)).astype(np.float32), vecs, row)


def text_sentences(
    model: Model, texts: list[str], vectors: NDArray[np.float32] | None
) -> list[NDArray[np.float32]]:
    """Each free text's sentence vectors; a one-sentence text (a phrase) is its own vector."""
    out = []
    for i, t in enumerate(texts):
        sents = split_sentences(t)
        if len(sents) <= 1 and vectors is not None:
            out.append(vectors[i : i + 1])
        else:
            out.append(model.embed(sents or [t]))
    return out


def rank(
    parts: Askable,
    pos: list[int],
    neg: list[int],
    texts: list[str],
    neg_texts: list[str],
    k: int,
    mode: str,
    filters: Filters,
    diverse: float | None,
    explain: bool,
    *,
    pick: Picked | None = None,
    combine: str = "mean",
    embedded: tuple[NDArray[np.float32], Sequence[NDArray[np.float32]]] | None = None,
) -> list[Hit]:
    """The k hits for positive and negative example rows and texts (and a paper's picked
    sentences, which act as one more free text), each with its topic and, `explain`, its why.
    `embedded`: the texts' vectors (m, d) and sentence vectors, when they are known already
    (a library's papers): then no model is loaded for them."""
    mode = check_mode(mode)
    corpus = parts.corpus
    # Filters first: a mistake in one is the only thing a user sees, before any model loads.
    allowed = filters.mask(corpus) if filters.active else None
    if embedded is not None:
        tv = np.asarray(embedded[0], np.float32).reshape(len(texts), -1) if texts else None
    else:
        tv = parts.model.embed(texts) if texts else None  # free text needs the model
    nv = parts.model.embed(neg_texts) if neg_texts else None
    lexical = needs_lexical(mode)
    lex = parts.lexical if lexical or explain else None
    store = parts.sentences if needs_sentences(mode) else None
    # The model is asked for only when there is free text (`related <id>` loads none).
    text_sents: list[NDArray[np.float32]] = []
    if store is not None and texts:
        given = list(embedded[1]) if embedded is not None else []
        text_sents = given if given else text_sentences(parts.model, texts, tv)
    if pick is not None:
        texts = [*texts, " ".join(pick.sentences)]
        tv = pick.mean[None] if tv is None else np.concatenate([tv, pick.mean[None]])
        text_sents.append(pick.vectors)
    vectors = parts.vectors
    query = make_query(
        vectors,
        lex if lexical else None,
        corpus,
        positives=pos,
        negatives=neg,
        pos_vectors=tv,
        neg_vectors=nv,
        pos_texts=texts,
        neg_texts=neg_texts,
        sentences=store,
        pos_sentences=text_sents,
        combine=combine,
    )
    if pick is not None:
        query = replace(query, exclude=(*query.exclude, pick.row))
    hits = ranked(
        corpus,
        parts.index,
        vectors,
        lex,
        query,
        k,
        mode=mode,
        allowed=allowed,
        diverse=diverse,
        sentences=store,
    )
    topics_of = parts.topic_labels()
    if topics_of is not None:
        hits = [replace(h, topic=topics_of[corpus.position(h.paper.id)]) for h in hits]
    if explain and hits:
        exs: list[int | str] = [*pos, *texts]
        d = vectors.shape[1]
        ev = np.concatenate(
            [
                np.asarray(vectors[pos], np.float32).reshape(len(pos), d),
                *([tv] if tv is not None else []),
            ]
        )
        explainer = parts.explainer()
        if pick is not None:  # the picked sentences' saved vectors: no model needed
            explainer.remember(pick.sentences, pick.vectors)
        why = explainer.hits(exs, ev, [corpus.position(h.paper.id) for h in hits])
        hits = [replace(h, why=w) for h, w in zip(hits, why, strict=True)]
    return hits
