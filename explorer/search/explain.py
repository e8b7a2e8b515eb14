"""Why two papers were judged related, in terms a person can check against the abstracts.

An explanation names (1) the distinctive terms the two texts share, ranked by their BM25
weight in one paper times their weight in the other (BM25 weights carry IDF, so words every
abstract uses rank low), shown as the words the abstracts really contain; and (2) the pair of
sentences, one from each abstract, whose embeddings are most similar, with that cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer.index.lexical import LexicalIndex, tokenize_with_surface
from explorer.index.sentences import paper_sentences
from explorer.papers import Corpus
from explorer.text import dull_words, split_sentences

if TYPE_CHECKING:
    from explorer.embed.embedder import Embedder
    from explorer.index.sentences import SentenceVectors

TOP_TERMS = 8


def _surfaces(text: str) -> dict[str, str]:
    """Term → the shortest word of `text` that gives it ("model" over "models")."""
    out: dict[str, str] = {}
    for term, word in tokenize_with_surface(text):
        if term not in out or len(word) < len(out[term]):
            out[term] = word
    return out


def shared_terms(
    lexical: LexicalIndex, a: int | str, b: int, text_a: str, text_b: str, top: int = TOP_TERMS
) -> list[dict[str, Any]]:
    """The `top` terms both texts contain, by weight_a × weight_b, as the words they contain.

    `a` is a corpus row (its BM25 weights) or free text (each term weighs its IDF); `b` is a row.
    """
    wb = lexical.row_weights(b)
    wa = lexical.row_weights(a) if isinstance(a, int) else lexical.idf(_surfaces(a))
    sa, sb = _surfaces(text_a), _surfaces(text_b)
    dull = dull_words()
    common = [
        t
        for t in wa.keys() & wb.keys()
        if t in sa and t in sb and sa[t] not in dull and sb[t] not in dull
    ]
    common.sort(key=lambda t: (-wa[t] * wb[t], t))
    out: list[dict[str, Any]] = []
    said: set[str] = set()
    for t in common:
        word = min((sa[t], sb[t]), key=len)
        parts = set(word.split("-")) - dull
        # "mixture-of-experts" already says "mixture" and "experts": show each word once.
        if parts <= said:
            continue
        said |= parts
        out.append({"term": word, "weight": round(wa[t] * wb[t], 3)})
        if len(out) == top:
            break
    return out


def best_sentence_pair(
    sents_a: Sequence[str],
    vecs_a: NDArray[np.float32],
    sents_b: Sequence[str],
    vecs_b: NDArray[np.float32],
) -> dict[str, Any] | None:
    """The most similar pair of sentences (cosine of their (m, d) and (p, d) embeddings)."""
    if not len(sents_a) or not len(sents_b):
        return None
    sims = np.asarray(vecs_a, np.float32) @ np.asarray(vecs_b, np.float32).T
    i, j = (int(x) for x in np.unravel_index(int(np.argmax(sims)), sims.shape))
    return {"a": sents_a[i], "b": sents_b[j], "similarity": round(float(sims[i, j]), 3)}


@dataclass
class Explainer:
    """Explains hits against their examples. A corpus paper's sentences (title first) and
    their vectors come from the corpus's sentence store, the very ones mode "sentences" aligns,
    so the pair shown is the best-aligned pair that ranked it; free text is split and embedded
    (kept in memory)."""

    corpus: Corpus
    vectors: NDArray[np.float32]
    lexical: LexicalIndex
    embedder: Embedder
    sentences: SentenceVectors | None = None
    _cache: dict[str, NDArray[np.float32]] = field(default_factory=dict)

    def remember(self, sentences: Sequence[str], vectors: NDArray[np.float32]) -> None:
        """Known vectors of free-text sentences (a paper's picked ones)."""
        self._cache.update(zip(sentences, np.asarray(vectors, np.float32), strict=True))

    def _sentences_of(self, a: int | str) -> tuple[list[str], NDArray[np.float32]]:
        if isinstance(a, int) and self.sentences is not None:
            return paper_sentences(self.corpus[a]), self.sentences.of(a)
        sents = split_sentences(self._abstract(a)) or [self._abstract(a)]
        return sents, self._embed(sents)

    def _embed(self, sentences: Sequence[str]) -> NDArray[np.float32]:
        todo = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if todo:
            for s, v in zip(todo, self.embedder.embed(todo), strict=True):
                self._cache[s] = v
        if not sentences:
            return np.zeros((0, 1), np.float32)
        return np.stack([self._cache[s] for s in sentences])

    def _abstract(self, a: int | str) -> str:
        return self.corpus[a].abstract if isinstance(a, int) else a

    def pair(self, a: int | str, b: int, similarity: float | None = None) -> dict[str, Any]:
        """Explain row `b` against a corpus row or a free text `a`."""
        text_a = self.corpus[a].text if isinstance(a, int) else a
        (sa, sva), (sb, svb) = self._sentences_of(a), self._sentences_of(b)
        ex: dict[str, Any] = (
            {"id": self.corpus[a].id, "title": self.corpus[a].title}
            if isinstance(a, int)
            else {"text": a}
        )
        if similarity is None:
            va = self.vectors[a] if isinstance(a, int) else self.embedder.embed([a])[0]
            similarity = float(np.asarray(va, np.float32) @ np.asarray(self.vectors[b], np.float32))
        return {
            "example": ex,
            "similarity": round(float(similarity), 3),
            "shared_terms": shared_terms(self.lexical, a, b, text_a, self.corpus[b].text),
            "sentences": best_sentence_pair(sa, sva, sb, svb),
        }

    def hits(
        self,
        examples: Sequence[int | str],
        example_vectors: NDArray[np.float32],
        rows: Sequence[int],
    ) -> list[dict[str, Any]]:
        """One explanation per hit row, against whichever example (m,) is closest to it.

        `example_vectors` (m, d) are the examples' embeddings, in the order of `examples`.
        """
        ev = np.asarray(example_vectors, np.float32)
        out = []
        for r in rows:
            sims = ev @ np.asarray(self.vectors[r], np.float32)
            best = int(np.argmax(sims))
            out.append(self.pair(examples[best], int(r), float(sims[best])))
        return out
