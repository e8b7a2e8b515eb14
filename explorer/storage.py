"""Where everything lives on disk: every path explorer reads or writes is decided here.

    cache/                       EXPLORER_CACHE, default ./cache
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

import contextlib
import errno
import hashlib
import json
import mmap
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explorer.papers import ExplorerError

SEED_NAME = "seeds"
SEED_LISTING_YEAR = 2026  # the seed listing was made in 2026: its year-less dates are 2026's
MANIFEST_VERSION = 2  # 2: artefacts live in a generation folder the manifest vouches for
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def cache_root() -> Path:
    return Path(os.environ.get("EXPLORER_CACHE") or "cache")


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
        return cls(root, gen if isinstance(gen, str) and _GEN.match(gen) else None)

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


_GEN = re.compile(r"^g-[0-9a-f]{16}$")
# The files of a generation that the manifest records (every file under it is recorded).
CORE = ("papers.jsonl", "titles.json", "vectors.npy", "index")


def read_manifest(layout: Layout) -> dict[str, Any] | None:
    try:
        data = json.loads(layout.manifest.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ExplorerError(f"{layout.manifest} is damaged; rebuild the corpus") from None
    if not isinstance(data, dict):
        raise ExplorerError(f"{layout.manifest} is damaged; rebuild the corpus")
    return data


# --- generations: many files committed in one step ------------------------------------------


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _files(folder: Path) -> list[str]:
    """Every file under `folder`, as sorted relative POSIX paths (temporary files excluded)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if not f.startswith("."):
                out.append((Path(dirpath) / f).relative_to(folder).as_posix())
    return sorted(out)


def fingerprint(folder: Path) -> dict[str, dict[str, Any]]:
    """{relative path: {"bytes": size, "sha256": digest}} of every file in a generation."""
    return {
        rel: {"bytes": (folder / rel).stat().st_size, "sha256": sha256_file(folder / rel)}
        for rel in _files(folder)
    }


def verify(layout: Layout, manifest: dict[str, Any], *, full: bool) -> str | None:
    """What is wrong with the generation a manifest vouches for, or None when it is whole.

    `full`: hash every file (a build does, before it trusts anything); otherwise compare the
    files and their sizes only (cheap enough for every open).
    """
    files = manifest.get("files")
    if layout.generation is None or not isinstance(files, dict):
        return "it was made by an older version of explorer"
    folder = layout.folder
    try:
        found = _files(folder)
    except OSError as e:
        return f"cannot read {folder} ({e.strerror or e})"
    if sorted(files) != found:
        missing = sorted(set(files) - set(found))
        extra = sorted(set(found) - set(files))
        return f"{folder} does not hold the files its manifest lists " + (
            f"({missing[0]} is missing)" if missing else f"({extra[0]} was not in it)"
        )
    for rel, want in files.items():
        path = folder / rel
        try:
            if path.stat().st_size != want.get("bytes"):
                return f"{path} has changed since it was built"
            if full and sha256_file(path) != want.get("sha256"):
                return f"{path} has changed since it was built"
        except OSError as e:
            return f"cannot read {path} ({e.strerror or e})"
    return None


def new_generation(root: Path) -> Layout:
    """A fresh, empty generation folder in a corpus folder (committed by `commit`)."""
    gen = f"g-{secrets.token_hex(8)}"
    (root / gen).mkdir(parents=True)
    return Layout(root, gen)


def link_or_copy(src: Path, dst: Path) -> None:
    """Put `src` (a file or folder of a committed generation) at `dst`: hard links where the
    file system allows (committed files are never changed in place), else copies."""
    if src.is_dir():
        dst.mkdir(parents=True, exist_ok=True)
        for child in src.iterdir():
            if not child.name.startswith("."):
                link_or_copy(child, dst / child.name)
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def commit(staged: Layout, manifest: dict[str, Any]) -> dict[str, Any]:
    """Vouch for the staged generation and make it the corpus's, in one atomic replace.

    The manifest records every file's size and SHA-256, so a generation that was changed or cut
    short is never trusted. Returns the manifest written."""
    from explorer import atomic  # atomic imports numpy only; storage stays importable alone

    atomic.fsync_tree(staged.folder)
    manifest = {**manifest, "generation": staged.generation, "files": fingerprint(staged.folder)}
    atomic.write_json(staged.manifest, manifest)
    return manifest


def collect_garbage(root: Path, keep: Sequence[str | None]) -> None:
    """Remove generations other than `keep` (the current one and the one before it, which a
    reader that opened it just before the commit may still be reading), the files of a
    version-1 corpus, and temporary leftovers of killed writes. Called under the build lock."""
    keep_set = {k for k in keep if k}
    if not root.is_dir():
        return
    for child in root.iterdir():
        name = child.name
        stale_gen = _GEN.match(name) and name not in keep_set
        leftover = name.startswith(".") and (".tmp" in name or ".old-" in name)
        legacy = name in CORE + ("bm25", "landscape") and keep_set
        if stale_gen or leftover or legacy:
            with contextlib.suppress(OSError):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()


@contextlib.contextmanager
def build_lock(layout: Layout, *, quiet: bool = False) -> Iterator[None]:
    """Hold the corpus's build lock: a second build of the same corpus waits for the first
    (saying so on stderr). The lock is the operating system's (flock), so a killed build never
    leaves it held."""
    from filelock import FileLock, Timeout

    layout.root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(layout.lock), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not quiet:
            print(
                f"waiting for another build of corpus {layout.root.name!r} to finish "
                f"(lock {layout.lock})…",
                file=sys.stderr,
            )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


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
