"""Building a corpus: read → embed → index → save, BM25, then the map; what was done, reported.

`Explorer.build` is `build` here. Each stage reuses what an earlier build made when its inputs
are unchanged, and papers appended to a built corpus are embedded and placed alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer import atomic
from explorer.embedding import PROGRESS_MIN, Embedder
from explorer.index import VectorIndex, library_versions
from explorer.papers import Corpus, ExplorerError
from explorer.progress import Stages
from explorer.storage import (
    MANIFEST_VERSION,
    SEED_LISTING_YEAR,
    SEED_NAME,
    Layout,
    cache_root,
    check_name,
    corpus_name_for,
    models_root,
    read_manifest,
    seed_file,
)

if TYPE_CHECKING:
    from explorer.lexical import BackgroundBuild
    from explorer.workspace import Explorer

# From this many papers (BM25 then takes 3 s, starting a process 1 s), BM25 is built in a child
# process while the map is laid out: UMAP with a seed runs on one core, leaving the other free.
BACKGROUND_LEXICAL_MIN = 10_000


@dataclass
class BuildReport:
    """What a build did, for the summary line and for tests."""

    corpus: str
    papers: int
    rows: int
    skipped_no_abstract: int
    duplicate_ids: list[str]
    embedded: int
    reused: int
    up_to_date: bool
    seconds: float
    path: Path
    map_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        s = f"{self.corpus}: {self.papers} papers"
        if self.skipped_no_abstract:
            s += f", {self.skipped_no_abstract} rows without abstract skipped"
        if self.duplicate_ids:
            shown = ", ".join(self.duplicate_ids[:3]) + (" …" if len(self.duplicate_ids) > 3 else "")
            s += f", {len(self.duplicate_ids)} duplicate ids kept once ({shown})"
        if self.up_to_date:
            return s + f"; already up to date ({self.seconds:.1f}s)"
        return s + f"; embedded {self.embedded}, reused {self.reused} cached; {self.seconds:.1f}s"

    @property
    def output(self) -> Path:
        """What `explorer build` prints on stdout: the map if one was made, else the folder."""
        return self.map_path or self.path


def build(
    cls: type[Explorer],
    paths: str | Path | Sequence[str | Path] | None = None,
    *,
    name: str | None = None,
    model: str | None = None,
    listing_year: int | None = None,
    columns: Mapping[str, str] | None = None,
    fmt: str | None = None,
    embedder: Embedder | None = None,
    root: Path | None = None,
    with_map: bool = True,
    rebuild: bool = False,
    progress: bool | None = None,
) -> Explorer:
    """Read `paths` (default: the seed corpus), embed what is not cached, index, save;
    then (unless `with_map=False`) lay out the map, find topics and write `map.html`.

    Each stage reuses what an earlier build made when its inputs are unchanged; papers
    appended to a built corpus are embedded alone, appended to the index and placed on the
    existing map. `rebuild=True` re-indexes and lays the map out afresh. The report of what
    was done is `explorer.report`, with each stage's seconds in `report.extra["stages"]`.
    `progress`: a line per stage and an embedding bar on stderr (default: from 64 papers).
    """
    from explorer.readers import read_corpus

    t0 = time.perf_counter()
    stage = Stages(show=bool(progress))
    if paths is None or (not isinstance(paths, (str, Path)) and len(paths) == 0):
        files = [seed_file()]
        name = name or SEED_NAME
        listing_year = listing_year or SEED_LISTING_YEAR
    else:
        files = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    name = check_name(name or corpus_name_for(files))
    root = root or cache_root()
    layout = Layout(root / name)
    with stage("read", silent=True):  # reported below, once the size says whether to
        corpus = read_corpus(files, listing_year=listing_year, columns=columns, fmt=fmt)
        corpus_hash = corpus.content_hash  # hashes every text: part of reading
    if len(corpus) == 0:
        raise ExplorerError(f"{files[0]}: no papers with an abstract")
    if progress is None:  # a reading list builds silently, an arXiv dump says what it does
        stage.show = len(corpus) >= PROGRESS_MIN
    stage.report("read", f"{len(corpus):,} papers")
    embedder = embedder or Embedder(model, model_cache=models_root(root), progress=progress)
    old = read_manifest(layout)
    up_to_date = (
        old is not None
        and old.get("corpus_hash") == corpus_hash
        and old.get("model_id") == embedder.model_id
        and layout.index.exists()
        and layout.vectors.exists()
    )
    embedded = 0
    if up_to_date:
        index = VectorIndex.load(layout.index, model_id=embedder.model_id, corpus_hash=corpus_hash)
    else:
        from explorer.cache import VectorCache, embed_cached

        cache = VectorCache(root, embedder.model_id)
        try:
            what = f"{len(corpus):,} papers ({embedder.backend_name}; cached ones reused)"
            with stage("embed", what):
                vectors, embedded = embed_cached(
                    [p.text for p in corpus], corpus.text_hashes, embedder, cache
                )
        finally:
            cache.close()
        n_old = 0 if rebuild or old is None else _appended_to(old, corpus, embedder.model_id)
        with stage("index", f"{len(corpus) - n_old:,} vectors"):
            if n_old:  # papers were only appended: grow the index (an HNSW graph is costly)
                index = VectorIndex.load(layout.index, model_id=embedder.model_id,
                                         corpus_hash=old["corpus_hash"])
                index.add(vectors[n_old:], corpus.ids[n_old:], corpus_hash)
            else:
                index = VectorIndex.build(
                    vectors, corpus.ids, model_id=embedder.model_id, corpus_hash=corpus_hash
                )
        with stage("save", str(layout.root)):
            atomic.write_text(layout.papers, corpus.to_jsonl())
            atomic.write_json(layout.titles, corpus.titles)
            atomic.write_npy(layout.vectors, vectors)
            index.save(layout.index)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "corpus": name,
        "corpus_hash": corpus_hash,
        "model_id": embedder.model_id,
        "model": embedder.spec.name,
        "backend": embedder.backend_name,
        "dim": index.meta.dim,
        "count": len(corpus),
        "sources": [str(Path(f).resolve()) for f in files],
        "listing_year": listing_year,
        "columns": dict(columns or {}),
        "format": fmt,
        "versions": library_versions(),
    }
    if not up_to_date or old != manifest:
        atomic.write_json(layout.manifest, manifest)  # last: it vouches for the rest
    ex = cls(name, corpus, index, manifest, embedder=embedder, root=root)
    stats = corpus.stats
    ex.report = BuildReport(
        corpus=name, papers=len(corpus), rows=stats.rows,
        skipped_no_abstract=stats.skipped_no_abstract, duplicate_ids=stats.duplicate_ids,
        embedded=embedded, reused=0 if up_to_date else len(corpus) - embedded,
        up_to_date=up_to_date, seconds=0.0, path=layout.root,
    )
    # BM25 is built now, so that the first hybrid query does not wait for it; beside a
    # large corpus's layout (one core) it is built in a child process on the other core.
    lexical_job = None
    if with_map and len(corpus) >= BACKGROUND_LEXICAL_MIN:
        lexical_job = _start_lexical(ex)
    if lexical_job is None:
        with stage("lexical", "BM25 index"):
            _ = ex.lexical
    if with_map:
        fresh = ex._ensure_landscape(None, rebuild=rebuild, stages=stage)[1]
        if fresh or not layout.map_html.exists():
            with stage("map", str(layout.map_html)):
                ex.write_map()
            ex.report.up_to_date = False
        ex.report.map_path = layout.map_html
    if lexical_job is not None:
        with stage("lexical", "BM25 index, built alongside the map (waiting for it)"):
            ex._lexical = lexical_job.result()
    ex.report.seconds = time.perf_counter() - t0
    ex.report.extra["stages"] = dict(stage.seconds)
    return ex


def _start_lexical(ex: Explorer) -> BackgroundBuild | None:
    """Start building the BM25 index in a child process; None when a current one is saved
    (and now loaded)."""
    from explorer.lexical import BackgroundBuild, LexicalIndex

    try:
        ex._lexical = LexicalIndex.load(ex.layout.bm25, corpus_hash=ex.corpus.content_hash)
        return None
    except ExplorerError:
        texts = [p.text for p in ex.corpus]
        return BackgroundBuild(ex.layout.bm25, texts, ex.corpus.content_hash)


def _appended_to(old: dict[str, Any], corpus: Corpus, model_id: str) -> int:
    """How many papers the built corpus had, if `corpus` only appends papers to it; else 0."""
    n_old = int(old.get("count", 0))
    if old.get("model_id") != model_id or not 0 < n_old < len(corpus):
        return 0
    return n_old if corpus.prefix_hash(n_old) == old.get("corpus_hash") else 0
