"""One pass for a paper and its sentences: token states pooled over spans ("late chunking").

A text is tokenized once with character offsets and run through the transformer in windows of
the model's length (256 tokens for MiniLM: [CLS], 254 tokens, [SEP]); a text longer than one
window is read in windows that overlap by `OVERLAP` tokens (each after the first only as long as
the tokens left need), and each token keeps the state of the window where it sits farthest from
an edge, so nothing past token 256 is dropped. From the token
states of that one pass come:

- `first`: the mean over the first window's tokens, [CLS] and [SEP] included: what
  sentence-transformers' mean pooling gives for the text cut at the model's length (today's
  paper vector, up to the last bits of a batch's shape);
- `whole`: the mean over [CLS], every token of the text and [SEP]: the whole abstract; equal to
  `first` for a text of one window;
- one vector per span (a sentence's characters in the text): the mean of its tokens' states.

Each row is L2-normalised. The transformer is the backend's own (`Backend.hidden`): this module
only tokenizes, windows and pools, the same way for every backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

OVERLAP = 64  # tokens two neighbouring windows share, so that every token has context
# A batch of windows: (input_ids, attention_mask), each (B, T) int64.
Batch = tuple[NDArray[np.int64], NDArray[np.int64]]
# Runs batches through the transformer: their last hidden states, (B, T, d) float32 each.
Hidden = Callable[[list[Batch]], list[NDArray[np.float32]]]
Span = tuple[int, int]

_WS = re.compile(r"\s+")


def spans(text: str, pieces: Sequence[str]) -> list[Span | None]:
    """Where each of `pieces` (in order, e.g. a paper's title and sentences) lies in `text`, as
    (start, end) characters; None for a piece not found there. A piece is looked for from the
    end of the one before; one that the sentence splitter joined from parts is found by its
    first and last words."""
    out: list[Span | None] = []
    at = 0
    for piece in pieces:
        p = _WS.sub(" ", piece).strip()
        i = text.find(p, at) if p else -1
        if i >= 0:
            out.append((i, i + len(p)))
            at = i + len(p)
            continue
        head, tail = p[:24], p[-24:]
        i = text.find(head, at) if p else -1
        j = text.find(tail, i + len(head) - len(tail) if i >= 0 else at) if i >= 0 else -1
        if i < 0 or j < 0 or j + len(tail) - i > 2 * len(p) + 16:
            out.append(None)
            continue
        out.append((i, j + len(tail)))
        at = j + len(tail)
    return out


@dataclass
class Pooled:
    """What one pass gives for n texts: `first` and `whole` (n, d), and the spans' (m, d) in
    the order they were asked for (a span with no token is a zero row, `empty` its position)."""

    first: NDArray[np.float32]
    whole: NDArray[np.float32]
    spans: NDArray[np.float32]
    empty: list[int]


def windows(n: int, width: int, overlap: int = OVERLAP) -> list[tuple[int, int]]:
    """(start, length) of the windows that cover `n` tokens: one of up to `width` tokens when
    it fits; else each next window starts `overlap` tokens before the last one ends and is
    only as long as the tokens left need (a 300-token text: 254 tokens, then 110)."""
    out = [(0, min(n, width))]
    while out[-1][0] + out[-1][1] < n:
        start = out[-1][0] + out[-1][1] - overlap
        out.append((start, min(n - start, width)))
    return out


def _owner(n: int, spans_: list[tuple[int, int]]) -> NDArray[np.int64]:
    """For each of n tokens, the window it is farthest from an edge in (the first of equals)."""
    j = np.arange(n)[:, None]
    s = np.asarray([a for a, _ in spans_])[None, :]
    e = np.asarray([a + w for a, w in spans_])[None, :]
    inside = (j >= s) & (j < e)
    depth = np.where(inside, np.minimum(j - s, e - 1 - j), -1)
    return np.asarray(depth.argmax(axis=1), dtype=np.int64)


def _unit(x: NDArray[np.float64]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def encode(
    tok: object,
    texts: Sequence[str],
    text_spans: Sequence[Sequence[Span | None]],
    hidden: Hidden,
    batch_size: int,
    max_len: int,
    group: int = 256,
) -> Pooled:
    """One pass over `texts` (see the module's docstring). `tok` is the model's fast tokenizer;
    `text_spans[i]` the character spans of text i whose vectors are wanted. Texts are taken
    `group` at a time (their windows sorted by length into batches of `batch_size`, handed to
    `hidden` together so that a backend can run them side by side)."""
    n = len(texts)
    counts = [len(s) for s in text_spans]
    m = int(sum(counts))
    first: list[NDArray[np.float64]] = [np.empty(0)] * n
    whole: list[NDArray[np.float64]] = [np.empty(0)] * n
    span_out: list[NDArray[np.float64] | None] = [None] * m
    span_at = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cls, sep = int(tok.cls_token_id), int(tok.sep_token_id)  # type: ignore[attr-defined]
    # Longer than the model's length is the point here (windows follow): not a warning.
    warned = getattr(tok, "deprecation_warnings", None)
    if isinstance(warned, dict):
        warned["sequence-length-is-longer-than-the-specified-maximum"] = True
    width = max_len - 2
    for g in range(0, n, group):
        part = range(g, min(g + group, n))
        enc = tok(  # type: ignore[operator]
            [texts[i] for i in part],
            add_special_tokens=False,
            return_offsets_mapping=True,
            truncation=False,
            verbose=False,
        )
        todo: list[tuple[int, int, list[int]]] = []  # windows: (text, start, ids)
        plans = []
        for k, i in enumerate(part):
            ids = enc["input_ids"][k]
            wins = windows(len(ids), width)
            plans.append((i, ids, np.asarray(enc["offset_mapping"][k]).reshape(-1, 2), wins))
            todo += [(i, a, [cls, *ids[a : a + w], sep]) for a, w in wins]
        order = sorted(range(len(todo)), key=lambda w: -len(todo[w][2]))
        batches: list[Batch] = []
        members: list[list[int]] = []
        for b in range(0, len(order), batch_size):
            rows = order[b : b + batch_size]
            t = max(len(todo[w][2]) for w in rows)
            ids_b = np.zeros((len(rows), t), dtype=np.int64)
            mask_b = np.zeros((len(rows), t), dtype=np.int64)
            for r, w in enumerate(rows):
                seq = todo[w][2]
                ids_b[r, : len(seq)] = seq
                mask_b[r, : len(seq)] = 1
            batches.append((ids_b, mask_b))
            members.append(rows)
        states: dict[int, NDArray[np.float32]] = {}
        for rows, h in zip(members, hidden(batches), strict=True):
            for r, w in enumerate(rows):
                states[w] = np.asarray(h[r, : len(todo[w][2])], dtype=np.float32)
        w0 = 0
        for i, ids, offsets, wins in plans:
            own = [states[w0 + k] for k in range(len(wins))]
            w0 += len(wins)
            first[i] = own[0].astype(np.float64).mean(axis=0)
            if len(ids):
                owner = _owner(len(ids), wins)
                pos = np.arange(len(ids)) - np.asarray([a for a, _ in wins])[owner] + 1  # [CLS]
                tokens = np.stack([own[o][p] for o, p in zip(owner, pos, strict=True)])
            else:
                tokens = np.zeros((0, own[0].shape[1]), dtype=np.float32)
            ends = [own[0][0], own[-1][len(own[-1]) - 1]]  # [CLS] first, [SEP] last
            whole[i] = np.vstack([ends[0][None], tokens, ends[1][None]]).astype(np.float64).mean(0)
            for k, sp in enumerate(text_spans[i]):
                at = int(span_at[i]) + k
                if sp is None or not len(ids):
                    continue
                hit = (offsets[:, 0] < sp[1]) & (offsets[:, 1] > sp[0])
                if hit.any():
                    span_out[at] = tokens[hit].astype(np.float64).mean(axis=0)
    d = first[0].shape[0] if n else 0
    empty = [j for j, v in enumerate(span_out) if v is None]
    zero = np.zeros(d)
    sp_arr = np.stack([zero if v is None else v for v in span_out]) if m else np.zeros((0, d))
    out_spans = _unit(sp_arr)
    out_spans[empty] = 0.0
    return Pooled(
        _unit(np.stack(first)) if n else np.zeros((0, d), np.float32),
        _unit(np.stack(whole)) if n else np.zeros((0, d), np.float32),
        out_spans,
        empty,
    )
