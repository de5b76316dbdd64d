"""`grants web`: the coordinators' review desk, served by uvicorn."""

from __future__ import annotations

import click

from tracker.config import get_settings
from tracker.db import session_factory


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port.")
@click.option(
    "--dev",
    is_flag=True,
    help="Development only: allow an empty SECRET_KEY (a random one per process).",
)
def web(host: str, port: int, dev: bool) -> None:
    """Serve the desk: review queue, call pages, sources (log in first)."""
    # Imported here: the rest of the CLI need not load the web stack.
    import uvicorn

    from tracker.web import WebConfigError, create_app

    try:
        # The app opens one transaction per request; nothing is opened here.
        app = create_app(session_factory(), get_settings(), dev=dev)
    except WebConfigError as error:
        raise click.ClickException(str(error)) from None
    # proxy_headers: behind a reverse proxy on this host, X-Forwarded-Proto
    # tells uvicorn the page was served over https.
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")
