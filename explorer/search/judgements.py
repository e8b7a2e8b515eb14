"""Relevance judgements from a file: query paper id, judged paper id, optional grade and facet.

CSV, TSV, TREC qrels or JSON Lines; columns found by header name or, without a header, by
position. A file with a facet column (CSFCube's `query_id, facet, candidate_id, grade`) also
gives judged pools: every (query, facet) pair with all its judged papers, graded 0 included.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.papers import Corpus, ExplorerError

QUERY_KEYS = ("query", "query_id", "query-id", "qid", "source")
DOC_KEYS = (
    "relevant",
    "relevant_id",
    "doc",
    "doc_id",
    "docid",
    "corpus-id",
    "corpus_id",
    "pid",
    "target",
    "candidate_id",
    "candidate",
)
GRADE_KEYS = ("grade", "score", "relevance", "rel", "relevance_0to3")
FACET_KEYS = ("facet", "aspect")


@dataclass
class Judgements:
    """query id → {relevant id: grade > 0}; rows naming papers outside the corpus are counted.

    `pools`: (query id, facet) → {judged id: grade}, graded 0 included ("" when the file has
    no facet column); `faceted`: the file has one (CSFCube's layout), so its pools are the
    lists to rank."""

    relevant: dict[str, dict[str, float]] = field(default_factory=dict)
    pools: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    faceted: bool = False
    skipped_unknown: int = 0

    def add(self, q: str, d: str, grade: float, corpus: Corpus | None, facet: str = "") -> None:
        if corpus is not None and (q not in corpus or d not in corpus):
            self.skipped_unknown += 1
        elif q != d:
            pool = self.pools.setdefault((q, facet), {})
            pool[d] = max(grade, pool.get(d, grade))
            if grade > 0:  # grade 0 = judged not relevant
                mine = self.relevant.setdefault(q, {})
                mine[d] = max(grade, mine.get(d, 0.0))


def _pick(names: Sequence[str], keys: Sequence[str]) -> int | None:
    low = [n.strip().lower() for n in names]
    return next((low.index(k) for k in keys if k in low), None)


def _grade(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExplorerError(f"{where}: grade {value!r} is not a number") from None


def read_judgements(path: str | Path, corpus: Corpus | None = None) -> Judgements:
    """Read relevance judgements: JSONL objects, or CSV/TSV/TREC-qrels rows.

    Columns are found by header name (query/query_id/qid, relevant/doc_id/corpus-id, grade/score)
    or, without a header, by position: query, relevant[, grade]; four columns are TREC qrels
    (query, iteration, document, grade). Errors name the file and line.
    """
    path = Path(path)
    out = Judgements()
    try:
        lines = path.read_text("utf-8").splitlines()
    except FileNotFoundError:
        raise ExplorerError(f"judgements file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ExplorerError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        for no, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{no}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ExplorerError(f"{where}: invalid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ExplorerError(f"{where}: expected a JSON object")
            qi, di, gi, fi = (
                _pick(list(obj), QUERY_KEYS),
                _pick(list(obj), DOC_KEYS),
                _pick(list(obj), GRADE_KEYS),
                _pick(list(obj), FACET_KEYS),
            )
            if qi is None or di is None:
                raise ExplorerError(
                    f"{where}: needs a query id ({QUERY_KEYS[0]}) and a relevant id ({DOC_KEYS[0]})"
                )
            vals = list(obj.values())
            grade = 1.0 if gi is None else _grade(vals[gi], where)
            facet = "" if fi is None else str(vals[fi])
            out.faceted |= fi is not None
            out.add(str(vals[qi]), str(vals[di]), grade, corpus, facet)
        return out
    delim = "," if path.suffix.lower() == ".csv" else "\t"
    rows = [
        (no, r)
        for no, r in enumerate(csv.reader(lines, delimiter=delim), 1)
        if any(c.strip() for c in r)
    ]
    if delim == "\t":  # TREC qrels separate by spaces
        rows = [(no, r[0].split() if len(r) == 1 else r) for no, r in rows]
    if not rows:
        raise ExplorerError(f"{path}: no judgements")
    qi, di, gi, fi = (
        _pick(rows[0][1], QUERY_KEYS),
        _pick(rows[0][1], DOC_KEYS),
        _pick(rows[0][1], GRADE_KEYS),
        _pick(rows[0][1], FACET_KEYS),
    )
    header = qi is not None and di is not None
    out.faceted = header and fi is not None
    for no, r in rows[1:] if header else rows:
        where = f"{path}:{no}"
        if not header:  # by position: query, relevant[, grade]; four columns are TREC qrels
            qi, di, gi = (0, 2, 3) if len(r) == 4 else (0, 1, 2 if len(r) >= 3 else None)
        assert qi is not None and di is not None
        if len(r) <= max(qi, di, gi or 0, fi or 0):
            raise ExplorerError(
                f"{where}: expected a query id and a relevant id, got {len(r)} column(s)"
            )
        grade = 1.0 if gi is None else _grade(r[gi].strip(), where)
        facet = r[fi].strip() if header and fi is not None else ""
        out.add(r[qi].strip(), r[di].strip(), grade, corpus, facet)
    return out


def labels_of(corpus: Corpus, label: str) -> list[str | None]:
    """Each paper's label: "category" = primary category, else the `Paper.extra` key."""
    if label in ("category", "primary_category"):
        values = [p.primary_category for p in corpus]
    else:
        values = [dict(p.extra).get(label) for p in corpus]
    if not any(values):
        keys = sorted({k for p in corpus for k, _ in p.extra})
        raise ExplorerError(
            f"no paper has the label {label!r}; use 'category' or one of: "
            f"{', '.join(keys) or '(no extra fields)'}"
        )
    return values
