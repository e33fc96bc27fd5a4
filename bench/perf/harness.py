"""What every benchmark shares: starting and stopping the processes measured, driving load, percentiles.

Everything measured runs as its own process, the way it runs in production: the engine
stand-in (``tests.support.slot_peer``, a fake of Ollama with fixed slots and latency), each
function under ``functions-framework --asgi`` (as the Dockerfile starts it, from a venv
installed as the image's is: ``runtime_env``), and llama-server.
The load comes from this process, so its CPU is never the measured process's.
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.perf.runtime_env import runtime_venv
from localfn.functions import FUNCTIONS as REGISTRY

__all__ = [
    "FUNCTIONS",
    "REPO",
    "Function",
    "Load",
    "client",
    "drive",
    "engine_env",
    "free_port",
    "function",
    "median",
    "peer_stats",
    "percentile",
    "slot_peer",
]

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = tuple(function.package for function in REGISTRY.values())  # their targets
READY_TIMEOUT_S = 120.0
POLL_S = 0.005


@dataclass
class Function:
    """A function process started by ``function()``: its URL, how long it took to answer ready, its memory."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    ready_s: float

    def worker_rss_bytes(self) -> int:
        """Resident memory of the process that serves requests (gunicorn's worker under functions-framework)."""
        master = psutil.Process(self.process.pid)
        workers = master.children()
        return (workers[0] if workers else master).memory_info().rss

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the function's processes have used so far: gunicorn's master and its worker."""
        master = psutil.Process(self.process.pid)
        return sum(sum(p.cpu_times()[:2]) for p in (master, *master.children()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    process.send_signal(how)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def slot_peer(*, slots: int, latency_ms: float, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """A SlotPeer (fake Ollama: ``slots`` parallel slots, ``latency_ms`` per answer) in its own process; yields its URL.

    ``host`` and ``port`` put several on one port at 127.0.0.2, .3, ...: pods behind one Service.
    """
    command = [
        sys.executable,
        "-m",
        "tests.support.slot_peer",
        "--slots",
        str(slots),
        "--latency-ms",
        str(latency_ms),
        "--host",
        host,
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().decode().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"slot_peer did not print its URL (exit code {process.poll()})")
        _wait_ok(f"{url}/api/version", process, time.perf_counter())
        yield url
    finally:
        _stop(process)


def peer_stats(url: str) -> dict[str, Any]:
    """The SlotPeer's counters: calls served, most calls in flight at once."""
    return dict(httpx.get(f"{url}/_peer/stats").json())


def engine_env(peer_url: str, **settings: object) -> dict[str, str]:
    """LOCALFN_* variables pointing a function at one SlotPeer, plus any other settings (``cache_ttl_s=0``)."""
    engines = [{"name": "peer", "kind": "ollama", "url": peer_url, "model": "bench:latest"}]
    env = {"LOCALFN_ENGINES": json.dumps(engines)}
    env.update({f"LOCALFN_{key.upper()}": str(value) for key, value in settings.items()})
    return env


