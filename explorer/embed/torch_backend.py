"""The PyTorch backends, through sentence-transformers: float32 on the CPU (the reference every
other backend is measured against), bf16 where the CPU has native bf16, fp16 on an NVIDIA GPU.
They give the transformer's token states too (`hidden`), for the one pass (`embed.late`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from explorer.embed.model import ModelSpec, offline
from explorer.papers import ExplorerError

# The backends run through sentence-transformers: name → (device, dtype).
TORCH_BACKENDS = {
    "torch": ("cpu", None),  # the reference: float32
    "torch-bf16": ("cpu", "bfloat16"),  # pays only with native bf16 (avx512_bf16, AMX)
    "cuda-fp16": ("cuda", "float16"),  # an NVIDIA GPU: model.half() on device cuda
}


class TorchBackend:
    """sentence-transformers on PyTorch: float32 on the CPU (the reference), bf16 or CUDA fp16."""

    def __init__(self, spec: ModelSpec, name: str = "torch") -> None:
        device, dtype = TORCH_BACKENDS[name]
        self.name = name
        if spec.path is not None:
            offline()  # a local model never needs the hub: nothing may try to reach it
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        if device == "cuda" and not torch.cuda.is_available():
            raise ExplorerError(f"backend {name!r} needs an NVIDIA GPU and torch built with CUDA")
        hf_logging.disable_progress_bar()  # "Loading weights" on every start is noise to users
        try:
            self.model = SentenceTransformer(
                str(spec.path or spec.name),
                device=device,
                local_files_only=spec.path is not None,
            )
        except OSError as e:
            raise ExplorerError(
                f"cannot load model {spec.name!r}: {str(e).splitlines()[0]}"
            ) from None
        self.renormalise = dtype is not None  # float32 rows come normalised already
        if dtype == "float16":
            self.model.half()
        elif dtype == "bfloat16":
            self.model.to(torch.bfloat16)
        # What the one pass (`embed.late`) needs: the tokenizer and the window's length.
        self.tok = self.model.tokenizer
        self.max_len = int(self.model.max_seq_length or 512)
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ExplorerError(f"model {spec.name!r} does not say its embedding dimension")
        self.dim = int(dim)

    def encode(self, texts: list[str], batch_size: int) -> NDArray[np.float32]:
        out = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        out = np.asarray(out, dtype=np.float32)
        if self.renormalise:  # bf16 and fp16 rows, normalised at their precision
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def hidden(
        self, batches: list[tuple[NDArray[np.int64], NDArray[np.int64]]]
    ) -> list[NDArray[np.float32]]:
        """The transformer's last hidden states (B, T, d) for each batch of token ids, as
        sentence-transformers' own Transformer module gives them (`embed.late` pools them)."""
        import torch

        module, device = self.model[0], self.model.device
        out = []
        with torch.inference_mode():
            for ids, mask in batches:
                feats = {
                    "input_ids": torch.from_numpy(ids).to(device),
                    "attention_mask": torch.from_numpy(mask).to(device),
                }
                h = module(feats)["token_embeddings"]
                out.append(h.float().cpu().numpy())
        return out
