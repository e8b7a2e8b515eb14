"""The one pass (`explorer.embed.late`): a paper's vector and its sentences' from one run of
the real model, checked against oracles made from the same model's token states."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.embed import late
from explorer.index.sentences import paper_sentences


def test_windows_cover_every_token_with_the_stated_overlap():
    assert late.windows(254, 254) == [(0, 254)]
    assert late.windows(255, 254) == [(0, 254), (190, 65)]
    assert late.windows(300, 254) == [(0, 254), (190, 110)]
    assert late.windows(600, 254) == [(0, 254), (190, 254), (380, 220)]
    for n in (1, 254, 255, 443, 1000, 5000):
        wins = late.windows(n, 254)
        covered = np.zeros(n, int)
        for (a, w), nxt in zip(wins, [*wins[1:], None], strict=True):
            assert 0 < w <= 254 and a + w <= n
            covered[a : a + w] += 1
            if nxt is not None:
                assert nxt[0] == a + w - 64  # each next window overlaps 64 tokens
        assert (covered >= 1).all() and wins[-1][0] + wins[-1][1] == n


def test_each_token_takes_the_window_it_is_deepest_in():
    rng = np.random.default_rng(0)
    for n in rng.integers(255, 3000, 20):
        wins = late.windows(int(n), 254)
        owner = late._owner(int(n), wins)
        for j in rng.integers(0, n, 50):
            depths = [min(j - a, a + w - 1 - j) for a, w in wins if a <= j < a + w]
            a, w = wins[owner[j]]
            assert a <= j < a + w and min(j - a, a + w - 1 - j) == max(depths)


def test_every_seed_sentence_is_found_in_its_paper_text(seed_corpus):
    for p in seed_corpus:
        pieces = paper_sentences(p)
        spans = late.spans(p.text, pieces)
        assert all(s is not None for s in spans), p.id
        starts = [s[0] for s in spans if s]
        assert starts == sorted(starts) and spans[0] == (0, len(pieces[0]))
        for piece, (a, b) in zip(pieces, spans, strict=True):
            assert p.text[a:b] == piece or p.text[a:b].startswith(piece[:24])


def test_a_sentence_that_is_not_in_the_text_has_no_span():
    assert late.spans("One. Two three.", ["One.", "Four five.", "Two three."]) == [
        (0, 4),
        None,
        (5, 15),
    ]


@pytest.fixture(scope="module")
def pooled(torch_embedder, seed_corpus):
    texts = [p.text for p in seed_corpus]
    spans = [late.spans(p.text, paper_sentences(p)) for p in seed_corpus]
    return texts, spans, torch_embedder.embed_late(texts, spans)


def test_the_first_window_is_the_plain_vector_and_short_texts_are_whole(torch_embedder, pooled):
    texts, _, got = pooled
    plain = torch_embedder.embed(texts)
    assert np.allclose(got.first, plain, atol=2e-5)
    tok = torch_embedder.backend.tok
    n_tokens = np.array([len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts])
    short, long = n_tokens <= 254, n_tokens > 254
    assert short.sum() >= 20 and long.sum() >= 5  # both kinds are in the seeds
    assert np.allclose(got.whole[short], got.first[short], atol=1e-6)
    # A long abstract's whole vector sees its tail: not the cut one, but still the same paper.
    cos = (got.whole[long] * got.first[long]).sum(1)
    assert (cos < 0.999).all() and (cos > 0.85).all()


def test_sentence_vectors_are_their_tokens_states_averaged(torch_embedder, pooled):
    """Oracle: the token states of the one-window text, taken straight from the backend."""
    texts, spans, got = pooled
    backend = torch_embedder.backend
    tok = backend.tok
    at = 0
    checked = 0
    for text, sp in zip(texts, spans, strict=True):
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = enc["input_ids"]
        if len(ids) > 254:
            at += len(sp)
            continue
        seq = np.array([[tok.cls_token_id, *ids, tok.sep_token_id]], dtype=np.int64)
        (h,) = backend.hidden([(seq, np.ones_like(seq))])
        states = h[0, 1:-1]
        offsets = np.array(enc["offset_mapping"])
        for k, (a, b) in enumerate(sp):
            inside = (offsets[:, 0] < b) & (offsets[:, 1] > a)
            want = states[inside].mean(0)
            want /= np.linalg.norm(want)
            assert float(want @ got.spans[at + k]) > 0.99999
            checked += 1
        at += len(sp)
    assert checked > 150 and at == len(got.spans) and got.empty == []


def test_a_long_text_read_in_windows_matches_its_owners_states(torch_embedder):
    """Oracle: each window run alone; every token's state taken from the window it is
    deepest in; the whole vector their mean with the first [CLS] and last [SEP]."""
    text = " ".join(
        f"Sentence {i} says that topic {i % 7} matters for reason {i}." for i in range(80)
    )
    backend = torch_embedder.backend
    tok = backend.tok
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > 600
    got = torch_embedder.embed_late([text], [[(0, 40)]])
    wins = late.windows(len(ids), 254)
    states = []
    for a, w in wins:
        seq = np.array([[tok.cls_token_id, *ids[a : a + w], tok.sep_token_id]], np.int64)
        (h,) = backend.hidden([(seq, np.ones_like(seq))])
        states.append(h[0])
    owner = late._owner(len(ids), wins)
    tokens = np.stack([states[o][j - wins[o][0] + 1] for j, o in enumerate(owner)])
    whole = np.vstack([states[0][:1], tokens, states[-1][-1:]]).mean(0)
    whole /= np.linalg.norm(whole)
    assert float(whole @ got.whole[0]) > 0.99999
    first = states[0].mean(0)
    assert float(first / np.linalg.norm(first) @ got.first[0]) > 0.99999


def test_the_tokenizer_without_transformers_gives_transformers_ids_and_offsets(seed_corpus):
    """`embed.tokens.Tokens` (the `tokenizers` library on tokenizer.json) stands in for
    transformers' tokenizer on the OpenVINO backends: the same ids, cut or whole, and the same
    character offsets, on every seed text and on texts built to differ."""
    from transformers import AutoTokenizer

    from explorer.embed.model import resolve_model
    from explorer.embed.tokens import Tokens

    path = resolve_model().path
    ours, theirs = Tokens(path), AutoTokenizer.from_pretrained(path, local_files_only=True)
    texts = [p.text for p in seed_corpus] + [
        "Café naïve résumé — Ångström; 東京大学の研究 🙂 e.g. x² ≤ y³, Straße.",
        "  leading and   inner   spaces\ttab\nnewline  ",
        "",
        "word " * 700,  # longer than the tokenizer file's own 128-token cut and the model's 256
        "ﬁne ﬂow ™ ½ ⅓ ① Ⅻ (combining é) \u200b zero-width",
    ]
    for cut in ({"truncation": True, "max_length": 256}, {"add_special_tokens": False}):
        a = ours(texts, return_offsets_mapping=True, **cut)
        b = theirs(texts, return_offsets_mapping=True, padding=False, **cut)
        assert a["input_ids"] == b["input_ids"]
        assert [[tuple(o) for o in x] for x in a["offset_mapping"]] == [
            [tuple(o) for o in x] for x in b["offset_mapping"]
        ]
    assert len(ours(["word " * 700], truncation=True, max_length=256)["input_ids"][0]) == 256
    assert len(ours(["word " * 700], add_special_tokens=False)["input_ids"][0]) == 700
    assert (ours.cls_token_id, ours.sep_token_id) == (theirs.cls_token_id, theirs.sep_token_id)


def test_the_cached_one_pass_in_small_blocks_fills_every_row_as_one_block(
    torch_embedder, seed_corpus, pooled, tmp_path
):
    """embed_late_cached in blocks of 4 papers (a build takes BLOCK) puts each
    paper's and sentence's vector in its row, as the pass over all of them at once does, and
    keeps no chunk beyond its own (keep=False returns nothing)."""
    from explorer.embed.cache import Split, VectorCache, embed_late_cached

    texts, spans, got = pooled
    per = [paper_sentences(p) for p in seed_corpus]
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in per])]).astype(np.int64)
    head = np.zeros((len(texts), got.first.shape[1]), np.float32)
    tail = np.zeros((int(offsets[-1]), got.first.shape[1]), np.float16)
    cache = VectorCache(tmp_path, "m")
    hashes = [p.text_hash for p in seed_corpus]
    n = embed_late_cached(
        texts,
        spans.__getitem__,
        per.__getitem__,
        hashes,
        offsets,
        torch_embedder,
        cache,
        Split(head, tail),
        block=4,
    )
    assert n == len(texts)
    # the same vectors as one pass over all papers, up to float16 and batch shapes
    assert np.allclose(head, got.first, atol=2e-5)
    assert np.allclose(tail.astype(np.float32), got.spans, atol=2e-3)
    assert (np.abs(tail).sum(axis=1) > 0).all()
    none = torch_embedder.embed_late(texts[:2], spans[:2], keep=False)
    assert none.first.size == 0 and none.spans.size == 0
