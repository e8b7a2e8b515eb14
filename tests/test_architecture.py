"""The house rule, checked: every import in `explorer/` runs downhill, type-only ones too.

A module may import from its own stage or a lower one, never a higher one, and no import circle
exists at all. The stages, lowest first, are the table in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "explorer"

# Lowest first. A module's stage is the first entry that is its name or the package holding it.
STAGES: list[tuple[str, ...]] = [
    ("_version", "atomic", "ids", "papers", "frames", "progress", "text", "storage", "generations"),
    ("readers", "references"),
    ("embed",),
    ("index",),
    ("search", "maps"),
    ("building", "report", "opening", "sources", "parts", "stages", "libraries", "drawing"),
    ("workspace",),
    ("cli", "web", "widget", "__main__", ""),  # the faces; "" is explorer/__init__.py
]


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """'embed.model' → its file; '' is the package's own __init__."""
    out = {}
    for f in sorted(package.rglob("*.py")):
        name = ".".join(f.relative_to(package).with_suffix("").parts)
        out[name.removesuffix("__init__").rstrip(".")] = f
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """The explorer modules `path` imports, anywhere in it (functions, TYPE_CHECKING too)."""
    found: set[str] = set()

    def rel(dotted: str) -> str | None:
        if dotted != "explorer" and not dotted.startswith("explorer."):
            return None
        return dotted.removeprefix("explorer").lstrip(".")

    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = rel(node.module)
            if base is None:
                continue
            for alias in node.names:  # `from explorer.maps import figure` imports the module
                sub = f"{base}.{alias.name}".lstrip(".")
                found.add(sub if sub in known else base)
        elif isinstance(node, ast.Import):
            found.update(r for a in node.names if (r := rel(a.name)) is not None)
    return found & known


def stage(name: str) -> int:
    head = name.split(".")[0]
    for i, members in enumerate(STAGES):
        if name in members or head in members:
            return i
    raise AssertionError(f"explorer/{name}: in no stage; add it to STAGES and the docs' table")


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(f, set(mods)) - {m} for m, f in mods.items()}


def test_every_module_has_a_stage() -> None:
    for m in modules():
        stage(m)


def test_every_import_runs_downhill() -> None:
    uphill = [
        f"explorer/{m} (stage {stage(m)}) imports explorer.{d} (stage {stage(d)})"
        for m, deps in graph().items()
        for d in sorted(deps)
        if stage(d) > stage(m)
    ]
    assert not uphill, "\n".join(uphill)


def test_no_import_circles() -> None:
    g = graph()
    done: set[str] = set()

    def visit(m: str, path: list[str]) -> None:
        if m in path:
            pytest.fail("import circle: " + " → ".join([*path[path.index(m) :], m]))
        if m in done:
            return
        for d in sorted(g.get(m, ())):
            if d != "":  # every module's package init is run first: that is Python, not a circle
                visit(d, [*path, m])
        done.add(m)

    for m in sorted(g):
        visit(m, [])


def test_the_checker_sees_an_uphill_import(tmp_path: Path) -> None:
    """The rule is not vacuous: an import from the facade inside a stage is caught."""
    (tmp_path / "index").mkdir()
    bad = tmp_path / "index" / "vectors.py"
    bad.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from explorer.workspace import Explorer\n",
        encoding="utf-8",
    )
    assert imports(bad, {"workspace", "index.vectors"}) == {"workspace"}
    assert stage("workspace") > stage("index.vectors")
    assert stage("maps.figure") == stage("search.query") > stage("embed.model")
