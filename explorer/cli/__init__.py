"""The command line: thin faces over the `Explorer` API. Results on stdout, messages on stderr.

Each command lives in the module of its kind and is added here, so that `main` lists them all.
"""

from __future__ import annotations

import click

from explorer.cli.build import build
from explorer.cli.doctor import doctor
from explorer.cli.find import eval_, related, search, sentences_
from explorer.cli.maps import map_, topics
from explorer.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="explorer")
def main() -> None:
    """Find related papers and map the landscape of a corpus, offline on a CPU."""


for command in (build, related, search, sentences_, eval_, map_, topics, serve, doctor):
    main.add_command(command)

__all__ = ["main"]
