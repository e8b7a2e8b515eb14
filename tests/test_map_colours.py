"""The map's colours, legend, label placement and size: readable by everyone, every topic named."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from explorer.maps import figure, placement
from explorer.maps.page import to_html
from explorer.papers import Paper


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255


@pytest.mark.parametrize("deficiency", [None, "deuteranomaly", "protanomaly", "tritanomaly"])
def test_palette_is_told_apart_with_colour_vision_deficiencies(deficiency):
    colorspacious = pytest.importorskip("colorspacious")
    cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}

    def seen(h: str) -> np.ndarray:
        c = _rgb(h)
        return (
            c
            if deficiency is None
            else np.clip(colorspacious.cspace_convert(c, cvd, "sRGB1"), 0, 1)
        )

    colours = [seen(h) for h in figure.PALETTE]
    gaps = [
        colorspacious.deltaE(a, b, input_space="sRGB1")
        for a, b in itertools.combinations(colours, 2)
    ]
    # ΔE (CAM02-UCS) of 10 is an obvious difference; the old palette's first nine colours had
    # a pair 1.6 apart under protanomaly and 4.3 under deuteranomaly: one colour to those eyes.
    assert min(gaps) > 10
    noise = seen(figure.NOISE_COLOR)
    assert min(colorspacious.deltaE(c, noise, input_space="sRGB1") for c in colours) > 10


def test_no_topic_colour_is_grey():
    for h in figure.PALETTE:
        r, g, b = _rgb(h)
        assert max(r, g, b) - min(r, g, b) > 0.15, h  # a hue, not a grey


def test_neighbouring_topics_never_share_a_colour():
    # 36 topics on a 6 × 6 grid: far more topics than colours
    centres = np.array([(i, j) for i in range(6) for j in range(6)], dtype=float) * 10
    rng = np.random.default_rng(0)
    xy = np.concatenate([c + rng.normal(0, 1, size=(20 + k, 2)) for k, c in enumerate(centres)])
    labels = np.concatenate([np.full(20 + k, k) for k in range(len(centres))])
    colours = figure.topic_colors(xy, labels)
    assert set(colours) == set(range(36)) and set(colours.values()) == set(figure.PALETTE)
    for a in range(36):
        d = np.hypot(*(centres - centres[a]).T)
        d[a] = np.inf
        for b in np.flatnonzero(d <= 10 * 2**0.5 + 1e-9):  # the 8 grid neighbours
            assert colours[a] != colours[int(b)], (a, int(b))
    # Nine topics or fewer: all different.
    few = figure.topic_colors(xy[labels < 9], labels[labels < 9])
    assert len(set(few.values())) == 9


def crowded(n_topics: int = 30, seed: int = 3):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-3, 3, size=(n_topics, 2))  # topics packed close together
    xy = np.concatenate([c + rng.normal(0, 0.3, size=(40, 2)) for c in centres])
    labels = np.repeat(np.arange(n_topics), 40)
    names = {c: f"term{c} · word{c} · thing{c} · item{c}" for c in range(n_topics)}
    return xy, labels, names


def test_every_topic_gets_a_label_on_a_crowded_map():
    xy, labels, names = crowded(60)
    placed = placement.place_labels(xy, labels, names)
    assert sorted(p[0] for p in placed) == sorted(names)  # the old reach-only pass drew 54
    boxes = [(x - w / 2, x + w / 2, y - h / 2, y + h / 2) for _, _, x, y, _, _, w, h in placed]
    assert not placement.boxes_overlap(boxes)
    xy, labels, names = crowded(30)  # the figure keeps room for its legend
    fig = figure.map_figure(xy, papers_for(len(xy)), labels, names)
    assert not any(a.name == "labels left off" for a in fig.layout.annotations)
    # A map too full for every label says how many it left off.
    xy, labels, names = crowded(80)
    fig = figure.map_figure(xy, papers_for(len(xy)), labels, names)
    (note,) = [a for a in fig.layout.annotations if a.name == "labels left off"]
    drawn = sum(1 for a in fig.layout.annotations if (a.name or "").startswith("topic "))
    assert note.text.startswith(f"{80 - drawn} of 80 topic labels did not fit") and drawn < 80


def test_labels_sit_beside_dense_points_where_there_is_room():
    rng = np.random.default_rng(1)
    xy = np.concatenate([rng.normal(0, 0.4, size=(400, 2)), [[-10, -10], [10, 10]]])
    labels = np.concatenate([np.zeros(400, int), [-1, -1]])
    (placed,) = placement.place_labels(xy, labels, {0: "alpha · beta · gamma · delta"})
    _, _, x, y, cx, cy, w, h = placed
    density = placement.Density(xy, placement.bounds_of(xy))
    assert density.covered(x, y, w / 2, h / 2) < 0.25 * density.covered(cx, cy, w / 2, h / 2)
    assert np.hypot(x - cx, y - cy) < 10  # still next to its topic
    # The density estimate agrees with a direct count.
    direct = np.sum((abs(xy[:, 0] - cx) <= w / 2) & (abs(xy[:, 1] - cy) <= h / 2))
    assert abs(density.covered(cx, cy, w / 2, h / 2) - direct) <= 0.1 * direct + 5


def papers_for(n: int) -> list[Paper]:
    return [Paper(id=f"p{i}", title=f"paper {i}", abstract="") for i in range(n)]


def test_legend_has_a_toggle_per_topic_and_the_figure_fills_its_container():
    xy, labels, names = crowded(12)
    labels = labels.copy()
    labels[:5] = -1
    names[4] = "<b>bold</b> & co"
    fig = figure.map_figure(xy, papers_for(len(xy)), labels, names)
    traces = [t for t in fig.data if t.customdata is not None]
    assert all(t.showlegend for t in traces)
    assert [t.name for t in traces][-1] == "no topic (5)"
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co (40)" in [t.name for t in traces]  # escaped
    assert {len(t.customdata) for t in traces[:-1]} == {40, 35}
    assert sum(len(t.customdata) for t in traces) == len(xy)
    assert fig.layout.width is None and fig.layout.autosize
    page = to_html(fig)
    assert '"responsive": true' in page and "100%" in page
