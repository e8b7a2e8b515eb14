"""What a build reads: the files given, or the corpus's own sources on record; never another
corpus's files in its place unless told.

`explorer build --corpus k --min-cluster-size 25` (no file) re-reads the files `k` was built
from, with the listing year, columns and format it was built with, so a settings change applies
to the corpus as it is. Before this rule it read the seed listing and replaced `k` with it.
A build from other files is fine when it only grows the corpus (the papers built before come
first, unchanged: a new month's dump that holds the old one); one that would drop or change
papers built from other files needs `replace=True` (`--replace`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.generations import read_manifest
from explorer.papers import Corpus, ExplorerError
from explorer.storage import (
    SEED_LISTING_YEAR,
    SEED_NAME,
    Layout,
    check_name,
    corpus_name_for,
    seed_file,
)


@dataclass(frozen=True)
class Sources:
    """The files a build reads and how: the recipe its manifest records."""

    name: str
    files: list[Path]
    listing_year: int | None
    columns: dict[str, str]
    fmt: str | None
    # Set when the files are not the corpus's own: (its files, its paper count, its hash).
    other: tuple[list[str], int, str] | None = None
    replace: bool = False

    def check_kept(self, corpus: Corpus) -> None:
        """Raise unless reading other files only grows the corpus, or replacing was asked."""
        if self.other is None or self.replace:
            return
        recorded, count, corpus_hash = self.other
        if 0 < count <= len(corpus) and corpus.prefix_hash(count) == corpus_hash:
            return  # its papers first, unchanged: growth
        raise ExplorerError(
            f"corpus {self.name!r} was built from {_shown(recorded)}; building it from "
            f"{_shown(self.files)} would replace its papers: add --replace (replace=True) to "
            "do that, or name another corpus with --corpus"
        )

    def recipe(self) -> dict[str, Any]:
        return {
            "corpus": self.name,
            "sources": [_absolute(f) for f in self.files],
            "listing_year": self.listing_year,
            "columns": dict(self.columns),
            "format": self.fmt,
        }


def _recorded(name: str, root: Path) -> dict[str, Any] | None:
    try:
        return read_manifest(Layout(root / name))
    except (ExplorerError, OSError):
        return None  # damaged: the build says so, or makes it afresh from given files


def _absolute(path: str | Path) -> str:
    """`path` resolved (links followed), or as given made absolute where it cannot be (a link
    loop): reading it then says what is wrong, in one line."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return str(Path(path).absolute())


def _shown(files: Sequence[str | Path]) -> str:
    names = [str(f) for f in files]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def resolve(
    paths: str | Path | Sequence[str | Path] | None,
    *,
    name: str | None,
    root: Path,
    listing_year: int | None = None,
    columns: Mapping[str, str] | None = None,
    fmt: str | None = None,
    replace: bool = False,
) -> Sources:
    """The files and reading options of a build (see the module's docstring); a one-line
    error when there is nothing to read. Whether other files may replace the corpus is known
    once they are read: `Sources.check_kept`."""
    given = [] if paths is None else [paths] if isinstance(paths, (str, Path)) else list(paths)
    files = [Path(p) for p in given]
    if not files and (name is None or name == SEED_NAME):
        return Sources(SEED_NAME, [seed_file()], listing_year or SEED_LISTING_YEAR, {}, fmt)
    name = check_name(name or corpus_name_for(files))
    made = _recorded(name, root)
    recorded = [str(s) for s in (made or {}).get("sources") or []]
    if not files:
        hint = f"give its files: explorer build FILE --corpus {name}"
        if made is None:
            raise ExplorerError(f"corpus {name!r} is not built in {root}; {hint}")
        if not recorded:
            raise ExplorerError(f"corpus {name!r} has no source files on record; {hint}")
        gone = [s for s in recorded if not Path(s).is_file()]
        if gone:
            raise ExplorerError(
                f"corpus {name!r} was built from {_shown(gone)}, which is gone; {hint} "
                "(the corpus as it is stays usable)"
            )
        assert made is not None
        return Sources(
            name,
            [Path(s) for s in recorded],
            listing_year if listing_year is not None else made.get("listing_year"),
            dict(columns if columns is not None else made.get("columns") or {}),
            fmt if fmt is not None else made.get("format"),
        )
    now = [_absolute(f) for f in files]
    other = None
    if made is not None and recorded and now[: len(recorded)] != recorded:
        other = (recorded, int(made.get("count") or 0), str(made.get("corpus_hash")))
    return Sources(name, files, listing_year, dict(columns or {}), fmt, other, replace)
