"""`localfn status`: a running `localfn serve`'s functions, engines and routing, once or live (``--watch``)."""

from __future__ import annotations

import dataclasses
import json
import time

import click
import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from localfn.cli.options import url_option
from localfn.cli.tables import wrapping_table
from localfn.operate.status import ServeStatusReport, StatusError, read_status
from localfn.settings import Settings

__all__ = ["status"]

console = Console(soft_wrap=True)


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.0f}"


def _tables(report: ServeStatusReport) -> list[Table]:
    functions = wrapping_table(f"localfn serve at {report.url}: functions", "function", "ready", "requests", "errors", "in flight", "p50 ms", "p99 ms")
    for f in report.functions:
        functions.add_row(f.name, "yes" if f.ready else "[red]no[/]", str(f.requests), str(f.errors), str(f.in_flight), _ms(f.p50_s), _ms(f.p99_s))
    engines = wrapping_table("engines, in failover order", "backend", "model", "ready", "calls", "in flight", "runs on", "models")
    for e in report.engines:
        engines.add_row(e.backend, e.model, "yes" if e.ready else "[red]no[/]", str(e.calls), str(e.in_flight), e.processor, ", ".join(e.models))
    tables = [functions, engines]
    if report.routing is not None:
        r = report.routing
        routing = wrapping_table(f"route-query routing ({r.get('scope', '')})", "queries", "simple", "moderate", "complex", "degraded", "cache hits", "saved USD")
        tiers = r.get("tiers", {})
        routing.add_row(str(r.get("queries", 0)), *(str(tiers.get(t, 0)) for t in ("simple", "moderate", "complex")),
                        str(r.get("degraded", 0)), str(r.get("cache_hits", 0)), f"{r.get('estimated_saving_usd', 0):.4f}")
        tables.append(routing)
    return tables


def _read(url: str, ollama_urls: dict[str, str]) -> ServeStatusReport:
    with httpx.Client(timeout=10.0) as client:
        try:
            return read_status(url, client, ollama_urls)
        except StatusError as exc:
            raise click.ClickException(str(exc)) from exc


@click.command()
@url_option
@click.option("--watch", is_flag=True, help="Refresh until Ctrl-C.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between refreshes with --watch.")
@click.option("--json", "as_json", is_flag=True, help="Print one look as JSON.")
def status(url: str, watch: bool, interval: float, as_json: bool) -> None:
    """What the running `localfn serve` is doing: each function's requests and p50/p99 latency, each engine
    (its models, calls, GPU or CPU), route-query's routing counts. Counts are since the server started."""
    ollama_urls = {e.name: str(e.url) for e in Settings.load().engines if e.kind == "ollama"}
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(_read(url, ollama_urls)), indent=2))
        return
    if not watch:
        console.print(*_tables(_read(url, ollama_urls)))
        return
    with Live(Group(*_tables(_read(url, ollama_urls))), console=console, auto_refresh=False) as live:
        try:
            while True:
                time.sleep(interval)
                live.update(Group(*_tables(_read(url, ollama_urls))), refresh=True)
        except KeyboardInterrupt:
            pass
