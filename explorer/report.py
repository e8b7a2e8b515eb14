"""What a build did (`BuildReport`): the counts for its summary line, its library's reading, the
settings it changed and, for a growth build, the topics its new papers joined; `explorer build`
prints it, `--json` as `to_dict`, and `Explorer.build` keeps it as `ex.report`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.papers import Corpus, library_summary
from explorer.storage import SEED_NAME

if TYPE_CHECKING:
    from explorer.maps.tree import Tree


@dataclass
class BuildReport:
    """What a build did, for the summary line, `explorer build --json` (`to_dict`) and tests.

    A growth build (papers appended to a built corpus and placed on its saved map) says where
    the new papers went: `grown` of them were placed, `grown_noise` of those joined no topic
    (noise at every level), `grown_since` is the earliest date among them (for `explorer topics
    --grown-since`). `grown_topics` lists the map's own topics (the tree's default level) that
    they joined, `grown_fields` the top level's (when the tree has levels above its default;
    else []): each a dict of "key" ("LEVEL.ID", as `--topic` and `related(topic=…)` take it),
    "level", "id", "label" (with the corpus's topic edits), "size" (after growth) and "new" (how
    many new papers joined it), most new papers first. Each list's "new" and `grown_noise` sum
    to `grown`. Any other build (a first one, a rebuild, one without a map): 0, None and [].
    """

    corpus: str
    papers: int
    rows: int
    skipped_no_abstract: int
    duplicate_ids: list[str]
    embedded: int
    reused: int
    up_to_date: bool
    seconds: float
    path: Path
    map_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    merged_versions: int = 0  # records that were another arXiv version of a paper (ReadStats)
    dates_from_ids: int = 0  # papers whose only date is their arXiv id's month (ReadStats)
    grown: int = 0  # a growth build's papers placed on the saved map (see the docstring)
    grown_noise: int = 0
    grown_since: str | None = None
    grown_topics: list[dict[str, Any]] = field(default_factory=list)
    grown_fields: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        s = f"{self.corpus}: {self.papers} papers"
        if self.skipped_no_abstract:
            s += f", {self.skipped_no_abstract} rows without abstract skipped"
        if self.duplicate_ids:
            shown = ", ".join(self.duplicate_ids[:3]) + (
                " …" if len(self.duplicate_ids) > 3 else ""
            )
            s += f", {len(self.duplicate_ids)} duplicate ids kept once ({shown})"
        if self.merged_versions:
            n = self.merged_versions
            s += f", {n} other arXiv version{'s' if n != 1 else ''} merged (the latest kept)"
        if self.dates_from_ids:
            n = self.dates_from_ids
            s += f", {n} date{'s' if n != 1 else ''} taken from arXiv ids"
        s += library_summary(self.extra.get("library"))  # merges, skips, no abstracts
        if self.up_to_date:
            return s + f"; already up to date ({self.seconds:.1f}s)"
        return s + f"; embedded {self.embedded}, reused {self.reused} cached; {self.seconds:.1f}s"

    def growth(self, top: int = 3) -> str | None:
        """The line `explorer build` prints after its summary when the build grew the corpus
        (None otherwise): how many topics the new papers joined, the `top` that most did."""
        if not self.grown:
            return None
        n, m = len(self.grown_topics), self.grown
        s = f"grew: {n} topic{'s' if n != 1 else ''} by {m} new paper{'s' if m != 1 else ''}"
        if self.grown_topics:
            most = [f'"{t["label"] or t["key"]}" +{t["new"]}' for t in self.grown_topics[:top]]
            s += "; most: " + ", ".join(most) + (", …" if n > top else "")
        if self.grown_noise:
            s += f"; {self.grown_noise} in no topic"
        if self.grown_since:
            named = "" if self.corpus == SEED_NAME else f" --corpus {self.corpus}"
            s += f" (explorer topics{named} --grown-since {self.grown_since} lists them)"
        return s

    def add_growth(self, tree: Tree, corpus: Corpus, placed: int) -> None:
        """Fill the grown_ fields: which topics of `tree` the corpus's last `placed` papers
        joined, at its default level and its top level."""
        start = len(corpus) - placed
        rows = slice(start, None)

        def joined(level: int) -> list[dict[str, Any]]:
            return [
                {"key": f"{level}.{t.id}", "level": level, "id": t.id, "label": t.label}
                | {"size": t.size, "new": n}
                for t, n in tree.joined(rows, level)
            ]

        dates = [d for r in range(start, len(corpus)) if (d := corpus[r].date)]
        self.grown, self.grown_since = placed, min(dates) if dates else None
        self.grown_noise = int((tree.levels[tree.default][rows] < 0).sum())
        self.grown_topics = joined(tree.default)
        self.grown_fields = joined(0) if tree.default > 0 else []

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (paths as text; "output": what the build prints)."""
        d = asdict(self)
        d["path"], d["map_path"] = str(self.path), self.map_path and str(self.map_path)
        d["output"] = str(self.output)
        return d

    @property
    def output(self) -> Path:
        """What `explorer build` prints on stdout: the map if one was made, else the folder."""
        return self.map_path or self.path
