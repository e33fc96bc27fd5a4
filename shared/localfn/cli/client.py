"""`localfn invoke` and `localfn send-event`: call running functions from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console

from localfn.cli.options import timeout_option, url_option
from localfn.events import encode_event, parse_event, request_type

__all__ = ["invoke", "send_event"]


def _data(value: str) -> Any:
    """JSON given inline, as @file, or as - for standard input."""
    if value == "-":
        text = sys.stdin.read()
    elif value.startswith("@"):
        path = Path(value[1:])
        if not path.is_file():
            raise click.BadParameter(f"no file {path}", param_hint="--data")
        text = path.read_text(encoding="utf-8")
    else:
        text = value
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from exc


def _post(url: str, timeout: float, **kwargs: Any) -> httpx.Response:
    try:
        return httpx.post(url, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}; is `localfn serve` running?") from exc


def _show(response: httpx.Response, payload: Any) -> None:
    Console(soft_wrap=True).print_json(data=payload)
    if response.is_error:
        raise SystemExit(1)


@click.command()
@click.argument("function")
@click.option("--data", "data", required=True, help="Request JSON: inline, @file.json, or - for stdin.")
@url_option
@timeout_option
def invoke(function: str, data: str, url: str, timeout: float) -> None:
    """POST a JSON request to FUNCTION (e.g. summarize) and print the answer."""
    response = _post(f"{url.rstrip('/')}/{function}", timeout, json=_data(data))
    _show(response, response.json() if response.content else {"status": response.status_code})


@click.command("send-event")
@click.option("--type", "event_type", required=True, help="Event type, e.g. io.localfn.summarize.request.")
@click.option("--data", "data", required=True, help="Event data JSON: inline, @file.json, or - for stdin.")
@click.option("--source", default="/localfn/cli", show_default=True, help="Event source.")
@click.option("--id", "event_id", default=None, help="Event id (default: a new UUID); resend one to see deduplication.")
@click.option("--subject", default=None, help="Event subject, echoed on the reply.")
@click.option("--mode", type=click.Choice(["binary", "structured"]), default="binary", show_default=True)
@url_option
@timeout_option
def send_event(
    event_type: str, data: str, source: str, event_id: str | None, subject: str | None, mode: str, url: str, timeout: float
) -> None:
    """Send a CloudEvent to POST /events (as a Knative broker would) and print the reply event."""
    if not event_type.startswith("io.localfn.") and event_type != "dev.knative.kafka.event":
        hint = request_type("summarize")
        raise click.BadParameter(f"{event_type!r} is not a localfn request type, e.g. {hint}", param_hint="--type")
    headers, body = encode_event(
        type=event_type, source=source, data=_data(data), id=event_id, subject=subject, structured=mode == "structured"
    )
    response = _post(f"{url.rstrip('/')}/events", timeout, headers=headers, content=body)
    if response.is_error or not response.content:
        _show(response, response.json() if response.content else {"status": response.status_code})
        return
    reply = parse_event(response.headers, response.content)
    _show(response, {"id": reply.id, "type": reply.type, "source": reply.source, "subject": reply.subject, "data": reply.data})
