"""Shades of one hue: a field's colour for its finer topics.

The topic tree colours its top level from the palette (`figure.topic_colors`); every topic below
takes a shade of its field's hue, so that a field keeps its hue as the map zooms in. Shades
differ in lightness, which every colour-vision deficiency keeps: siblings stay told apart
(tests/test_map_colours.py measures ΔE under each deficiency).
"""

from __future__ import annotations

import colorsys

# Lightness of the shades (HLS), darkest first, far enough apart to be told apart by anyone;
# siblings beyond this many reuse them in turn (a topic's neighbours are mostly its siblings
# of similar size, so the order keeps the biggest ones apart).
LIGHTNESS = (0.20, 0.40, 0.60)


def shade(colour: str, step: int) -> str:
    """`colour` (#rrggbb) at the `step`-th lightness of LIGHTNESS, its hue and saturation kept."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    light = LIGHTNESS[step % len(LIGHTNESS)]
    out = colorsys.hls_to_rgb(h, light, max(s, 0.45))
    return "#" + "".join(f"{round(v * 255):02x}" for v in out)


def shades(colour: str, k: int) -> list[str]:
    """k shades of `colour`'s hue, one per sibling (biggest first)."""
    return [shade(colour, i) for i in range(k)]
