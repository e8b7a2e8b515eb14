"""The notebooks run top to bottom with the real model: a broken notebook fails the suite."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import SUBSET_FILE
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, request, shared_cache, monkeypatch):
    if "topic-map" in path.name and SUBSET_FILE.exists():
        request.getfixturevalue("subset_explorer")  # its vectors are then cached, not re-embedded
    monkeypatch.setenv("EXPLORER_CACHE", str(shared_cache))  # the kernel inherits it
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "Warning" not in stderr, stderr  # e.g. tqdm's "IProgress not found"
    assert outputs, "a notebook that shows nothing shows nothing broken either"
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    if "topic-map" in path.name:
        assert figures
        if Path("/usr/bin/chromium").exists():  # kaleido draws the static copy with it
            # GitHub shows no plotly.js: each map also carries a PNG (ours, not a blank one)
            assert all(o["data"]["image/png"][:20] for o in figures)


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01-related-papers.ipynb",
        "02-topic-map.ipynb",
        "03-explore-widget.ipynb",
    ]
