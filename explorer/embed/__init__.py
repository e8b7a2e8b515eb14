"""Embedding: the model spec and weights check (`model`), the backends (`backends`), the
`Embedder` that picks one (`embedder`) and its vector cache (`cache`)."""
