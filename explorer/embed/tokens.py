"""The model's tokenizer through the `tokenizers` library, without importing transformers.

transformers' fast tokenizer runs this same `tokenizer.json`; importing transformers (which
imports torch) took 5 of the 6 seconds of a free-text query's cold start on the OpenVINO
backends. The file's own truncation and padding (128 tokens, for the model's training) are
switched off: each call says its own, as transformers' keyword arguments did. `tests/test_late.py`
checks that the ids and offsets equal transformers' on every seed text and on hostile ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from explorer.papers import ExplorerError


class Tokens:
    """Called as transformers' tokenizer is by the backends: `tok(texts, truncation=…,
    max_length=…, add_special_tokens=…, return_offsets_mapping=…)` → {"input_ids": […],
    "offset_mapping": […]}; `cls_token_id`, `sep_token_id`."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        path = Path(model_dir) / "tokenizer.json"
        try:
            self.tok = Tokenizer.from_file(str(path))
            config = json.loads((Path(model_dir) / "tokenizer_config.json").read_text("utf-8"))
        except (OSError, ValueError, Exception) as e:  # tokenizers raises a bare Exception
            raise ExplorerError(f"cannot read the model's tokenizer {path}: {e}") from None
        self.tok.no_padding()
        self.tok.no_truncation()
        cls, sep = config.get("cls_token", "[CLS]"), config.get("sep_token", "[SEP]")
        cls_id, sep_id = self.tok.token_to_id(str(cls)), self.tok.token_to_id(str(sep))
        if cls_id is None or sep_id is None:
            raise ExplorerError(f"{path} has no {cls} or {sep} token")
        self.cls_token_id, self.sep_token_id = int(cls_id), int(sep_id)

    def __call__(
        self,
        texts: Sequence[str],
        *,
        truncation: bool = False,
        max_length: int | None = None,
        add_special_tokens: bool = True,
        return_offsets_mapping: bool = False,
        **_: Any,
    ) -> dict[str, list[Any]]:
        if truncation and max_length:
            self.tok.enable_truncation(max_length=max_length)
        else:
            self.tok.no_truncation()
        encs = self.tok.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        out: dict[str, list[Any]] = {"input_ids": [e.ids for e in encs]}
        if return_offsets_mapping:
            out["offset_mapping"] = [e.offsets for e in encs]
        return out
