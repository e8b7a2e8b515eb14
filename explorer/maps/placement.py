"""Topic maps, where the labels go: each topic's label near its centre, no two overlapping.

Label boxes are estimated in pixels (the figure has a fixed size) and pushed apart by a few
deterministic passes, never further than LABEL_REACH_PX from their topic's centre.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

# The figure has a fixed size so that label boxes estimated in pixels stay true on screen.
WIDTH, HEIGHT = 1200, 850
# Room for the title above, the legend below, and a year colour bar on the right.
MARGIN = dict(l=10, r=10, t=50, b=50)
MARGIN_SCALE = dict(MARGIN, r=90)  # room for a colour bar
MARGIN_LEGEND = dict(MARGIN, r=280)  # room for the topics' legend
LABEL_FONT = 12
CHAR_W = 0.62  # average glyph width / font size for Plotly's default sans-serif (generous)
LINE_H = 1.35  # line height / font size
PAD_PX = 6.0
LABEL_REACH_PX = 140.0  # how far a label may be pushed from its cluster's centre
# A label tries this many free spots near its topic and takes the one covering the fewest
# points, counting PX_PER_POINT pixels of distance from the centre as one covered point.
CHOICES = 24
PX_PER_POINT = 12.0
GRID = 200  # the point-count grid that estimates how many points a box covers


def label_lines(label: str) -> str:
    """Split a label into two lines of two terms ("a · b\\nc · d"), so that it is narrow."""
    parts = label.split(" · ")
    half = (len(parts) + 1) // 2
    return "\n".join(" · ".join(p) for p in (parts[:half], parts[half:]) if p)


def text_box(text: str, font_size: float = LABEL_FONT) -> tuple[float, float]:
    """Estimated (width, height) in pixels of `text` ("\\n" separates lines) in an annotation."""
    lines = text.split("\n")
    w = max(len(line) for line in lines) * CHAR_W * font_size + 2 * PAD_PX
    return w, len(lines) * LINE_H * font_size + 2 * PAD_PX


class Density:
    """How many of the map's points a box covers: a summed-area table over a GRID × GRID grid."""

    def __init__(self, xy: NDArray[np.floating], bounds: tuple[float, float, float, float]):
        x0, x1, y0, y1 = bounds
        self.x0, self.y0 = x0, y0
        self.dx, self.dy = (x1 - x0) / GRID, (y1 - y0) / GRID
        counts, _, _ = np.histogram2d(
            np.asarray(xy)[:, 0], np.asarray(xy)[:, 1], bins=GRID, range=[[x0, x1], [y0, y1]]
        )
        self.table = np.zeros((GRID + 1, GRID + 1))
        self.table[1:, 1:] = counts.cumsum(0).cumsum(1)

    def covered(self, px: float, py: float, hw: float, hh: float) -> float:
        def cell(v: float, lo: float, step: float) -> int:
            return int(min(max(round((v - lo) / step), 0), GRID))

        i0, i1 = cell(px - hw, self.x0, self.dx), cell(px + hw, self.x0, self.dx)
        j0, j1 = cell(py - hh, self.y0, self.dy), cell(py + hh, self.y0, self.dy)
        t = self.table
        return float(t[i1, j1] - t[i0, j1] - t[i1, j0] + t[i0, j0])


def deoverlap(
    centres: NDArray[np.floating],
    sizes: NDArray[np.floating],
    bounds: tuple[float, float, float, float],
    *,
    reach: tuple[float, float] | None = None,
    steps: int = 600,
    density: Density | None = None,
    px: tuple[float, float] = (1.0, 1.0),
    fixed: int = 0,
) -> NDArray[np.float64]:
    """Place boxes near their centres without overlaps: positions (k, 2), NaN where none fits.

    `centres` (k, 2) and `sizes` (k, 2) (width, height) are in data units, `bounds` is
    (x0, x1, y0, y1). Boxes are placed in the given order (put the most important first); each
    takes the first free spot on a deterministic spiral around its centre, inside the bounds
    and, if `reach` (rx, ry) is given, inside that ellipse around the centre: a label far from
    its cluster misleads more than a missing one.

    With a `density` (and `px`, pixels per data unit), a box weighs the first CHOICES free
    spots and takes the one covering the fewest points (distance counting too, PX_PER_POINT
    pixels a point): labels sit beside dense points where there is room. The first `fixed`
    boxes stay at their centres (already placed ones, when a second pass places the rest).
    """
    centres = np.asarray(centres, dtype=np.float64)
    sizes = np.asarray(sizes, dtype=np.float64)
    x0, x1, y0, y1 = bounds
    placed: list[tuple[float, float, float, float]] = []  # (cx, cy, half w, half h)
    out = np.full_like(centres, np.nan)
    for i, ((cx, cy), (w, h)) in enumerate(zip(centres, sizes, strict=True)):
        hw, hh = w / 2, h / 2
        best: tuple[float, float, float] | None = None  # (cost, x, y)
        tried = 0
        for s in range(1 if i < fixed else steps):
            # Golden-angle spiral: near spots first, every direction tried; rings about a third
            # of a box height apart vertically, wider horizontally for wide boxes.
            r, a = math.sqrt(s), s * 2.399963
            dx, dy = r * h * 0.35 * math.cos(a) * max(w / h, 1.0) ** 0.5, r * h * 0.35 * math.sin(a)
            if reach is not None and (dx / reach[0]) ** 2 + (dy / reach[1]) ** 2 > 1:
                continue
            qx, qy = cx + dx, cy + dy
            if qx - hw < x0 or qx + hw > x1 or qy - hh < y0 or qy + hh > y1:
                continue
            if all(abs(qx - x) >= hw + qw or abs(qy - y) >= hh + qh for x, y, qw, qh in placed):
                if density is None:
                    best = (0.0, qx, qy)
                    break
                away = math.hypot(dx * px[0], dy * px[1]) / PX_PER_POINT
                cost = density.covered(qx, qy, hw, hh) + away
                if best is None or cost < best[0]:
                    best = (cost, qx, qy)
                tried += 1
                if tried == CHOICES:
                    break
        if best is not None:
            placed.append((best[1], best[2], hw, hh))
            out[i] = best[1:]
    return out


