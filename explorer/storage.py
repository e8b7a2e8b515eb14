"""Where everything lives on disk: every path explorer reads or writes is decided here.

    cache/                       EXPLORER_CACHE (or --cache), else the user's cache folder
                                 (platformdirs: ~/.cache/explorer on Linux); a ./cache that
                                 an older explorer made is still used, with a note
      vectors/<model>.sqlite     vectors shared by every corpus, keyed by text hash
      models/                    fast-backend exports, keyed by weights hash
      <corpus>/manifest.json     the commit: corpus hash, model, settings, versions, and the
                                 generation it vouches for with every file's size and SHA-256
               .lock             held by a build (a second build waits; readers never lock)
               g-<token>/        one generation, never changed once committed:
                 papers.jsonl    the corpus as read
                 titles.json     its titles in order (title look-ups parse no paper)
                 vectors.npy     (n, d) float32, rows in corpus order
                 index/          FAISS index + row→id map + meta.json
                 bm25/           the lexical index (bm25s format, no pickle)
                 landscape/      coords.npy, clusters.npy, topics.json (settings and seed)
                 map.html        the self-contained map
               map.html          a copy of the generation's map at a stable path
               views/<key>/      landscapes of one-off settings (keyed by corpus and settings)

A build writes a new generation beside the current one (unchanged files hard-linked), then
commits it by replacing `manifest.json` in one atomic step; a reader reads the manifest once and
only ever opens files of the generation it names, so it never sees half of a build.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explorer.papers import ExplorerError

SEED_NAME = "seeds"
SEED_LISTING_YEAR = 2026  # the seed listing was made in 2026: its year-less dates are 2026's
MANIFEST_VERSION = 2  # 2: artefacts live in a generation folder the manifest vouches for
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


ENV_CACHE = "EXPLORER_CACHE"
_told: set[str] = set()  # the note about a working directory's ./cache: once per process


def default_cache() -> Path:
    """The user's cache folder for explorer (platformdirs): the same for every working
    directory, so that a notebook in `notebooks/` finds what the CLI built at the top."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("explorer", appauthor=False))


def _legacy(folder: Path) -> bool:
    """Whether `folder` is a cache an older explorer made (its default was `./cache`)."""
    try:
        return folder.is_dir() and (
            (folder / "vectors").is_dir() or any(folder.glob("*/manifest.json"))
        )
    except OSError:
        return False


def cache_root() -> Path:
    """Where corpora and vectors live: EXPLORER_CACHE (the CLI's --cache sets it), else a
    `./cache` an older explorer made in the working directory (said once, on stderr), else
    `default_cache()`."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env)
    legacy = Path("cache")
    if _legacy(legacy):
        where = str(legacy.resolve())
        if where not in _told:
            _told.add(where)
            print(
                f"note: using {where} (an explorer cache in the working directory); the "
                f"default is now {default_cache()}: move it there, or set {ENV_CACHE}",
                file=sys.stderr,
            )
        return legacy
    return default_cache()


def cache_origin() -> str:
    """Why `cache_root()` is where it is, for `explorer doctor`."""
    if os.environ.get(ENV_CACHE):
        return f"${ENV_CACHE}"
    if _legacy(Path("cache")):
        return "./cache of the working directory (older default)"
    return "the user's cache folder"


def models_root(root: Path | None = None) -> Path:
    """Exported fast-backend models: EXPLORER_MODELS, else `models/` in the cache."""
    env = os.environ.get("EXPLORER_MODELS")
    return Path(env) if env else (root or cache_root()) / "models"


def seed_file() -> Path:
    """The bundled seed corpus: in the wheel (explorer/_seeds) or in a source checkout (seeds/)."""
    here = Path(__file__).resolve().parent
    for folder in (here / "_seeds", here.parent / "seeds"):
        files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
        if files:
            return files[0]
    raise ExplorerError("the seed corpus is missing: expected seeds/*.txt beside the package")


def corpus_name_for(paths: Sequence[Path]) -> str:
    """A corpus is named after its first file (`papers.jsonl.gz` → `papers`) unless told."""
    stem = Path(paths[0]).name.split(".")[0]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "corpus"
    return name[:64]


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ExplorerError(
            f"corpus name {name!r} is not allowed: use letters, digits, '.', '_' or '-'"
        )
    return name


@dataclass(frozen=True)
class Layout:
    """Paths of one corpus's artefacts: `root` is the corpus folder, `generation` the committed
    (or staged) generation whose files the artefact paths name (None: a version-1 corpus, whose
    files lie in `root` itself)."""

    root: Path
    generation: str | None = None

    @classmethod
    def of(cls, root: Path, manifest: dict[str, Any] | None) -> Layout:
        """The layout a manifest vouches for."""
        gen = manifest.get("generation") if manifest else None
        return cls(root, gen if isinstance(gen, str) and GENERATION.match(gen) else None)

    @property
    def folder(self) -> Path:
        return self.root / self.generation if self.generation else self.root

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    @property
    def papers(self) -> Path:
        return self.folder / "papers.jsonl"

    @property
    def titles(self) -> Path:
        return self.folder / "titles.json"

    @property
    def vectors(self) -> Path:
        return self.folder / "vectors.npy"

    @property
    def index(self) -> Path:
        return self.folder / "index"

    @property
    def bm25(self) -> Path:
        return self.folder / "bm25"

    @property
    def sentences(self) -> Path:
        return self.folder / "sentences"

    @property
    def landscape(self) -> Path:
        return self.folder / "landscape"

    @property
    def map_html(self) -> Path:
        return self.folder / "map.html"

    @property
    def stable_map(self) -> Path:
        """The map at a path that stays the same across builds (a copy of the generation's)."""
        return self.root / "map.html"

    @property
    def views(self) -> Path:
        """Landscapes and maps of one-off settings: caches, never the corpus's own."""
        return self.root / "views"


GENERATION = re.compile(r"^g-[0-9a-f]{16}$")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def disk_error(e: OSError, what: str) -> ExplorerError:
    """A file-system failure as one line that says what was kept."""
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOTDIR: "a path in it is a file, not a folder",
        errno.EEXIST: "a path in it is a file, not a folder",
    }.get(e.errno or -1, e.strerror or str(e))
    where = f" ({e.filename})" if e.filename else ""
    return ExplorerError(f"{what}: {reason}{where}")


class Lines(Sequence[bytes]):
    """The lines of a file, each read from a memory map when asked for: opening a 130 MB
    papers.jsonl costs one scan for newlines (~0.07 s), not 75,000 string copies."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._buf: bytes | mmap.mmap = (
                mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            )
        ends = np.flatnonzero(np.frombuffer(self._buf, dtype=np.uint8) == ord("\n"))
        if size and (not len(ends) or ends[-1] != size - 1):
            ends = np.append(ends, size)  # a last line without its newline
        self._ends = ends
        self._starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        j = range(len(self))[i]
        return bytes(self._buf[int(self._starts[j]) : int(self._ends[j])])
