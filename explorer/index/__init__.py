"""Indexes over a corpus: dense vectors in FAISS, BM25 over words."""
