"""`localfn models`: the models localfn's engines have, and an Ollama's models managed by hand.

Bare (or `list` without ``--ollama-url``), it lists what the running `localfn serve` uses, as
the quick start shows. With an Ollama named (``--ollama-url`` or ``LOCALFN_OLLAMA_URL``) it
lists that server's models, and `pull`, `warm` and `unload` act on it; unnamed, those three
use the first Ollama in ``LOCALFN_ENGINES``. In a cluster, reach the chart's Ollama with
`kubectl port-forward svc/<release>-ollama-gpu 11434` first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

from localfn.cli.inspect import engine_models
from localfn.cli.tables import wrapping_table
from localfn.cli.options import timeout_option, url_option
from localfn.operate.ollama import OllamaAdmin, OllamaAdminError, PullStep, full_name
from localfn.settings import Settings

__all__ = ["models"]

console = Console(soft_wrap=True)
DEFAULT_OLLAMA = "http://127.0.0.1:11434"

ollama_url_option = click.option(
    "--ollama-url", envvar="LOCALFN_OLLAMA_URL", default=None,
    help="The Ollama to manage [default: the first Ollama in LOCALFN_ENGINES, else http://127.0.0.1:11434].",
)


def _resolve(ollama_url: str | None) -> str:
    if ollama_url:
        return ollama_url
    configured = [str(engine.url) for engine in Settings.load().engines if engine.kind == "ollama"]
    return configured[0] if configured else DEFAULT_OLLAMA


def _admin_call(ollama_url: str | None) -> tuple[OllamaAdmin, httpx.Client]:
    client = httpx.Client()
    return OllamaAdmin(_resolve(ollama_url), client), client


@click.group(invoke_without_command=True)
@url_option
@timeout_option
@click.pass_context
def models(ctx: click.Context, url: str, timeout: float) -> None:
    """The models of localfn's engines; `pull`, `warm` and `unload` an Ollama's.

    With no subcommand: the models of the engines the running `localfn serve` uses, or with none
    running, of the configured engines (LOCALFN_ENGINES).
    """
    if ctx.invoked_subcommand is None:
        engine_models(url, timeout)


@models.command("list")
@ollama_url_option
@url_option
@timeout_option
def list_models(ollama_url: str | None, url: str, timeout: float) -> None:
    """An Ollama's models: on disk, loaded, and where (GPU or CPU). Without one named, as bare `localfn models`."""
    if not ollama_url:
        engine_models(url, timeout)
        return
    admin, client = _admin_call(ollama_url)
    with client, _user_errors():
        stored, loaded = admin.stored(), {model.name: model for model in admin.loaded()}
    table = wrapping_table(f"Ollama at {admin.url}", "model", "size (MB)", "loaded", "processor", "until")
    for model in stored:
        running = loaded.get(model.name)
        table.add_row(
            model.name, f"{model.size_bytes / 1e6:.0f}", "yes" if running else "",
            running.processor if running else "", running.expires_at if running else "",
        )
    console.print(table)


@models.command()
@click.argument("name")
@ollama_url_option
def pull(name: str, ollama_url: str | None) -> None:
    """Download NAME (e.g. llama3.2:1b) into the Ollama, with a progress bar per layer."""
    admin, client = _admin_call(ollama_url)
    with client, _user_errors():
        _show_pull(admin.pull(name))
    console.print(f"[green]OK[/]: {full_name(name)} is on {admin.url}.")


@models.command()
@click.argument("name")
@click.option(
    "--keep-alive", default="30m", show_default=True,
    help="How long the model stays loaded without requests: a duration (10m, 24h) or -1 for ever.",
)
@ollama_url_option
def warm(name: str, keep_alive: str, ollama_url: str | None) -> None:
    """Load NAME now, so the first real request does not wait for it."""
    admin, client = _admin_call(ollama_url)
    with client, _user_errors():
        admin.warm(name, keep_alive)
        where = next((m.processor for m in admin.loaded() if m.name == full_name(name)), "")
    console.print(f"[green]OK[/]: {full_name(name)} is loaded on {admin.url}" + (f" ({where})" if where else "") + f", kept {keep_alive}.")


@models.command()
@click.argument("name")
@ollama_url_option
def unload(name: str, ollama_url: str | None) -> None:
    """Free the memory NAME holds now (it stays on disk)."""
    admin, client = _admin_call(ollama_url)
    with client, _user_errors():
        admin.unload(name)
    console.print(f"[green]OK[/]: {full_name(name)} is unloaded from {admin.url}.")


def _show_pull(steps: Iterable[PullStep]) -> None:
    """One bar per layer (Ollama names each by its digest); other statuses as lines above the bars."""
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console) as progress:
        layers: dict[str, TaskID] = {}
        for step in steps:
            if not step.digest:
                progress.console.print(step.status)
                continue
            if step.digest not in layers:
                layers[step.digest] = progress.add_task(step.status, total=step.total or None)
            progress.update(layers[step.digest], completed=step.completed, total=step.total or None)


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """`OllamaAdminError` as a `click.ClickException`: the message, exit code 1, no traceback."""
    try:
        yield
    except OllamaAdminError as exc:
        raise click.ClickException(str(exc)) from exc