def boxes_overlap(boxes: Sequence[tuple[float, float, float, float]]) -> bool:
    """True if any two (x0, x1, y0, y1) boxes intersect (touching edges do not count)."""
    for i, (a0, a1, b0, b1) in enumerate(boxes):
        for c0, c1, d0, d1 in boxes[i + 1 :]:
            if a0 < c1 and c0 < a1 and b0 < d1 and d0 < b1:
                return True
    return False


def bounds_of(coords: NDArray[np.float64]) -> tuple[float, float, float, float]:
    """Axis ranges: the points plus 6% on each side (room for labels at the edges)."""
    if len(coords) == 0:
        return -1.0, 1.0, -1.0, 1.0
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - 0.06 * span, hi + 0.06 * span
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def px_per_unit(
    bounds: tuple[float, float, float, float], margin: Mapping[str, int] = MARGIN
) -> tuple[float, float]:
    x0, x1, y0, y1 = bounds
    plot_w = WIDTH - margin["l"] - margin["r"]
    plot_h = HEIGHT - margin["t"] - margin["b"]
    return plot_w / (x1 - x0), plot_h / (y1 - y0)


def place_labels(
    coords: NDArray[np.floating],
    labels: NDArray[np.integer],
    label_names: Mapping[int, str],
    bounds: tuple[float, float, float, float] | None = None,
    margin: Mapping[str, int] = MARGIN,
) -> list[tuple[int, str, float, float, float, float, float, float]]:
    """Cluster labels placed without overlaps, biggest cluster first, beside dense points.

    Returns (cluster, text with "\\n" line breaks, x, y of the label, x, y of the cluster centre,
    width, height in data units) per label. A label goes within LABEL_REACH_PX of its
    cluster's centre where it fits; one that does not is placed anywhere free (the figure
    draws a line back to its topic); only a map too full for it leaves it off.
    """
    xy = np.asarray(coords, dtype=np.float64)
    labels = np.asarray(labels)
    bounds = bounds or bounds_of(xy)
    sx, sy = px_per_unit(bounds, margin)
    ids = [
        int(c)
        for c, _ in Counter(labels[labels >= 0].tolist()).most_common()
        if label_names.get(int(c))
    ]
    if not ids:
        return []
    texts = [label_lines(label_names[c]) for c in ids]
    # The median is inside the cluster even when the cluster is bent (a mean may not be).
    centres = np.array([np.median(xy[labels == c], axis=0) for c in ids])
    sizes = np.array([(w / sx, h / sy) for w, h in map(text_box, texts)])
    density = Density(xy, bounds)
    reach = (LABEL_REACH_PX / sx, LABEL_REACH_PX / sy)
    pos = deoverlap(centres, sizes, bounds, reach=reach, density=density, px=(sx, sy))
    missing = np.isnan(pos[:, 0])
    if missing.any():  # far from its topic, with a line back, rather than not at all
        order = np.concatenate([np.flatnonzero(~missing), np.flatnonzero(missing)])
        again = deoverlap(
            np.where(missing[:, None], centres, pos)[order],
            sizes[order],
            bounds,
            steps=4000,
            density=density,
            px=(sx, sy),
            fixed=int((~missing).sum()),
        )
        pos[order] = again
    return [
        (c, t, float(p[0]), float(p[1]), float(m[0]), float(m[1]), float(s[0]), float(s[1]))
        for c, t, p, m, s in zip(ids, texts, pos, centres, sizes, strict=True)
        if not np.isnan(p[0])
    ]
