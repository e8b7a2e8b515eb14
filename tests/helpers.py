"""Small helpers shared by test modules (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs longer than `seconds`: a hang
    detector, not a speed target."""

    def on_alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_explorer(
    *args: str, cache: Path, stdin: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """The real command line in a real process, on the cache `cache`."""
    env = dict(os.environ, EXPLORER_CACHE=str(cache))
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=timeout,
    )


def oracle(vectors, queries, k, allowed=None):
    """Exact top-k by brute force (m, k) scores and rows, best first: what an index must equal."""
    import numpy as np

    sims = queries @ vectors.T
    if allowed is not None:
        sims[:, ~allowed] = -np.inf
    rows = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(sims, rows, axis=1), rows


def error_of(*args, **kwargs) -> str:
    """The message of the ExplorerError that read_corpus raises; it must be one line."""
    import pytest

    from explorer.papers import ExplorerError
    from explorer.readers import read_corpus

    with pytest.raises(ExplorerError) as info:
        read_corpus(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return message


# Two seed papers as a reference manager has them (other ids, other case, "Family, Given"),
# and one paper the seeds do not hold.
LIBRARY = [
    {
        "id": "10.18653/v1/2020.acl-main.396",
        "title": "Toxicity detection: does context really matter?",
        "abstract": "Moderation is crucial to promoting healthy online discussions.",
        "authors": ["Pavlopoulos, John", "Sorensen, Jeffrey"],
        "year": 2020,
    },
    {
        "id": "wulczyn2017",
        "title": "Ex Machina: Personal Attacks Seen at Scale",
        "abstract": "The damage personal attacks cause to online discourse motivates platforms.",
        "authors": ["Ellery Wulczyn"],
        "year": 2017,
    },
    {
        "id": "hate2024",
        "title": "Detecting hate speech in online forums with weak supervision",
        "abstract": "Online forums are flooded with hate speech and offensive comments. We train "
        "classifiers of abusive language from weak labels given by moderators and measure "
        "their unintended bias against identity terms.",
        "authors": ["Jane Doe"],
        "year": 2024,
    },
]
