"""Atomic writes: a reader sees the old file or the new one, never half of one.

Every artefact explorer saves goes through here (temporary file in the same folder, flushed
and fsynced, then `os.replace`), so a process killed mid-write loses nothing already built.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path` for binary writing; it becomes `path` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a saved map is for sharing
        os.replace(tmp, path)
        _fsync_dir(path.parent)  # the rename itself survives a power cut
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not every platform opens folders (Windows): its replace is durable
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under `folder` to disk (before a commit vouches for them:
    some writers, FAISS and bm25s, write their files themselves)."""
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_open(path) as f:
        f.write(data)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def write_npy(path: Path, array: np.ndarray) -> Path:
    with atomic_open(path) as f:
        np.save(f, array, allow_pickle=False)
    return Path(path)


def replace_dir(path: Path, fill: Callable[[Path], None]) -> Path:
    """Build a folder with `fill(tmp_dir)` and swap it in place of `path` in one step.

    The old folder is moved aside before the new one is renamed in, and removed after; a crash
    in that instant leaves `.NAME.old-*` beside it, which `recover_dir` puts back.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        fill(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        old = None
        if path.exists():
            old = path.parent / f".{path.name}.old-{os.getpid()}"
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def recover_dir(path: Path) -> Path:
    """If a swap by `replace_dir` was cut between its two renames, put the old folder back."""
    path = Path(path)
    if not path.exists():
        olds = sorted(path.parent.glob(f".{path.name}.old-*"), key=lambda p: p.stat().st_mtime)
        if olds:
            os.replace(olds[-1], path)
    return path


def publish_dir(tmp: Path, final: Path, manifest: dict[str, Any]) -> None:
    """Move a finished folder `tmp` (a model export) to `final`, its `manifest.json` written
    last: a folder without one is never trusted. If another process published `final` first,
    its folder is kept (the caller removes `tmp`)."""
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    try:
        os.replace(tmp, final)
    except OSError:  # another process finished the same export first: use its folder
        if not (final / "manifest.json").is_file():
            raise
