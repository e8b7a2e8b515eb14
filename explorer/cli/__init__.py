"""The command line: thin faces over the `Explorer` API. Results on stdout, messages on stderr.

Each command lives in the module of its kind and is added here, so that `main` lists them all.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from explorer.cli.build import build
from explorer.cli.doctor import doctor
from explorer.cli.find import eval_, related, search, sentences_
from explorer.cli.library import new
from explorer.cli.maps import map_, topics
from explorer.cli.serve import serve
from explorer.storage import ENV_CACHE


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="explorer")
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Where corpora and vectors live (default: $EXPLORER_CACHE, else the user's cache "
    "folder; `explorer doctor` shows it).",
)
def main(cache: Path | None) -> None:
    """Find related papers and map the landscape of a corpus, offline on a CPU."""
    if cache is not None:  # the environment, so that a build's child processes see it too
        os.environ[ENV_CACHE] = str(cache)


for command in (build, related, new, search, sentences_, eval_, map_, topics, serve, doctor):
    main.add_command(command)

__all__ = ["main"]
