"""Building a corpus: read → embed → index → save, BM25, then the map; what was done, reported.

`build` returns the built parts (`Built`), from which `Explorer.build` makes its facade. Each
stage reuses what an earlier build made when its inputs are unchanged, and papers appended to a
built corpus are embedded and placed alone.

A build holds the corpus's lock, writes a new generation folder beside the committed one
(unchanged files hard-linked from it) and commits it by replacing the manifest in one atomic
step (`generations.commit`). A build killed at any point leaves the committed generation as it was;
the next build trusts a generation only after hashing every file its manifest lists.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from explorer import atomic, sources, stages
from explorer.embed.embedder import PROGRESS_MIN, Embedder
from explorer.generations import (
    CORE,
    build_lock,
    collect_garbage,
    commit,
    link_or_copy,
    names_generation,
    new_generation,
    same_manifest,
    stable_map,
    trusted,
)
from explorer.index.vectors import VectorIndex, library_versions
from explorer.maps import landscape
from explorer.maps.landscape import Landscape, Settings
from explorer.papers import Corpus, ExplorerError
from explorer.progress import Stages
from explorer.report import BuildReport
from explorer.storage import (
    MANIFEST_VERSION,
    Layout,
    cache_root,
    disk_error,
    models_root,
)

if TYPE_CHECKING:
    from explorer.index.lexical import LexicalIndex


@dataclass
class Built:
    """What a build made: the parts an `Explorer` is made of, and the report."""

    name: str
    corpus: Corpus
    index: VectorIndex
    manifest: dict[str, Any]
    root: Path
    embedder: Embedder
    lexical: LexicalIndex
    landscape: Landscape | None
    report: BuildReport


def build(
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
    settings: Settings | Mapping[str, Any] | None = None,
    sentences: bool | None = None,
    engine: str = "local",
    address: str | None = None,
    replace: bool = False,
) -> Built:
    """Read `paths` (default: the seed corpus), embed what is not cached, index, save;
    then (unless `with_map=False`) lay out the map, find topics and write `map.html`.

    Each stage reuses what an earlier build made when its inputs are unchanged; papers
    appended to a built corpus are embedded alone, appended to the index and placed on the
    existing map. `rebuild=True` re-indexes and lays the map out afresh. `settings` become the
    corpus's own map settings (default: the ones it has, else `Settings()`); a mapping such as
    `{"min_cluster_size": 15}` changes only those fields of them (None: back to automatic),
    and `report.extra["settings_changed"]` says what changed. When only the topics' settings
    change, the saved map is reused and only the topics are found again.
    `sentences`: keep each paper's sentence vectors (None: as the corpus's last build did,
    else yes), pooled from each paper's one pass (`explorer.embed.late`); without them the
    build reads each text only up to the model's length and ranks by "hybrid".
    `progress`: a line per stage and an embedding bar on stderr (default: from 64 papers).
    `engine="ray"` embeds on a Ray actor pool (`explorer.embed.distributed`): a local Ray
    instance, or the cluster at `address`; the same vectors land in the same cache, and the
    rest of the build is this one. `Built.embedder` is the local embedder either way.
    No `paths` with a `name`: that corpus's own sources again (`explorer.sources`); files other
    than its own may grow it, and replace its papers only with `replace=True`.
    """
    from explorer.readers import read_corpus

    if engine not in ("local", "ray"):
        raise ExplorerError(f"unknown engine {engine!r}: choose local or ray")
    if address is not None and engine != "ray":
        raise ExplorerError("--address needs --engine ray")
    if engine == "ray":
        from explorer.embed.distributed import check

        check(address)  # before anything is read, resolved or loaded
    t0 = time.perf_counter()
    stage = Stages(show=bool(progress))
    root = Path(root or cache_root())
    src = sources.resolve(
        paths,
        name=name,
        root=root,
        listing_year=listing_year,
        columns=columns,
        fmt=fmt,
        replace=replace,
    )
    name, files = src.name, src.files
    listing_year, columns, fmt = src.listing_year, src.columns, src.fmt
    with stage("read", silent=True):  # reported below, once the size says whether to
        corpus = read_corpus(files, listing_year=listing_year, columns=columns, fmt=fmt)
        _ = corpus.content_hash  # hashes every text (cached): part of reading
    src.check_kept(corpus)  # other files than the corpus's own: growth, or told to replace
    if len(corpus) == 0:
        raise ExplorerError(f"{files[0]}: no papers with an abstract")
    if progress is None:  # a reading list builds silently, an arXiv dump says what it does
        stage.show = len(corpus) >= PROGRESS_MIN
    stage.report("read", f"{len(corpus):,} papers")
    if embedder is None:
        from explorer.embed.embedder import first_backend, kept_backend
        from explorer.generations import read_manifest

        # A built corpus keeps the backend its vectors were made with (this machine might
        # measure another one fastest); a new one gets this machine's choice.
        try:
            made = read_manifest(Layout(root / name))
        except (ExplorerError, OSError):
            made = None  # a damaged corpus: the build below says so or makes it afresh
        if model is None and made is not None:
            model = _kept_model(made)  # a corpus keeps its model (`--model static`) until told
        backend = kept_backend(made, model, rebuild)
        if backend is None and made is None:  # a new corpus: small ones need no probe
            backend = first_backend(model, models_root(root), len(corpus))
        embedder = Embedder(model, backend, model_cache=models_root(root), progress=progress)
    recipe = src.recipe()
    try:
        with build_lock(Layout(root / name)), _engine(embedder, engine, address) as embeds:
            built = _build_locked(
                root / name,
                corpus,
                recipe,
                embeds,
                settings,
                stage,
                with_map=with_map,
                rebuild=rebuild,
                sentences=sentences,
            )
        built.embedder = embedder  # queries embed here, not on Ray (which is shut down)
    except OSError as e:
        raise disk_error(
            e, f"cannot build corpus {name!r} in {root} (the corpus as it was before is kept)"
        ) from None
    except sqlite3.Error as e:
        raise ExplorerError(
            f"cannot build corpus {name!r}: the vector cache in {root} "
            f"failed ({e}); the corpus as it was before is kept"
        ) from None
    built.report.seconds = time.perf_counter() - t0
    built.report.extra["stages"] = dict(stage.seconds)
    return built


def _kept_model(manifest: dict[str, Any]) -> str | None:
    """The model a built corpus was made with, when it is one of ours on this machine (the
    bundled model or its static distillate; a local path is recorded by name only)."""
    from explorer.embed.model import resolve_model

    name = manifest.get("model")
    if not isinstance(name, str):
        return None
    try:
        return name if resolve_model(name).path is not None else None
    except ExplorerError:
        return None


@contextlib.contextmanager
def _engine(embedder: Embedder, engine: str, address: str | None) -> Iterator[Embedder]:
    """What embeds for this build: `embedder`, or a Ray actor pool running its very settings."""
    if engine != "ray":
        yield embedder
        return
    from explorer.embed.distributed import RayEmbedder

    with RayEmbedder(embedder, address=address) as remote:
        yield remote


def _build_locked(
    folder: Path,
    corpus: Corpus,
    recipe: dict[str, Any],
    embedder: Embedder,
    settings: Settings | Mapping[str, Any] | None,
    stage: Stages,
    *,
    with_map: bool,
    rebuild: bool,
    sentences: bool | None = None,
) -> Built:
    """The build proper, under the corpus's lock: stage a generation, fill it, commit it."""
    corpus_hash, name = corpus.content_hash, recipe["corpus"]
    old = trusted(Layout(folder))
    # Sentence vectors: kept unless this build or the corpus's last one said --no-sentences.
    keep_sentences = sentences if sentences is not None else bool((old or {}).get("sentences", 1))
    was = Layout.of(folder, old)  # the committed generation (only read while old is set)
    base = stages.settings_of(old)
    if isinstance(settings, Mapping):  # changes to the corpus's own settings
        settings = replace(base, **settings)
    settings = settings or base
    changed = {
        k: (getattr(base, k), getattr(settings, k))
        for k in asdict(settings)
        if getattr(base, k) != getattr(settings, k)
    }
    current = (
        old is not None
        and old.get("corpus_hash") == corpus_hash
        and old.get("model_id") == embedder.model_id
    )
    staged = new_generation(folder)
    committed = False
    try:
        embedded, reused_parts = 0, 0
        if current:  # the same texts and model: the core files are linked, not rewritten
            for part in CORE:
                link_or_copy(was.folder / part, staged.folder / part)
            index = VectorIndex.load(
                staged.index, model_id=embedder.model_id, corpus_hash=corpus_hash
            )
            vectors: NDArray[np.float32] = np.load(
                staged.vectors, mmap_mode="r", allow_pickle=False
            )
            reused_parts += 1
            if keep_sentences:
                reused_parts += stages.kept_sentences(corpus, embedder, folder, was, staged, stage)
            else:
                reused_parts += old is not None and not old.get("sentences", True)
        else:
            vectors, embedded, index, store = stages.embed_and_index(
                corpus, embedder, folder, old, was, stage, rebuild, keep_sentences
            )
            with stage("save", str(staged.folder)):
                atomic.write_text(staged.papers, corpus.to_jsonl())
                atomic.write_json(staged.titles, corpus.titles)
                atomic.write_npy(staged.vectors, vectors)
                index.save(staged.index)
                if store is not None:
                    store.save(staged.sentences)
        lexical, job = stages.lexical(corpus, was if current else None, staged, with_map, stage)
        reused_parts += lexical is not None and job is None and current
        land, fresh, placed = None, False, 0
        shown: Landscape | None = None  # the map as drawn: the corpus's topic edits applied
        if with_map:
            land, fresh, placed = stages.land_of(
                corpus,
                np.asarray(vectors),
                settings,
                old,
                was,
                staged,
                rebuild,
                stage,
                embedder.model_id,
            )
            if not fresh and (was.map_html).exists():
                link_or_copy(was.map_html, staged.map_html)
            else:
                from explorer.maps import edits_file, page  # plotly: imported only to draw

                with stage("map", str(staged.map_html)):
                    try:  # the user's labels; an unreadable edits file is said on opening
                        shown, _ = edits_file.applied(staged, land, corpus.ids)
                    except ExplorerError:
                        shown = land
                    page.write_map(staged.map_html, name, corpus, shown)
                fresh = True
        elif current and was.landscape.exists():  # keep a current map as it is
            land = landscape.load(was.landscape, settings, corpus_hash)
            fresh = land is None  # a stale map is dropped: that is a change
            if land is not None:
                link_or_copy(was.landscape, staged.landscape)
                if was.map_html.exists():
                    link_or_copy(was.map_html, staged.map_html)
        if job is not None:
            with stage("lexical", "BM25 index, built alongside the map (waiting for it)"):
                lexical = job.result()
        assert lexical is not None
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            **recipe,
            "corpus_hash": corpus_hash,
            "model_id": embedder.model_id,
            "model": embedder.spec.name,
            "backend": embedder.backend_name,
            "dim": index.meta.dim,
            "count": len(corpus),
            "settings": asdict(settings),
            "landscape": land.key if land else None,
            "sentences": keep_sentences,
            "versions": library_versions(),
        }
        unchanged = (
            old is not None and reused_parts == 3 and not fresh and same_manifest(old, manifest)
        )
        if unchanged:
            assert old is not None
            shutil.rmtree(staged.folder, ignore_errors=True)
            manifest, final = old, was
        else:
            manifest = commit(staged, manifest)
            committed, final = True, staged
            collect_garbage(folder, keep=[staged.generation, was.generation if old else None])
    except BaseException:
        if not committed and not names_generation(folder, staged.generation):
            shutil.rmtree(staged.folder, ignore_errors=True)
        raise
    map_path = stable_map(final, manifest) if final.map_html.exists() else None
    stats = corpus.stats
    report = BuildReport(
        corpus=name,
        papers=len(corpus),
        rows=stats.rows,
        skipped_no_abstract=stats.skipped_no_abstract,
        duplicate_ids=stats.duplicate_ids,
        merged_versions=stats.merged_versions,
        dates_from_ids=stats.dates_from_ids,
        embedded=embedded,
        reused=len(corpus) - embedded,
        up_to_date=not committed,
        seconds=0.0,
        path=folder,
        map_path=map_path,
    )
    if library := stats.library():  # library files read (issue 25): merges, skips, no abstracts
        report.extra["library"] = library
    if changed and old is not None:
        report.extra["settings_changed"] = changed
    if placed and shown is not None:  # the tree as `explorer topics` shows it: edits applied
        report.add_growth(shown.tree, corpus, placed)
    return Built(name, corpus, index, manifest, folder.parent, embedder, lexical, land, report)
