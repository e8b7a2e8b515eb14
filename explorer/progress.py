"""Progress of a long build on stderr: a line per stage with its wall time and the process's
peak memory so far; the embedding stage has its own bar (`Bar`, which `Embedder` shows).

`Stages` times every stage it is asked to (the times land in the build report whatever the
output); it prints only when `show` is true, which builds decide by corpus size so that a
reading list builds silently and an arXiv dump says what it is doing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def peak_memory_mb() -> float | None:
    """This process's peak resident memory so far, in MB (None where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 / (1024 if sys.platform == "darwin" else 1)  # macOS counts bytes


class Stages:
    """`with stages("embed", "74,728 papers"): ...` → `embed 74,728 papers…` then
    `  embed: 512.3s (peak 1.9 GB)`."""

    def __init__(self, show: bool = False) -> None:
        self.show = show
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str, detail: str = "", *, silent: bool = False) -> Iterator[None]:
        """Time a stage; `silent`: print nothing now (`report` it later)."""
        if self.show and not silent:
            print(f"{name} {detail}…" if detail else f"{name}…", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            if not silent:
                self.report(name)

    def report(self, name: str, detail: str = "") -> None:
        """Print a timed stage's line (for a stage timed silently, before `show` was decided)."""
        if not self.show:
            return
        peak = peak_memory_mb()
        mem = f" (peak {peak / 1024:.1f} GB)" if peak is not None else ""
        what = f" {detail}" if detail else ""
        print(f"  {name}{what}: {self.seconds[name]:.1f}s{mem}", file=sys.stderr, flush=True)


class Bar:
    """A bar that moves by the texts' length, not their count: chunks go longest first, so a
    bar counting texts promised hours at the start of a build that took minutes (issue 23).
    It says how many texts are done beside it; the ETA is tqdm's, from the length done."""

    def __init__(self, n: int, size: int) -> None:
        import importlib.util

        # tqdm.auto draws a widget in a notebook, but warns "IProgress not found" in one
        # without ipywidgets: the plain bar then, silently.
        if importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

        self.n, self.done = n, 0
        self.bar = tqdm(
            total=max(size, 1),
            desc=f"embedding 0/{n:,} texts",
            file=sys.stderr,
            leave=False,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
        )

    def step(self, texts: Sequence[str], rows: Collection[Any]) -> None:
        """`rows` of `texts` are done."""
        self.done += len(rows)
        self.bar.set_description_str(f"embedding {self.done:,}/{self.n:,} texts", refresh=False)
        self.bar.update(sum(len(texts[int(i)]) for i in rows))

    def close(self) -> None:
        self.bar.close()
