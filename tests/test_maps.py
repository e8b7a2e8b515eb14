"""Topic maps, drawing half: the figure's contents, label placement, and the offline HTML file."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from explorer.maps import figure, placement
from explorer.maps.page import write_html
from explorer.papers import ExplorerError, Paper
from explorer.text import first_sentence

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>window.__pwned=1</script>"


@pytest.fixture(scope="module")
def seed_topics(seed_corpus, seed_layout):
    """(papers with two hostile titles, coords (41, 2), labels (41,), names)."""
    coords, labels, names = seed_layout
    papers = list(seed_corpus)
    papers[3] = replace(papers[3], title=XSS_IMG)
    papers[5] = replace(papers[5], title=XSS_SCRIPT)
    return papers, coords, labels, names


def paper_traces(fig):
    return [t for t in fig.data if t.customdata is not None]


def annotation_boxes(fig, margin=placement.MARGIN_LEGEND):  # topic colours: legend room
    """(x0, x1, y0, y1) in data units of every label annotation, as the page will draw it."""
    bounds = (*fig.layout.xaxis.range, *fig.layout.yaxis.range)
    sx, sy = placement.px_per_unit(bounds, margin)
    boxes = []
    for a in fig.layout.annotations:
        w, h = placement.text_box(a.text.replace("<br>", "\n"))
        boxes.append((a.x - w / sx / 2, a.x + w / sx / 2, a.y - h / sy / 2, a.y + h / sy / 2))
    return boxes


def test_every_paper_is_one_point_with_its_id(seed_topics):
    papers, coords, labels, names = seed_topics
    fig = figure.map_figure(coords, papers, labels, names, highlight={0: 0.9, 7: 0.5})
    ids = [i for t in paper_traces(fig) for i in t.customdata]
    assert sorted(ids) == sorted(p.id for p in papers)
    assert all(t.type == "scattergl" for t in fig.data)
    noise = [t for t in fig.data if t.name.startswith("no topic (")]
    assert noise and noise[0].marker.color == figure.NOISE_COLOR
    assert len(noise[0].customdata) == int((labels < 0).sum())


def test_hover_shows_corpus_text_escaped_and_short(seed_topics):
    papers, coords, labels, names = seed_topics
    fig = figure.map_figure(coords, papers, labels, names)
    hover = {
        i: h for t in paper_traces(fig) for i, h in zip(t.customdata, t.hovertext, strict=True)
    }
    assert hover[papers[3].id].startswith("<b>&lt;img src=x onerror=alert(1)&gt;</b>")
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned=1" in hover[papers[5].id]
    allowed = {"b", "/b", "i", "/i", "br"}
    for h in hover.values():  # the only tags are ours
        assert set(re.findall(r"<(/?\w+)", h)) <= allowed
    gemma2 = papers[0]
    h = hover[gemma2.id]
    assert "Gemma Team, Morgane Riviere, Shreya Pathak et al." in h
    assert f"{gemma2.year} · {gemma2.primary_category}" in h
    assert f"topic: {names[int(labels[0])]}" in h
    sentence = re.search(r"<i>(.*)</i>", h).group(1).replace("<br>", " ")
    assert gemma2.abstract.startswith(sentence.rstrip("…"))
    assert len(sentence) <= 220 < len(gemma2.abstract)


def test_first_sentence():
    """The hover's sentence is the explainer's first sentence: no cut after "et al." or "e.g."."""
    two = "The first sentence is long enough. The second one follows it here."
    assert first_sentence(two) == "The first sentence is long enough."
    etal = "Smith et al. showed it first, e.g. on graphs. A second sentence follows it here."
    assert first_sentence(etal) == "Smith et al. showed it first, e.g. on graphs."
    short = "Code.\nThe rest of a short abstract."
    assert first_sentence(short) == "Code. The rest of a short abstract."
    long = "word " * 100
    s = first_sentence(long, limit=50)
    assert len(s) <= 50 and s.endswith("…")
    assert first_sentence("") == ""


def test_cluster_labels_are_drawn_without_overlap(seed_topics):
    papers, coords, labels, names = seed_topics
    fig = figure.map_figure(coords, papers, labels, names)
    texts = [a.text for a in fig.layout.annotations]
    assert sorted(texts) == sorted(
        figure._esc(placement.label_lines(n)).replace("\n", "<br>") for n in names.values()
    )
    boxes = annotation_boxes(fig)
    assert not placement.boxes_overlap(boxes)
    x0, x1, y0, y1 = (*fig.layout.xaxis.range, *fig.layout.yaxis.range)
    assert all(x0 <= a and b <= x1 and y0 <= c and d <= y1 for a, b, c, d in boxes)


def test_deoverlap_separates_crowded_labels():
    rng = np.random.default_rng(5)
    centres = rng.normal(0, 0.5, size=(40, 2))  # 40 labels piled near the origin
    sizes = np.tile([2.0, 0.6], (40, 1))
    bounds = (-20.0, 20.0, -15.0, 15.0)
    pos = placement.deoverlap(centres, sizes, bounds)
    assert not np.isnan(pos).any()
    boxes = [(x - 1.0, x + 1.0, y - 0.3, y + 0.3) for x, y in pos]
    assert not placement.boxes_overlap(boxes)
    assert np.array_equal(pos, placement.deoverlap(centres, sizes, bounds))  # deterministic
    # The first label keeps its spot; too little room leaves the rest unplaced (NaN).
    np.testing.assert_allclose(pos[0], centres[0])
    tight = placement.deoverlap(centres, sizes, (-2.0, 2.0, -1.0, 1.0))
    assert np.isnan(tight).any() and not np.isnan(tight[0]).any()
    # With a reach, a label is placed near its own centre or not at all.
    near = placement.deoverlap(centres, sizes, bounds, reach=(3.0, 1.5))
    ok = ~np.isnan(near[:, 0])
    assert 5 < ok.sum() < 40
    assert (((near[ok] - centres[ok]) / [3.0, 1.5]) ** 2).sum(axis=1).max() <= 1 + 1e-9


def test_boxes_overlap():
    assert placement.boxes_overlap([(0, 2, 0, 2), (1, 3, 1, 3)])
    assert not placement.boxes_overlap([(0, 1, 0, 1), (1, 2, 0, 1)])  # touching is fine


def test_highlight_and_query_point(seed_topics):
    papers, coords, labels, names = seed_topics
    fig = figure.map_figure(
        coords,
        papers,
        labels,
        names,
        highlight={4: 0.61, 0: 0.93, 9: 0.75},
        query_point=(1.0, 2.0),
        query_label="gemma <b>bold</b>",
    )
    top = next(t for t in fig.data if t.name == "top 3")
    assert list(top.customdata) == [papers[4].id, papers[9].id, papers[0].id]  # best on top
    assert top.marker.line.width == 2 and top.marker.size[-1] > top.marker.size[0]
    assert "<b>#1</b> (score 0.930)" in top.hovertext[-1]
    assert sum(len(t.customdata) for t in paper_traces(fig)) == 41  # no paper drawn twice
    q = next(t for t in fig.data if t.name == "query")
    assert q.customdata is None and q.marker.symbol == "star"
    assert (q.x[0], q.y[0]) == (1.0, 2.0) and q.hovertext[0] == "gemma &lt;b&gt;bold&lt;/b&gt;"


def test_color_by_date_spreads_one_year_by_day(seed_topics):
    papers, coords, labels, names = seed_topics
    fig = figure.map_figure(coords, papers, labels, names, color_by="date")
    dated = next(t for t in fig.data if t.name == "date")
    by_id = {p.id: p for p in papers}
    values = dict(zip(dated.customdata, dated.marker.color, strict=True))
    assert dated.marker.showscale and dated.marker.colorbar.title.text == "date"
    assert len(values) == sum(p.date is not None for p in papers)
    for pid, v in values.items():  # the year, plus the share of it gone by on that day
        assert by_id[pid].year <= v < by_id[pid].year + 1
    ordered = sorted(values, key=lambda i: by_id[i].date)
    assert [values[i] for i in ordered] == sorted(values.values())
    assert figure._decimal_date("2024-12-31") == 2024 + 365 / 366  # a leap year
    assert figure._decimal_date("2025-01-01") == 2025.0
    assert figure._decimal_date("2025") == 2025.0
    assert figure._decimal_date(None) is None


def test_color_by_year_and_category(seed_topics):
    papers, coords, labels, names = seed_topics
    fig = figure.map_figure(coords, papers, labels, names, color_by="category")
    legend = {t.name.split(" ")[0] for t in paper_traces(fig)}
    assert {"cs.CL", "cs.HC", "cs.LG"} <= legend
    fig = figure.map_figure(coords, papers, labels, names, color_by="year", title="t")
    years = next(t for t in fig.data if t.name == "year")
    by_id = {p.id: p.year for p in papers}
    assert years.marker.showscale
    assert list(years.marker.color) == [by_id[i] for i in years.customdata]
    with pytest.raises(ExplorerError, match="color_by must be cluster, year, category, date"):
        figure.map_figure(coords, papers, labels, names, color_by="colour")
    with pytest.raises(ExplorerError, match="coords"):
        figure.map_figure(coords[:5], papers, labels, names)


def test_write_html_is_offline_self_contained_and_escaped(seed_topics, tmp_path):
    papers, coords, labels, names = seed_topics
    fig = figure.map_figure(coords, papers, labels, names, title="Seed <map> & co")
    path = tmp_path / "maps" / "seed.html"
    path.parent.mkdir()
    path.write_text("old")
    assert write_html(fig, path) == path
    assert list(path.parent.iterdir()) == [path]  # replaced in place, no temp file left
    page = path.read_text(encoding="utf-8")
    assert "<title>Seed &lt;map&gt; &amp; co</title>" in page
    assert "plotly.js v" in page and len(page) > 3_000_000  # plotly.js is inline
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
    assert [attrs for attrs, _ in scripts] == ["", "", ""]  # no src=: nothing fetched
    assert not re.search(r"<link|@import|url\(", page.replace(scripts[1][1], ""))
    # URLs appear only as strings inside the plotly.js bundle (map tiles, docs), never outside.
    outside = page.replace(scripts[1][1], "")
    assert not re.search(r"https?://", outside)
    # Hostile titles stay inert: not even their escaped-HTML form leaves the JSON encoding.
    assert XSS_IMG not in page and XSS_SCRIPT not in page and "window.__pwned" in page
    assert page.count("</script>") == 3


def test_empty_and_single_paper_maps():
    p = Paper(id="x1", title="Only", abstract="Alone here.")
    fig = figure.map_figure(np.zeros((1, 2)), [p], np.array([-1]), {})
    assert sum(len(t.customdata) for t in paper_traces(fig)) == 1
    fig = figure.map_figure(np.zeros((0, 2)), [], np.zeros(0, dtype=int), {})
    assert paper_traces(fig) == []
