"""`localfn models`: the models localfn's engines have, and an Ollama's models managed by hand.

Bare (or `list` without ``--ollama-url``), it lists what the running `localfn serve` uses, as
the quick start shows. With an Ollama named (``--ollama-url`` or ``LOCALFN_OLLAMA_URL``) it
lists that server's models, and `pull`, `warm` and `unload` act on it; unnamed, those three
use the first Ollama in ``LOCALFN_ENGINES``. ``--pool gpu`` (or cpu) names the chart's pool
instead: its Service, reached through the Kubernetes API server's service proxy with
kubectl's credentials (``--context``, ``-n``, ``--kubeconfig``, ``--release``), so no
port-forward is needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

from localfn.cli.cluster import connect, kube_options
from localfn.cli.inspect import engine_models
from localfn.cli.options import timeout_option, url_option
from localfn.cli.tables import wrapping_table
from localfn.engine.ollama import full_name
from localfn.operate.ollama import OllamaAdmin, OllamaAdminError, PullStep
from localfn.settings import Settings

__all__ = ["models"]

console = Console(soft_wrap=True)
DEFAULT_OLLAMA = "http://127.0.0.1:11434"


def ollama_options(command: Any) -> Any:
    """Which Ollama: --ollama-url, or --pool (the chart's pool Service through the API server) with kubectl's options."""
    command = kube_options(command)
    command = click.option(
        "--pool",
        type=click.Choice(["gpu", "cpu"]),
        default=None,
        help="The release's Ollama pool, reached through the Kubernetes API server (needs get and create on services/proxy).",
    )(command)
    return click.option(
        "--ollama-url",
        envvar="LOCALFN_OLLAMA_URL",
        default=None,
        help="The Ollama to manage [default: the first Ollama in LOCALFN_ENGINES, else http://127.0.0.1:11434].",
    )(command)


def _configured_url() -> str:
    configured = [str(engine.url) for engine in Settings.load().engines if engine.kind == "ollama"]
    return configured[0] if configured else DEFAULT_OLLAMA


@contextlib.contextmanager
def _admin(
    ollama_url: str | None, pool: str | None, context: str | None, namespace: str | None, kubeconfig: str | None, release: str
) -> Iterator[OllamaAdmin]:
    """The Ollama the options name, its errors as usage errors (the message, exit 1)."""
    if pool is None:
        with httpx.Client() as client, _user_errors():
            yield OllamaAdmin(ollama_url or _configured_url(), client)
        return
    cluster = connect(context, namespace, kubeconfig)
    try:
        url, client = cluster.service_proxy(*_pool_service(cluster, release, pool))
        with client, _user_errors():
            yield OllamaAdmin(url, client)
    finally:
        cluster.close()


def _pool_service(cluster: Any, release: str, pool: str) -> tuple[str, int]:
    """The pool's client Service (the one with a cluster IP; the others are headless) and its port."""
    from localfn.operate.kube import ClusterError
    from localfn.operate.target import release_selector

    try:
        services = [
            s
            for s in cluster.items("v1", "services", selector=release_selector(release, "ollama", pool))
            if s["spec"].get("clusterIP") != "None"
        ]
    except ClusterError as exc:
        raise click.ClickException(f"cannot list Services in {cluster.namespace}: {exc}") from exc
    if not services:
        raise click.ClickException(
            f"release {release!r} has no {pool} Ollama pool in namespace {cluster.namespace}: check --release and -n"
        )
    return services[0]["metadata"]["name"], int(services[0]["spec"]["ports"][0]["port"])


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
@ollama_options
@url_option
@timeout_option
def list_models(url: str, timeout: float, **ollama: Any) -> None:
    """An Ollama's models: on disk, loaded, and where (GPU or CPU). Without one named, as bare `localfn models`."""
    if not (ollama["ollama_url"] or ollama["pool"]):
        engine_models(url, timeout)
        return
    with _admin(**ollama) as admin:
        stored, loaded = admin.stored(), {model.name: model for model in admin.loaded()}
    table = wrapping_table(f"Ollama at {admin.url}", "model", "size (MB)", "loaded", "processor", "until")
    for model in stored:
        running = loaded.get(model.name)
        table.add_row(
            model.name,
            f"{model.size_bytes / 1e6:.0f}",
            "yes" if running else "",
            running.processor if running else "",
            running.expires_at if running else "",
        )
    console.print(table)


@models.command()
@click.argument("name")
@ollama_options
def pull(name: str, **ollama: Any) -> None:
    """Download NAME (e.g. llama3.2:1b) into the Ollama, with a progress bar per layer."""
    with _admin(**ollama) as admin:
        _show_pull(admin.pull(name))
    console.print(f"[green]OK[/]: {full_name(name)} is on {admin.url}.")


@models.command()
@click.argument("name")
@click.option(
    "--keep-alive",
    envvar="LOCALFN_KEEP_ALIVE",
    default="30m",
    show_default=True,
    help="How long the model stays loaded without requests: a duration (10m, 24h) or -1 for ever (as the functions send it).",
)
@ollama_options
def warm(name: str, keep_alive: str, **ollama: Any) -> None:
    """Load NAME now, so the first real request does not wait for it."""
    with _admin(**ollama) as admin:
        admin.warm(name, keep_alive)
        where = next((m.processor for m in admin.loaded() if m.name == full_name(name)), "")
    console.print(f"[green]OK[/]: {full_name(name)} is loaded on {admin.url}" + (f" ({where})" if where else "") + f", kept {keep_alive}.")


@models.command()
@click.argument("name")
@ollama_options
def unload(name: str, **ollama: Any) -> None:
    """Free the memory NAME holds now (it stays on disk)."""
    with _admin(**ollama) as admin:
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
