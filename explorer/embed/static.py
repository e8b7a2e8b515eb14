"""The static tier: a model2vec model distilled from the bundled MiniLM on this machine.

`explorer build --model static` embeds with a table of one vector per token of MiniLM's
vocabulary: a text's vector is the mean of its tokens' rows, L2-normalised. model2vec's
distiller makes the table once, offline, from the local weights and vocabulary (MiniLM run on
each token alone, then PCA to `PCA_DIMS` and SIF weighting), then it is cached like the
OpenVINO exports, under `<model_cache>/static-<weights sha256>-<library versions>/`, as
safetensors and JSON (no pickle), written atomically with its manifest last. A query loads it
with `model2vec.StaticModel`. No transformer runs at build or query time, so it embeds tens of
thousands of abstracts a second on a laptop CPU, at a cost in quality: `docs/scale.md` and
`benchmarks/static_tier.py` give both.

There are no token states to pool, so `late` (the one pass of a paper and its sentences)
embeds each sentence's characters on their own: for a mean of static token vectors that is the
same thing, bar the tokens a sentence boundary cuts. The whole text is read, without a window.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from explorer.atomic import publish_dir
from explorer.embed import late
from explorer.embed.model import STATIC_RECIPE, ModelSpec, offline, sha256_file
from explorer.papers import ExplorerError

NAME = "static"  # the model's name (`--model static`) and its backend's
# model2vec's defaults: 256 PCA dimensions, SIF weighting 1e-4, float16 table (15 MB).
RECIPE: dict[str, Any] = {"recipe": STATIC_RECIPE, "pca_dims": 256, "sif_coefficient": 1e-4}
INSTALL = "pip install 'explorer[static]'"


def _model2vec() -> Any:
    try:
        import model2vec
    except ImportError:
        raise ExplorerError(f"--model static needs model2vec: {INSTALL}") from None
    return model2vec


def _versions() -> dict[str, str]:
    out = {k: str(v) for k, v in RECIPE.items()}
    for pkg in ("model2vec", "transformers", "torch"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "none"
    return out


def ensure_distilled(spec: ModelSpec, model_cache: Path | None = None) -> Path:
    """The cached static model of `spec`'s weights, distilled now if it is not there yet."""
    _model2vec()
    assert spec.path is not None
    weights = spec.path / "model.safetensors"
    if not weights.is_file():
        raise ExplorerError(
            f"the static model is distilled from model.safetensors; {weights} is missing"
        )
    sha = sha256_file(weights)
    versions = _versions()
    vkey = hashlib.sha256(json.dumps(versions, sort_keys=True).encode()).hexdigest()[:12]
    if model_cache is None:
        from explorer.embed.backends import default_model_cache

        model_cache = default_model_cache()
    root = Path(model_cache)
    final = root / f"{NAME}-{sha[:16]}-{vkey}"
    if (final / "manifest.json").is_file():
        return final
    try:
        from model2vec.distill import distill
    except ImportError as e:  # model2vec without its [distill] extra (torch, transformers)
        raise ExplorerError(
            f"distilling the static model needs {e.name or 'more'}: {INSTALL}"
        ) from None
    offline()  # the local weights and vocabulary only: model2vec must not reach for a hub
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=root))
    try:
        t0 = time.perf_counter()
        print(f"distilling the static model (once; it is cached in {root})…", file=sys.stderr)
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()  # its load report is noise to a user
            # A local folder: distill reads it with from_pretrained and asks no hub for a card.
            model = distill(
                str(spec.path),
                pca_dims=RECIPE["pca_dims"],
                sif_coefficient=RECIPE["sif_coefficient"],
            )
            model.save_pretrained(tmp)  # safetensors, tokenizer.json and config.json
        manifest = {
            "backend": NAME,
            "weights_sha256": sha,
            "versions": versions,
            "dim": int(model.dim),
            "export_seconds": round(time.perf_counter() - t0, 1),
        }
        publish_dir(tmp, final, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def load(spec: ModelSpec, model_cache: Path | None = None) -> StaticBackend:
    """The static model of `spec` (distilled once into `model_cache`)."""
    return StaticBackend(ensure_distilled(spec, model_cache))


def _unit(x: NDArray[Any]) -> NDArray[np.float32]:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class StaticBackend:
    """A distilled model2vec table: `encode` means token rows, with no length limit."""

    name = NAME

    def __init__(self, folder: Path) -> None:
        model2vec = _model2vec()
        try:
            self.model = model2vec.StaticModel.from_pretrained(str(folder))
        except (OSError, ValueError, KeyError) as e:
            raise ExplorerError(f"cannot load the static model in {folder}: {e}") from None
        self.folder = folder
        self.dim = int(self.model.dim)

    def encode(self, texts: list[str], batch_size: int) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            list(texts), max_length=None, batch_size=batch_size, use_multiprocessing=False
        )
        return _unit(vecs)

    def late(
        self, texts: list[str], text_spans: Sequence[Sequence[late.Span | None]], batch_size: int
    ) -> late.Pooled:
        """The papers' vectors (the whole text: `first` is `whole`) and each span's, embedded
        from its characters; a span that is None or has no token is a zero row in `empty`."""
        whole = self.encode(texts, batch_size)
        pieces: list[str] = []
        where: list[int] = []
        at = 0
        for text, spans in zip(texts, text_spans, strict=True):
            for sp in spans:
                if sp is not None:
                    pieces.append(text[sp[0] : sp[1]])
                    where.append(at)
                at += 1
        out = np.zeros((at, self.dim), dtype=np.float32)
        if pieces:
            out[where] = self.encode(pieces, batch_size)
        empty = [int(i) for i in np.flatnonzero(~out.any(axis=1))]
        return late.Pooled(whole, whole.copy(), out, empty)
