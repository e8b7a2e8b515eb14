"""What the writers share: a paper's kind across formats, and a name's parts."""

from __future__ import annotations

from explorer import ids
from explorer.papers import Paper

# The record types of every library format -> one kind.
_KINDS = {
    "article": "article", "journalarticle": "article", "article-journal": "article",
    "article-magazine": "article", "article-newspaper": "article", "jour": "article",
    "jfull": "article", "mgzn": "article", "news": "article", "journal article": "article",
    "magazine_article": "article", "newspaper_article": "article", "magazinearticle": "article",
    "inproceedings": "inproceedings", "conference": "inproceedings", "conferencepaper":
    "inproceedings", "paper-conference": "inproceedings", "conf": "inproceedings",
    "cpaper": "inproceedings", "conference paper": "inproceedings",
    "conference proceedings": "inproceedings",
    "book": "book", "mvbook": "book", "collection": "book", "ebook": "book", "edbook": "book",
    "incollection": "incollection", "inbook": "incollection", "book_section": "incollection",
    "booksection": "incollection", "chapter": "incollection", "chap": "incollection",
    "echap": "incollection", "book section": "incollection",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis", "thes": "thesis",
    "techreport": "report", "report": "report", "rprt": "report",
    "preprint": "preprint", "unpublished": "preprint",
    "online": "webpage", "web_page": "webpage", "webpage": "webpage", "elec": "webpage",
    "web page": "webpage", "post-weblog": "webpage", "blogpost": "webpage",
}  # fmt: skip


def kind(p: Paper) -> str:
    """One of article, inproceedings, book, incollection, thesis, report, preprint, webpage,
    misc: from the library's record type, else an arXiv id means a preprint."""
    typed = dict(p.extra).get("type", "").strip().lower()
    found = _KINDS.get(typed)
    if found == "report" and (ids.arxiv_id(p.id) or "arxiv" in (p.venue or "").lower()):
        return "preprint"  # Manubot writes arXiv preprints as CSL reports
    if found:
        return found
    if ids.arxiv_id(p.id) or dict(p.extra).get("arxiv"):
        return "preprint"
    return "misc"


def split_name(name: str) -> tuple[str, str]:
    """(given, family) of a "Given Family" name: the family name starts at its first word in
    lower case after the first ("Rens van de Schoot" -> ("Rens", "van de Schoot")), else it
    is the last word."""
    words = name.split()
    if len(words) < 2:
        return "", name.strip()
    for i in range(1, len(words) - 1):
        if words[i][:1].islower():
            return " ".join(words[:i]), " ".join(words[i:])
    return " ".join(words[:-1]), words[-1]


def arxiv_of(p: Paper) -> str | None:
    return ids.arxiv_id(p.id) or dict(p.extra).get("arxiv")


def date_parts(date: str | None) -> list[int]:
    """[2021, 2, 1] from "2021-02-01", [2021] from "2021"; [] without a date."""
    if not date:
        return []
    return [int(x) for x in date.split("-")[:3] if x.isdigit()]


def join_keywords(words: tuple[str, ...] | list[str]) -> str:
    """Keywords as one field, as the readers split it back: `, ` between them, or `; ` where
    one holds a comma ("Aged, 80 and over"; a single such keyword gets a trailing `;`)."""
    if not any("," in w for w in words):
        return ", ".join(words)
    return "; ".join(words) + (";" if len(words) == 1 else "")
