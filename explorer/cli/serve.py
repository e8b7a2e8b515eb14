"""`explorer serve`: the local web app over one built corpus (docs/web.md)."""

from __future__ import annotations

import contextlib
import socket
import threading
import webbrowser

import click

from explorer.cli.options import corpus_option, errors, open_corpus
from explorer.web.guard import LOCAL_HOSTS, is_loopback

__all__ = ["is_loopback", "listen", "serve"]


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, or a one-line error (a port in use, an unknown host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, _, _, addr = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.set_inheritable(True)
    return sock


@click.command()
@corpus_option
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Where to listen. Anyone who can reach another address can read the corpus.",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
@click.option(
    "--library",
    "libraries",
    multiple=True,
    metavar="FILE|CORPUS",
    help="Show your library on the map, and the papers recommended for it: its files "
    "(BibTeX, RIS, CSL-JSON, JSON Lines, …; repeatable) or a built corpus.",
)
@click.option(
    "--edit", is_flag=True, help="Let the page rename, merge and move topics (edits.json)."
)
@errors
def serve(
    corpus: str | None,
    port: int,
    host: str,
    no_browser: bool,
    libraries: tuple[str, ...],
    edit: bool,
) -> None:
    """Explore a built corpus in the browser: its map, search, papers and exports.

    Serves this one corpus, read-only (--edit: its topics may be edited), until Ctrl-C; a
    build of it meanwhile is served from the next request on (the --library is read again
    against it). The model loads on the first free-text query."""
    import uvicorn

    from explorer.cli.library import library_source
    from explorer.web import server
    from explorer.web.app import create_app

    remote = not is_loopback(host)
    if remote:
        click.echo(
            f"warning: listening on {host}: anyone who can reach this address can read the corpus",
            err=True,
        )
    sock = listen(host, port)
    ex = open_corpus(corpus)
    # A client on this machine names the server by a loopback name, the address it listens on
    # or the machine's name (else it may be a page whose domain was rebound to this machine: DNS
    # rebinding); a client on another machine, when there are any, by any name.
    names = (*LOCAL_HOSTS, host, *([socket.gethostname()] if remote else []))
    library = library_source(libraries) if libraries else None
    app = create_app(ex, hosts=names, remote=remote, library=library, edit=edit)
    if library is not None:
        info = app.state.follower.state.library_info() or {}
        click.echo(
            f"library {info.get('name')}: {info.get('count')} papers, "
            f"{info.get('in_corpus')} of them in the corpus",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}/"
    click.echo(f"serving {ex.name} ({len(ex.corpus):,} papers) at {url}; Ctrl-C to stop", err=True)
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    instance = uvicorn.Server(server.config(app))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server stops: no error
        instance.run(sockets=[sock])
    click.echo("stopped", err=True)
