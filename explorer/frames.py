"""Papers and hits as pandas DataFrames, for people who script (pandas is optional).

`hits_frame(hits)`: one row per hit, best first. `papers_frame(papers)`: one row per paper;
`Explorer.to_pandas()` adds each paper's map position and topic. Lists (authors, categories)
stay lists; a missing year is `<NA>` (a nullable integer), never a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from explorer import ids
from explorer.papers import ExplorerError, Hit, Paper

if TYPE_CHECKING:
    import pandas as pd


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ExplorerError(
            "pandas is not installed: pip install pandas (or 'explorer[notebook]')"
        ) from None
    return pandas


def _row(p: Paper) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "authors": list(p.authors),
        "year": p.year,
        "date": p.date,
        "categories": list(p.categories),
        "url": ids.url(p.id),
        "abstract": p.abstract,
    }


def papers_frame(papers: Iterable[Paper], **columns: Sequence[Any]) -> pd.DataFrame:
    """One row per paper (id, title, authors, year, date, categories, url, abstract), then any
    extra `columns` given as name=values aligned with the papers."""
    pd = _pandas()
    df = pd.DataFrame([_row(p) for p in papers], columns=list(_row(Paper("", "", ""))))
    df["year"] = df["year"].astype("Int64")
    for name, values in columns.items():
        df[name] = list(values)
    return df


def hits_frame(hits: Sequence[Hit]) -> pd.DataFrame:
    """One row per hit, best first: rank, score, cosine, then the paper's columns."""
    df = papers_frame([h.paper for h in hits])
    df.insert(0, "cosine", [h.cosine for h in hits])
    df.insert(0, "score", [h.score for h in hits])
    df.insert(0, "rank", [h.rank for h in hits])
    return df
