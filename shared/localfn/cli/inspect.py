"""`localfn doctor` and `localfn models` (bare): what localfn sees of its engines and this machine.

Both ask the running `localfn serve` at ``--url`` first: its ``GET /health/ready`` lists each
engine it uses (``embedded`` when it started llama.cpp itself), that engine's model, whether it
is ready and the models it has. Then they look at the engines configured here
(``LOCALFN_ENGINES``), which is all there is to see when nothing runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from localfn.cli.cluster import cluster_options, run_cluster_doctor
from localfn.cli.options import timeout_option, url_option
from localfn.cli.tables import wrapping_table
from localfn.engine.embedded import EmbeddedEngineError, binary_path, default_model_path
from localfn.engine.pool import PoolHealth
from localfn.errors import EngineError
from localfn.gpu import detect_gpus, nvidia_driver
from localfn.runtime import Runtime
from localfn.settings import EmbeddedMode, Settings

__all__ = ["doctor", "engine_models"]

# Soft wrap: lines longer than the terminal (paths, URLs) are wrapped by the terminal, so they copy whole.
console = Console(soft_wrap=True)


@dataclass(frozen=True)
class ServeStatus:
    """What the `localfn serve` at ``url`` says of its engines; ``problem`` says why it did not answer."""

    url: str
    ready: bool = False
    engines: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""


def _ask_serve(url: str, timeout: float) -> ServeStatus:
    ready_url = f"{url.rstrip('/')}/health/ready"
    try:
        response = httpx.get(ready_url, timeout=timeout)
    except httpx.HTTPError as exc:
        return ServeStatus(url, problem=str(exc) or type(exc).__name__)
    try:
        engines = response.json()["engines"]
    except (ValueError, KeyError, TypeError):
        return ServeStatus(url, problem=f"GET {ready_url} answered HTTP {response.status_code}, not as localfn serve does")
    return ServeStatus(url, ready=response.status_code == 200, engines=engines)


def _print_details(details: list[tuple[str, str]]) -> None:
    """Each engine's detail, on a line of its own, named by the engine unless it names itself."""
    for backend, detail in details:
        if detail:
            console.print(escape(f"  {detail}" if detail.startswith(f"{backend} ") else f"  {backend}: {detail}"))


def _state(reachable: bool, model_present: bool) -> str:
    if not reachable:
        return "[red]down[/]"
    return "[green]ready[/]" if model_present else "[red]no model[/]"


def _print_serve(serve: ServeStatus) -> None:
    if serve.problem:
        console.print(escape(f"No localfn serve answers at {serve.url}: {serve.problem}"))
        return
    table = wrapping_table(f"localfn serve at {serve.url}: {'ready' if serve.ready else 'not ready'}", "backend", "model", "state")
    for engine in serve.engines:
        # From the two facts every /health/ready gives: a deployed function's has no "ready" per engine.
        table.add_row(engine["backend"], engine.get("model", ""), _state(bool(engine.get("reachable")), bool(engine.get("model_present"))))
    console.print(table)
    _print_details([(engine["backend"], engine.get("detail", "")) for engine in serve.engines])


async def _configured_health(settings: Settings) -> PoolHealth:
    async with Runtime(settings) as runtime:
        return await runtime.pool.health()


def _print_configured(settings: Settings, health: PoolHealth) -> None:
    table = wrapping_table("Configured engines (LOCALFN_ENGINES), in failover order", "backend", "url", "model", "state")
    for config, check in zip(settings.engines, health.engines, strict=True):
        table.add_row(config.name, str(config.url), config.model, _state(check.reachable, check.model_present))
    console.print(table)
    _print_details([(check.backend, check.detail) for check in health.engines])


def _embedded_model(settings: Settings) -> Path:
    return settings.embedded_model_path or default_model_path()


def _embedded_files(settings: Settings) -> dict[str, str]:
    """Where the embedded engine's binary and model are, or why they are not there ("missing: ...")."""
    found = {}
    for label, probe in (("llama-server binary", binary_path), ("embedded model", lambda: _embedded_model(settings))):
        try:
            found[label] = str(probe())
        except EmbeddedEngineError as exc:
            found[label] = f"missing: {exc}"
    return found


def _what_serve_would_start(settings: Settings, problems: list[str]) -> str:
    if settings.embedded is EmbeddedMode.NEVER:
        return "`localfn serve` starts no engine (LOCALFN_EMBEDDED=never): start one of the configured engines."
    if problems:
        return "`make serve` (or `localfn serve`) cannot start the embedded llama.cpp engine: " + "; ".join(problems)
    return f"`make serve` (or `localfn serve`) would start the embedded llama.cpp engine with {_embedded_model(settings).name}."


