"""The page's files: a fixed list, read from the package when served (no request names a path).

plotly.js is vendored: plotly.js's "strict" bundle (npm `plotly.js-strict-dist-min` 4.1.1, MIT,
`static/vendor/`), the one build whose WebGL traces run without `eval`, so that the page's
Content-Security-Policy needs no 'unsafe-eval' (the `plotly` package's own plotly.min.js
compiles regl's shaders with `Function` and draws no scattergl under it). No asset is ever
fetched from a CDN: the page works offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).with_name("static")


@dataclass(frozen=True)
class Asset:
    path: Path
    media_type: str

    def read(self) -> bytes:
        return self.path.read_bytes()


ASSETS: dict[str, Asset] = {
    "index.html": Asset(STATIC / "index.html", "text/html; charset=utf-8"),
    "app.js": Asset(STATIC / "app.js", "text/javascript; charset=utf-8"),
    "panels.js": Asset(STATIC / "panels.js", "text/javascript; charset=utf-8"),
    "plot.js": Asset(STATIC / "plot.js", "text/javascript; charset=utf-8"),
    "library.js": Asset(STATIC / "library.js", "text/javascript; charset=utf-8"),
    "levels.js": Asset(STATIC / "levels.js", "text/javascript; charset=utf-8"),
    "edits.js": Asset(STATIC / "edits.js", "text/javascript; charset=utf-8"),
    "app.css": Asset(STATIC / "app.css", "text/css; charset=utf-8"),
    "plotly.min.js": Asset(
        STATIC / "vendor" / "plotly-strict.min.js", "text/javascript; charset=utf-8"
    ),
}
