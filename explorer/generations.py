"""Generations: how a build's files are staged, vouched for, committed and trusted.

A build writes a new generation folder beside the committed one (unchanged files hard-linked),
then commits it by replacing `manifest.json` in one atomic step; a reader reads the manifest once
and only ever opens files of the generation it names, so it never sees half of a build. A
generation is trusted again only after every file the manifest lists matches its size (on open)
or its SHA-256 (before a build reuses it). Where the files live is `storage.Layout`'s business.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from explorer import atomic
from explorer.papers import ExplorerError
from explorer.storage import GENERATION, MANIFEST_VERSION, Layout, sha256_file

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
        stale_gen = GENERATION.match(name) and name not in keep_set
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


def trusted(layout: Layout) -> dict[str, Any] | None:
    """The committed manifest, if every file it vouches for is there as it was written."""
    try:
        old = read_manifest(layout)
    except ExplorerError as e:
        print(f"note: {e}; building it afresh", file=sys.stderr)
        return None
    if old is None:
        return None
    problem = (
        verify(Layout.of(layout.root, old), old, full=True)
        if old.get("manifest_version") == MANIFEST_VERSION
        else "it was made by an older version of explorer"
    )
    if problem is not None:
        print(
            f"note: corpus {layout.root.name!r}: {problem}; building it afresh "
            "(cached vectors are reused)",
            file=sys.stderr,
        )
        return None
    return old


def names_generation(folder: Path, generation: str | None) -> bool:
    """Whether the corpus's manifest names `generation` (an interrupt can land after the commit's
    replace but before `commit` returns: that generation is then the corpus, and is kept)."""
    try:
        manifest = read_manifest(Layout(folder))
    except ExplorerError:
        return False
    return manifest is not None and manifest.get("generation") == generation


def same_manifest(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two manifests say the same thing (the generation and its files aside)."""
    skip = {"generation", "files"}
    return {k: v for k, v in old.items() if k not in skip} == new


def stable_map(final: Layout, manifest: dict[str, Any]) -> Path:
    """`<corpus>/map.html`: a copy of the committed map at a path that does not change between
    builds (refreshed whenever it differs from what the manifest vouches for)."""
    want = manifest.get("files", {}).get("map.html", {})
    stable = final.stable_map
    try:
        if stable.stat().st_size == want.get("bytes") and sha256_file(stable) == want.get("sha256"):
            return stable
    except OSError:
        pass
    try:
        atomic.write_bytes(stable, final.map_html.read_bytes())
    except OSError:
        return final.map_html  # the convenience copy failed: the generation's map is whole
    return stable