def _verdict(url: str, serve: ServeStatus, configured_ready: bool, settings: Settings, problems: list[str]) -> tuple[bool, str]:
    """Whether this machine can answer, and the last line saying so (rich markup)."""
    if serve.ready:
        return True, f"[green]OK[/]: localfn serve at {url} is ready."
    if not serve.problem:
        return False, f"[red]localfn serve at {url} has no engine ready[/]; the table above says why."
    if configured_ready:
        return True, "[green]OK[/]: a configured engine is ready; `localfn serve` will use it."
    return False, f"[red]No engine is ready.[/] {_what_serve_would_start(settings, problems)}"


def _local_json(serve: ServeStatus, settings: Settings, health: PoolHealth, files: dict[str, str], ok: bool, verdict: str) -> str:
    driver = nvidia_driver()
    return json.dumps(
        {
            "ok": ok,
            "verdict": Text.from_markup(verdict).plain,
            "serve": {"url": serve.url, "ready": serve.ready, "problem": serve.problem, "engines": serve.engines},
            "configured": [
                {
                    "backend": c.name,
                    "url": str(c.url),
                    "model": c.model,
                    "reachable": h.reachable,
                    "model_present": h.model_present,
                    "detail": h.detail,
                }
                for c, h in zip(settings.engines, health.engines, strict=True)
            ],
            "gpus": [dataclasses.asdict(g) for g in detect_gpus()],
            "driver": dataclasses.asdict(driver) if driver else None,
            "embedded": files,
        },
        indent=2,
    )


@click.command()
@url_option
@timeout_option
@cluster_options
def doctor(
    url: str,
    timeout: float,
    cluster: bool,
    context: str | None,
    namespace: str | None,
    kubeconfig: str | None,
    release: str,
    values_file: Path | None,
    as_json: bool,
) -> None:
    """Check the running `localfn serve`, the configured engines, the GPU and the embedded engine.

    Exits 0 when the running `localfn serve` is ready, or, with none running, when a configured
    engine is; otherwise 1, saying what `localfn serve` would start. With --cluster, checks the
    Helm release on Kubernetes instead (GPU nodes, Ollama pools and their models, functions,
    Triggers, autoscaling), each OK, WARN or FAIL with its fix; exits 1 on any FAIL. --json
    prints the same findings as JSON, either way.
    """
    if cluster:
        run_cluster_doctor(context, namespace, kubeconfig, release, values_file, as_json)
        return
    settings = Settings.load()
    serve = _ask_serve(url, timeout)
    health = asyncio.run(_configured_health(settings))
    files = _embedded_files(settings)
    problems = [text.removeprefix("missing: ") for text in files.values() if text.startswith("missing: ")]
    ok, verdict = _verdict(url, serve, health.ready, settings, problems)
    if as_json:
        click.echo(_local_json(serve, settings, health, files, ok, verdict))
    else:
        _print_serve(serve)
        _print_configured(settings, health)
        gpus, driver = detect_gpus(), nvidia_driver()
        console.print(
            "GPUs: "
            + (", ".join(f"{g.name} ({g.memory_free_mib} of {g.memory_total_mib} MiB free)" for g in gpus) or "none (CPU only)")
            + (f"; NVIDIA driver {driver.version}, CUDA {driver.cuda}" if driver else "")
        )
        for label, where in files.items():
            console.print(
                f"{label}: " + (f"[yellow]{escape(where.removeprefix('missing: '))}[/]" if where.startswith("missing: ") else escape(where))
            )
        console.print(verdict)
    if not ok:
        raise SystemExit(1)


def _print_serve_models(serve: ServeStatus) -> None:
    for engine in serve.engines:
        table = wrapping_table(f"{engine['backend']} (used by localfn serve)", "model", "serves")
        for name in engine.get("models", []):
            table.add_row(name, "yes" if name == engine.get("model") else "")
        console.print(table)
        _print_details([(engine["backend"], engine.get("detail", ""))])


async def _configured_models(settings: Settings) -> None:
    async with Runtime(settings) as runtime:
        for engine in runtime.pool.engines:
            table = wrapping_table(engine.name, "model", "loaded", "size (MB)")
            detail = ""
            try:
                for info in await engine.models():
                    size = f"{info.size_bytes / 1e6:.0f}" if info.size_bytes else ""
                    table.add_row(info.name, "yes" if info.loaded else "", size)
            except EngineError as exc:
                detail = exc.detail
            if table.rows:
                console.print(table)
            _print_details([(engine.name, detail)])


def engine_models(url: str, timeout: float) -> None:
    """List the models of the engines the running `localfn serve` uses; with none running, of the configured engines."""
    serve = _ask_serve(url, timeout)
    if not serve.problem:
        console.print(f"localfn serve at {serve.url}:")
        _print_serve_models(serve)
        return
    console.print(escape(f"No localfn serve answers at {serve.url} ({serve.problem}); the configured engines (LOCALFN_ENGINES):"))
    asyncio.run(_configured_models(Settings.load()))