@contextmanager
def function(name: str, env: Mapping[str, str], *, source: Path | None = None, profile: Path | None = None) -> Iterator[Function]:
    """Start one function as the Dockerfile does and wait until GET /health/ready answers 200.

    It runs from the runtime venv (``runtime_env``: localfn installed without extras, as in
    the image), not the dev venv, whose test and CLI packages change what a function loads.
    ``name`` is the function's target (``summarize``); ``source`` defaults to its main.py.
    The environment is this process's without PYTHONPATH or any LOCALFN_* variable, plus ``env``.
    With ``profile``, it runs under cProfile, which writes there when the function stops, in
    functions-framework's ``--debug`` server (uvicorn in the one process: gunicorn's worker
    would be a child that cProfile does not follow).
    """
    port = free_port()
    source = source or REPO / "functions" / name / "main.py"
    runtime = _runtime_bin()
    launcher = [str(runtime / "python"), "-m", "cProfile", "-o", str(profile), "-m", "functions_framework", "--debug"]
    command = [
        *(launcher if profile else [str(runtime / "functions-framework")]),
        "--asgi",
        "--target",
        name,
        "--source",
        str(source),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    # No PYTHONPATH either: pointing at shared/ it would load the repo's localfn, not the installed one.
    clean = {key: value for key, value in os.environ.items() if not key.startswith("LOCALFN_") and key != "PYTHONPATH"}
    # As in the Dockerfile: one worker, no bytecode writes (the image's files are read-only).
    environment = {**clean, "WORKERS": "1", "PYTHONDONTWRITEBYTECODE": "1", **env}
    # The cwd is outside the repo, which the image does not have, so nothing finds it by accident.
    # (It is not on sys.path either way: functions-framework loads --source by path, and its
    # gunicorn does not add the cwd; checked with a probe function.)
    started = time.perf_counter()
    # Profiled, the debug server logs every request: kept off the runner's output.
    quiet = subprocess.DEVNULL if profile else None
    process = subprocess.Popen(command, cwd=runtime.parent, env=environment, stdout=quiet, stderr=quiet)
    try:
        url = f"http://127.0.0.1:{port}"
        ready_s = _wait_ok(f"{url}/health/ready", process, started)
        yield Function(name, url, process, ready_s)
    finally:
        # The debug server ends its loop on SIGINT, and cProfile then writes; on SIGTERM it wrote nothing.
        _stop(process, signal.SIGINT if profile else signal.SIGTERM)


@functools.cache
def _runtime_bin() -> Path:
    """The runtime venv's bin/, checked (and built if stale) once per run, so a run measures one build."""
    return runtime_venv() / "bin"


def _wait_ok(url: str, process: subprocess.Popen[bytes], started: float) -> float:
    """Seconds from ``started`` until ``url`` first answers 200; polls every 5 ms."""
    target = httpx.URL(url)
    while time.perf_counter() - started < READY_TIMEOUT_S:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode} before answering")
        connection = http.client.HTTPConnection(target.host, target.port, timeout=5)
        try:
            connection.request("GET", target.raw_path.decode())
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(POLL_S)
    raise RuntimeError(f"{url} did not answer 200 within {READY_TIMEOUT_S} s")


@dataclass
class Load:
    """What ``drive`` measured: each request's latency, status and body (in the order answered), and the wall time of the whole run."""

    latencies_s: list[float]
    elapsed_s: float
    statuses: list[int] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return len(self.latencies_s) / self.elapsed_s


async def drive(
    client: httpx.AsyncClient,
    url: str,
    bodies: Iterable[Any],
    *,
    concurrency: int,
    stagger_s: float = 0,
    refusals: bool = False,
) -> Load:
    """POST each body to ``url`` with ``concurrency`` requests in flight; every answer must be 2xx.

    With ``stagger_s`` the clients start evenly spread over that many seconds: against a fixed
    engine latency they then arrive as a steady stream instead of all at once every round.
    With ``refusals``, a 503 (the function shedding load) is recorded in ``statuses`` too.
    """
    queue = iter(bodies)
    latencies: list[float] = []
    statuses: list[int] = []
    answered: list[Any] = []

    async def worker(index: int) -> None:
        await asyncio.sleep(stagger_s * index / concurrency)
        for body in queue:
            sent = time.perf_counter()
            response = await client.post(url, json=body)
            latencies.append(time.perf_counter() - sent)
            statuses.append(response.status_code)
            answered.append(body)
            if not (response.is_success or (refusals and response.status_code == 503)):
                raise RuntimeError(f"POST {url} answered {response.status_code}: {response.text[:500]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(index) for index in range(concurrency)))
    return Load(latencies, time.perf_counter() - started, statuses, answered)


def client(concurrency: int) -> httpx.AsyncClient:
    """An HTTP client that keeps ``concurrency`` connections open, so no request waits on a connect."""
    # Idle connections go after 1 s: functions-framework's gunicorn closes them after 2 s.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=1.0)
    return httpx.AsyncClient(limits=limits, timeout=120)


def median(values: Iterable[float]) -> float:
    return statistics.median(values)


def percentile(values: Iterable[float], p: int) -> float:
    """The p-th percentile (1..99), interpolated between the nearest measurements."""
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]
