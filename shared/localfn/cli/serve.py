"""`localfn serve`: every function in one process, on the embedded engine when no engine answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import click
import uvicorn
from rich.console import Console
from uvicorn.loops.auto import auto_loop_factory

from localfn.engine.embedded import EmbeddedEngineError, LlamaServer, from_settings
from localfn.runtime import Runtime, RuntimeHolder
from localfn.serve import FUNCTIONS, build_app
from localfn.settings import EmbeddedMode, Settings

__all__ = ["serve"]

console = Console(stderr=True, soft_wrap=True)


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising the stop signal once it has shut down gracefully.

    uvicorn raises SIGTERM/SIGINT again after its shutdown so that the default action runs:
    for SIGTERM (what Kubernetes and systemd send) that kills the process before the
    embedded llama-server is stopped, leaving it orphaned, and Ctrl-C ends in "Aborted!"
    with exit status 1. Here the graceful shutdown is the whole answer to the signal.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()


async def _any_engine_reachable(settings: Settings) -> bool:
    async with Runtime(settings) as runtime:
        checks = (await runtime.pool.health()).engines
    for check in checks:
        if check.reachable and not check.model_present:
            console.print(f"[yellow]engine {check.backend}: {check.detail}[/]")
    return any(check.reachable for check in checks)


async def _embedded_if_needed(settings: Settings) -> LlamaServer | None:
    if settings.embedded is EmbeddedMode.NEVER:
        return None
    if settings.embedded is EmbeddedMode.AUTO and await _any_engine_reachable(settings):
        return None
    names = ", ".join(f"{e.name} ({e.url})" for e in settings.engines)
    if settings.embedded is EmbeddedMode.AUTO:
        console.print(f"No engine answers at {names}: starting the embedded llama.cpp engine.")
    server = from_settings(settings)
    await server.start()
    return server


async def _serve(settings: Settings, functions: tuple[str, ...]) -> None:
    try:
        server = await _embedded_if_needed(settings)
    except EmbeddedEngineError as exc:
        raise click.ClickException(str(exc)) from exc
    if server is not None:
        settings = settings.model_copy(update={"engines": [server.backend()]})
    try:
        app = build_app(RuntimeHolder(lambda: settings), functions or None)
        base = f"http://{settings.host}:{settings.port}"
        engines = ", ".join(f"{e.name}: {e.model} at {e.url}" for e in settings.engines)
        console.print(f"localfn on {base} — engines: {engines}")
        for name in functions or FUNCTIONS:
            console.print(f"  {base}/{name}")
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
        await _Server(config).serve()
    finally:
        if server is not None:
            await server.stop()


@click.command()
@click.option("--host", envvar="LOCALFN_HOST", default=None, help="Listen address [default: 127.0.0.1].")
@click.option("--port", envvar="LOCALFN_PORT", type=int, default=None, help="Listen port [default: 8080].")
@click.option(
    "--function",
    "functions",
    multiple=True,
    type=click.Choice(list(FUNCTIONS)),
    help="Serve only these functions (repeatable) [default: all].",
)
@click.option(
    "--embedded",
    envvar="LOCALFN_EMBEDDED",
    type=click.Choice([m.value for m in EmbeddedMode]),
    default=None,
    help="Start a local llama.cpp engine: auto (when no engine answers), always, never [default: auto].",
)
def serve(host: str | None, port: int | None, functions: tuple[str, ...], embedded: str | None) -> None:
    """Run every function on http://HOST:PORT/<function>, plus POST /events for CloudEvents."""
    overrides: dict[str, Any] = {"host": host, "port": port, "embedded": EmbeddedMode(embedded) if embedded else None}
    settings = Settings.load().model_copy(update={k: v for k, v in overrides.items() if v is not None})
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The event loop uvicorn itself would choose (uvloop when installed), as functions-framework gets.
    with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=False)) as runner:
        runner.run(_serve(settings, functions))
