"""explorer: find related papers and map the landscape of a corpus, offline on a CPU.

The whole public API::

    from explorer import Explorer
    ex = Explorer.build("papers.jsonl")          # read, embed (cached), index
    ex.related("Gemma 2", k=5)                   # → list[Hit]
    ex.search("toxic comments in conversations")
"""

# Every name that a public signature uses is importable from here.
from explorer._version import __version__
from explorer.building import BuildReport
from explorer.embed.embedder import Embedder
from explorer.frames import hits_frame
from explorer.maps.landscape import Landscape, Settings
from explorer.maps.topics import Topic
from explorer.papers import Corpus, ExplorerError, Hit, Paper
from explorer.readers import read_corpus
from explorer.search.lookup import Match
from explorer.workspace import Explorer

__all__ = [
    "BuildReport",
    "Corpus",
    "Embedder",
    "Explorer",
    "ExplorerError",
    "Hit",
    "Landscape",
    "Match",
    "Paper",
    "Settings",
    "Topic",
    "hits_frame",
    "read_corpus",
    "__version__",
]
