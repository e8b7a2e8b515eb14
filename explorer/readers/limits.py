r"""Bounded reading: what one line, one whole-file document and one gzip file may hold.

A file of papers is read a line at a time, and no line is ever held whole before its length is
known: a 2 MB `.gz` holding one 2 GiB line is refused once 64 MiB of it are read, at about
that much memory, not after holding all of it. The limits, each far above any real file's:

- `LINE_LIMIT` (64 MiB): a line (a JSON Lines record, a CSV or TSV line, a seed listing line)
  longer than that is the error `FILE:LINE: a line longer than 64 MiB`;
- `TEXT_LIMIT` (1 GiB): a format parsed whole (JSON) larger than that, uncompressed, is refused
  before it is read, naming JSON Lines as the way to give more;
- `BOMB_RATIO` and `BOMB_FLOOR` (100 times, 64 MiB): a gzip file is decompressed as it is read,
  and once more than `BOMB_FLOOR` has come out of it and that is more than `BOMB_RATIO` times
  the file's size, it is refused: `FILE: the gzip file expands more than 100 times (a
  decompression bomb?)`. Text compresses 3-10 times (gzip finds repeats only within 32 KiB, so
  even a file repeated whole stays near that); only bytes repeated over and over reach 100. At
  most `BOMB_FLOOR` of a bomb is read, so it costs about that much memory (a JSON file) or the
  time to read that much (lines).

The limits are read when a file is read, so a test may lower them.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import IO, Any

from explorer.papers import ExplorerError

LINE_LIMIT = 64 << 20
TEXT_LIMIT = 1 << 30
BOMB_RATIO = 100
BOMB_FLOOR = 64 << 20
CHUNK = 1 << 20  # what a whole-file read asks the stream for at a time

__all__ = [
    "BOMB_FLOOR",
    "BOMB_RATIO",
    "LINE_LIMIT",
    "TEXT_LIMIT",
    "Inflated",
    "LineTooLong",
    "bomb_message",
    "lines",
    "read_whole",
    "size",
]


def size(n: int) -> str:
    """A limit for a message: "64 MiB", "1 GiB", "4 KiB", "100 bytes"."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


class Inflated(io.RawIOBase):
    """A gzip stream, as a raw stream that counts the bytes it gives out and raises `problem`
    (the one-line error naming the file) once that passes `BOMB_FLOOR` and `BOMB_RATIO` times
    `packed`, the size of the file on disk. Nothing more is decompressed than a read asks for;
    `stream` wraps it in a buffer, so that counting costs nothing per line."""

    def __init__(self, gz: gzip.GzipFile, packed: int, problem: ExplorerError) -> None:
        super().__init__()
        self.gz, self.packed, self.out, self.problem = gz, packed, 0, problem

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.gz.read1(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.out += n
        if self.out > BOMB_FLOOR and self.out > BOMB_RATIO * self.packed:
            raise self.problem
        return n

    def stream(self) -> io.BufferedReader:
        return io.BufferedReader(self, CHUNK)


def bomb_message() -> str:
    return f"the gzip file expands more than {BOMB_RATIO} times (a decompression bomb?)"


class LineTooLong(Exception):
    """A line longer than `LINE_LIMIT`: `line` is its number."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def lines(fh: IO[bytes], universal: bool) -> Iterator[bytes]:
    r"""The raw lines of `fh`, line endings kept: at `\n`, and with `universal` at `\r\n` and a
    lone `\r` too. A line longer than `LINE_LIMIT` raises `LineTooLong` (naming its number)
    once `LINE_LIMIT + 1` bytes of it are read: no read asks for more."""
    limit = LINE_LIMIT
    n = 0
    pending = b""  # the head of a line that a capped read cut (only with `universal`)
    while True:
        want = limit + 1 - len(pending)
        chunk = fh.readline(want)
        whole = not pending and len(chunk) <= limit and chunk.endswith(b"\n")
        if whole and not (universal and b"\r" in chunk):  # the common case: one whole line
            n += 1
            yield chunk
            continue
        data = pending + chunk
        pending = b""
        if not data:
            return
        eof = len(chunk) < want and not chunk.endswith(b"\n")
        pieces = data.splitlines(keepends=True) if universal and b"\r" in data else [data]
        for i, piece in enumerate(pieces):
            if len(piece) > limit:
                raise LineTooLong(n + 1)
            if i == len(pieces) - 1 and not eof and not piece.endswith(b"\n"):
                pending = piece  # cut by the cap: its rest comes with the next read
                break
            n += 1
            yield piece


def read_whole(fh: IO[bytes]) -> bytes | None:
    """All of `fh`, read a chunk at a time; None as soon as it passes `TEXT_LIMIT` (nothing
    more is read)."""
    parts: list[bytes] = []
    total = 0
    while chunk := fh.read(CHUNK):
        total += len(chunk)
        if total > TEXT_LIMIT:
            return None
        parts.append(chunk)
    return b"".join(parts)
