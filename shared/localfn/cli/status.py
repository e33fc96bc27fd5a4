"""`localfn status`: a running `localfn serve`'s functions, engines and routing, or with ``--cluster`` a
release's on Kubernetes (replicas, and requests and latency summed over each function's pods); once,
as JSON, or live (``--watch``)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from localfn.cli.cluster import connect, kube_options
from localfn.cli.options import url_option
from localfn.cli.tables import wrapping_table
from localfn.operate.status import ServeStatusReport, StatusError, read_status
from localfn.settings import Settings

__all__ = ["status"]

console = Console(soft_wrap=True)


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.0f}"


def _yes(ready: bool) -> str:
    return "yes" if ready else "[red]no[/]"


def _routing(title: str, r: dict[str, Any]) -> Table:
    """route-query's /stats: its queries per tier, degraded answers, cache hits and the estimated saving."""
    routing = wrapping_table(title, "queries", "simple", "moderate", "complex", "degraded", "cache hits", "saved USD")
    tiers = r.get("tiers", {})
    routing.add_row(
        str(r.get("queries", 0)),
        *(str(tiers.get(t, 0)) for t in ("simple", "moderate", "complex")),
        str(r.get("degraded", 0)),
        str(r.get("cache_hits", 0)),
        f"{r.get('estimated_saving_usd', 0):.4f}",
    )
    return routing


def _serve_tables(report: ServeStatusReport) -> list[Any]:
    functions = wrapping_table(
        f"localfn serve at {report.url}: functions", "function", "ready", "requests", "errors", "in flight", "p50 ms", "p99 ms"
    )
    for f in report.functions:
        functions.add_row(f.name, _yes(f.ready), str(f.requests), str(f.errors), str(f.in_flight), _ms(f.p50_s), _ms(f.p99_s))
    engines = wrapping_table("engines, in failover order", "backend", "model", "ready", "calls", "in flight", "runs on", "models")
    for e in report.engines:
        engines.add_row(e.backend, e.model, _yes(e.ready), str(e.calls), str(e.in_flight), e.processor, ", ".join(e.models))
    tables: list[Any] = [functions, engines]
    if report.routing is not None:
        tables.append(_routing(f"route-query routing ({report.routing.get('scope', '')})", report.routing))
    return tables


def _cluster_tables(report: Any) -> list[Any]:
    """A `localfn.operate.release_status.ReleaseStatusReport` as tables, each pod that did not answer named below its table."""
    where = f"localfn release {report.release} in {report.namespace} (context {report.context}, {report.mode} mode)"
    functions = wrapping_table(
        f"{where}: functions, summed over their pods",
        "function",
        "ready",
        "replicas",
        "requests",
        "errors",
        "in flight",
        "p50 ms",
        "p99 ms",
    )
    unanswered = []
    for f in report.functions:
        functions.add_row(
            f.name,
            _yes(f.ready),
            f"{f.ready_replicas}/{f.desired_replicas}",
            str(f.requests),
            str(f.errors),
            str(f.in_flight),
            _ms(f.p50_s),
            _ms(f.p99_s),
        )
        unanswered += [f"  {f.name}: pod {pod} not counted: {why}" for pod, why in f.unanswered.items()]
    tables: list[Any] = [functions, *(escape(line) for line in unanswered)]
    engines = wrapping_table("Ollama pools", "pool", "replicas", "pod", "node", "ready", "runs on", "models loaded")
    for pool in report.engines:
        for i, pod in enumerate(pool.pods or [None]):
            replicas = (pool.pool, f"{pool.ready_replicas}/{pool.desired_replicas}") if i == 0 else ("", "")
            if pod is None:
                engines.add_row(*replicas, "", "", "", "", "")
                continue
            models = escape(f"did not answer: {pod.problem}") if pod.problem else ", ".join(pod.models)
            engines.add_row(*replicas, pod.name, pod.node, _yes(pod.ready), pod.processor, models)
    tables.append(engines)
    if report.routing is not None:
        r = report.routing
        if r.stats is None:
            tables.append(escape(f"route-query routing: no ready pod answered /stats ({r.pod}: {r.problem})"))
        elif r.stats.get("scope") == "installation":  # a shared store: every pod's queries
            tables.append(_routing(f"route-query routing: the installation's totals (asked of pod {r.pod})", r.stats))
        else:
            tables.append(_routing(f"route-query routing: pod {r.pod} only ({r.stats.get('scope_reason')})", r.stats))
    return tables


def _show(read: Callable[[], Any], tables: Callable[[Any], list[Any]], watch: bool, interval: float, as_json: bool) -> None:
    """One look as JSON or tables, or tables redrawn every ``interval`` seconds until Ctrl-C."""
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(read()), indent=2))
        return
    if not watch:
        console.print(*tables(read()))
        return
    with Live(Group(*tables(read())), console=console, auto_refresh=False) as live:
        try:
            while True:
                time.sleep(interval)
                live.update(Group(*tables(read())), refresh=True)
        except KeyboardInterrupt:
            pass


@contextmanager
def _reader(
    url: str, cluster: bool, context: str | None, namespace: str | None, kubeconfig: str | None, release: str
) -> Iterator[Callable[[], Any]]:
    """What one look reads: the serve at ``url``, or with ``cluster`` the release."""
    if cluster:
        # Imported here: the kubernetes client is for the cluster commands only (~0.3 s to import).
        from localfn.operate.release_status import read_release_status

        kube = connect(context, namespace, kubeconfig)
        try:
            yield lambda: read_release_status(kube, release)
        finally:
            kube.close()
        return
    ollama_urls = {e.name: str(e.url) for e in Settings.load().engines if e.kind == "ollama"}
    with httpx.Client(timeout=10.0) as client:
        yield lambda: read_status(url, client, ollama_urls)


@click.command()
@url_option
@click.option("--cluster", is_flag=True, help="Show the release on the Kubernetes cluster instead of one `localfn serve`.")
@kube_options
@click.option("--watch", is_flag=True, help="Refresh until Ctrl-C.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between refreshes with --watch.")
@click.option("--json", "as_json", is_flag=True, help="Print one look as JSON.")
def status(
    url: str,
    cluster: bool,
    context: str | None,
    namespace: str | None,
    kubeconfig: str | None,
    release: str,
    watch: bool,
    interval: float,
    as_json: bool,
) -> None:
    """What the running `localfn serve` is doing: each function's requests and p50/p99 latency, each engine
    (its models, calls, GPU or CPU), route-query's routing counts. Counts are since the server started.

    With --cluster, the Helm release on Kubernetes (kubectl's --context, -n, --kubeconfig; get and list
    rights, and get on pods/proxy): each function's ready and desired replicas, its requests and latency
    summed over its ready pods (since each started), each Ollama pool's pods and their loaded models
    (GPU or CPU), and route-query's routing counts from one of its pods.
    """
    try:
        with _reader(url, cluster, context, namespace, kubeconfig, release) as read:
            _show(read, _cluster_tables if cluster else _serve_tables, watch, interval, as_json)
    except StatusError as exc:
        raise click.ClickException(str(exc)) from exc
