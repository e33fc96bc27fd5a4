"""Options shared by the commands that talk to a running `localfn serve` (or a deployed function)."""

from __future__ import annotations

import click

__all__ = ["timeout_option", "url_option"]

url_option = click.option(
    "--url",
    envvar="LOCALFN_URL",
    default="http://127.0.0.1:8080",
    show_default=True,
    help="Where `localfn serve` (or a deployed function) listens.",
)
timeout_option = click.option("--timeout", envvar="LOCALFN_CLIENT_TIMEOUT_S", default=300.0, show_default=True, help="Seconds to wait.")
