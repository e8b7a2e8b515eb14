"""The disk layout's helpers: lines read lazily from a memory map."""

from __future__ import annotations

import pytest

from explorer.storage import Lines


@pytest.mark.parametrize("text", ["", "a\n", "a\nbb\n", "a\nbb", "x\n\ny\n", 'é\n{"t": "ü"}\n'])
def test_lines_are_the_files_lines(tmp_path, text):
    path = tmp_path / "papers.jsonl"
    path.write_bytes(text.encode("utf-8"))
    lines = Lines(path)
    want = text.encode("utf-8").splitlines()
    assert len(lines) == len(want)
    assert list(lines) == want
    assert lines[:] == want
    if want:
        assert lines[-1] == want[-1]
    with pytest.raises(IndexError):
        lines[len(want)]
