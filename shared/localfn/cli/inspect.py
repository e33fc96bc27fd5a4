"""`localfn doctor` and `localfn models`: what localfn sees of its engines and this machine."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.table import Table

from localfn.engine.embedded import EmbeddedEngineError, binary_path, default_model_path
from localfn.errors import EngineError
from localfn.gpu import detect_gpus
from localfn.runtime import Runtime
from localfn.settings import Settings

__all__ = ["doctor", "models"]

console = Console()


def _mark(ok: bool) -> str:
    return "[green]ok[/]" if ok else "[red]no[/]"


async def _doctor(settings: Settings) -> bool:
    runtime = Runtime(settings)
    try:
        checks = await runtime.pool.health()
    finally:
        await runtime.aclose()
    table = Table(title="Engines, in failover order")
    for column in ("backend", "url", "model", "reachable", "model present", "detail"):
        table.add_column(column)
    for config, check in zip(settings.engines, checks, strict=True):
        table.add_row(config.name, str(config.url), config.model, _mark(check.reachable), _mark(check.model_present), check.detail)
    console.print(table)
    return any(check.ready for check in checks)


@click.command()
def doctor() -> None:
    """Check the engines, the GPU and the embedded engine; exit 1 when no engine is ready."""
    settings = Settings.load()
    ready = asyncio.run(_doctor(settings))
    gpus = detect_gpus()
    console.print("GPUs: " + (", ".join(f"{g.name} ({g.memory_free_mib} MiB free)" for g in gpus) or "none (CPU only)"))
    for label, probe in (("llama-server binary", binary_path), ("embedded model", lambda: settings.embedded_model_path or default_model_path())):
        try:
            console.print(f"{label}: {probe()}")
        except EmbeddedEngineError as exc:
            console.print(f"{label}: [yellow]{exc}[/]")
    if not ready:
        console.print("[red]No engine is ready.[/] `localfn serve` would start the embedded engine (LOCALFN_EMBEDDED=auto).")
        raise SystemExit(1)


async def _models(settings: Settings) -> None:
    runtime = Runtime(settings)
    try:
        for engine in runtime.pool.engines:
            table = Table(title=f"{engine.name}")
            for column in ("model", "loaded", "size (MB)"):
                table.add_column(column)
            try:
                for info in await engine.models():
                    size = f"{info.size_bytes / 1e6:.0f}" if info.size_bytes else ""
                    table.add_row(info.name, "yes" if info.loaded else "", size)
            except EngineError as exc:
                table.add_row(f"[red]{exc.detail}[/]", "", "")
            console.print(table)
    finally:
        await runtime.aclose()


@click.command()
def models() -> None:
    """List the models each configured engine has."""
    asyncio.run(_models(Settings.load()))
