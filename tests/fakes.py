"""A deterministic stand-in for the model, for logic tests that need vectors but not MiniLM.

`HashEmbedder` gives each word a fixed pseudo-random unit vector (from its SHA-256) and a text
the normalised sum of its words' vectors: texts that share words are near, the same text always
gets the same vector on every machine, and nothing is loaded. Dull words (`text.dull_words`)
are left out, so that papers on one subject are nearer than papers that share "the". It has
the part of `Embedder`'s interface that building and querying use (`spec`, `model_id`,
`backend_name`, `dim`, `embed`).

Use it explicitly (`Explorer.build(..., embedder=HashEmbedder())`, or the `hash_model` fixture
for code that makes its own embedder), only where a test checks ranking, filter, parsing or
storage logic; what the real model finds is tested with the real model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from explorer.embed.model import ModelSpec
from explorer.text import dull_words

_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Bag of hashed words: deterministic, instant, and near for texts that share words."""

    def __init__(self, dim: int = 64, *, name: str = "test-hash") -> None:
        self.spec = ModelSpec(name=name, path=None)
        self.backend_name = "hash"
        self.dim = dim
        self.calls = 0
        self._words: dict[str, NDArray[np.float32]] = {}
        self._dull = dull_words()

    @property
    def model_id(self) -> str:
        return f"{self.spec.name}-{self.dim}"

    def _word(self, w: str) -> NDArray[np.float32]:
        v = self._words.get(w)
        if v is None:
            seed = int.from_bytes(hashlib.sha256(w.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._words[w] = v = v / np.linalg.norm(v)
        return v

    def embed(
        self,
        texts: Sequence[str],
        on_chunk: Callable[[NDArray[np.intp], NDArray[np.float32]], None] | None = None,
    ) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in _WORD.findall(t.lower()):
                if len(w) > 2 and w not in self._dull:  # content words: topics separate
                    out[i] += self._word(w)
            n = float(np.linalg.norm(out[i]))
            out[i] = out[i] / n if n > 0 else self._word("\0")
        self.calls += len(texts)
        if on_chunk is not None and len(texts):
            on_chunk(np.arange(len(texts)), out)
        return out
