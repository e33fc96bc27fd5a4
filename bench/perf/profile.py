"""Where the overhead benchmark's two ways spend their time: cProfile of each over the same requests.

    .venv/bin/python -m bench.perf.profile [--requests 2000] [--latency-ms 2]

Each way of ``bench.perf.overhead`` (the bare forwarder, and summarize with the cache off)
runs under cProfile (``harness.function(profile=...)``) against its own SlotPeer, twice: once
for ``SHORT`` requests and once for ``SHORT`` + ``--requests``, one after another, with the
same bodies the benchmark sends. The first run's figures taken from the second's leave what
the extra requests cost: start-up, imports and the first connections cancel. Written to
bench/results/overhead.profile.txt: per request, the microseconds of each package's own code
(cProfile's tottime) side by side, then localfn's costliest functions. cProfile charges every
call, so code of many small calls looks several times slower than it runs: compare the two
columns with each other, not with the benchmark's milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import pstats
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.perf.harness import REPO, client, slot_peer
from bench.perf.overhead import BODIES, WAYS, timed, way_function
from bench.perf.record import commit

OUTPUT = REPO / "bench" / "results" / "overhead.profile.txt"
PACKAGES = 30  # rows of the by-package table
OWN = 30  # rows of localfn's own functions
SHORT = 500  # requests of the run whose figures are taken away

Costs = dict[tuple[str, int, str], tuple[float, float]]  # (file, line, function) -> calls, µs of own time per request
_SITE = re.compile(r"site-packages/([^/]+)")
_STDLIB = re.compile(r"python3\.\d+/([^/]+?)(?:\.py)?(?:/|$)")


def package(filename: str, function: str) -> str:
    """What a profiled function belongs to: its installed package, ``std:<module>``, or the built-in's name."""
    if filename == "~":
        return f"builtin {function}"
    found = _SITE.search(filename)
    if found:
        return found.group(1).removesuffix(".py")
    found = _STDLIB.search(filename)
    return f"std:{found.group(1)}" if found else filename.rsplit("/", 1)[-1]


def per_request(long: pstats.Stats, short: pstats.Stats, requests: int) -> Costs:
    """Each function's calls and microseconds of own time per request: ``long``'s less ``short``'s,
    over the ``requests`` more that ``long`` answered.

    A function not called in those requests did no work in them and is left out: cProfile
    charges time to the forwarder's one anyio ``connect_tcp`` for as long as the run lasts
    (about 250 µs a request), its frame left on the profiler's stack.
    """
    costs: Costs = {}
    for key, (_, calls, tottime, _, _) in long.stats.items():
        _, calls_before, tottime_before, _, _ = short.stats.get(key, (0, 0, 0.0, 0.0, {}))
        if calls > calls_before:
            costs[key] = ((calls - calls_before) / requests, (tottime - tottime_before) * 1e6 / requests)
    return costs


def by_package(costs: Costs) -> Counter[str]:
    """Microseconds of own time per request, summed by ``package``."""
    totals: Counter[str] = Counter()
    for (filename, _, name), (_, microseconds) in costs.items():
        totals[package(filename, name)] += microseconds
    return totals


def own_functions(costs: Costs) -> list[tuple[float, float, str]]:
    """localfn's functions: (µs of own time per request, calls per request, where), costliest first."""
    rows = [
        (microseconds, calls, f"{filename.split('site-packages/')[-1]}:{line} {name}")
        for (filename, line, name), (calls, microseconds) in costs.items()
        if "/localfn/" in filename
    ]
    return sorted(rows, reverse=True)


async def _drive(url: str, bodies: list[Any]) -> None:
    async with client(1) as http:
        for body in bodies:
            await timed(http, url, body)


def profile(way: str, requests: int, latency_ms: float, output: Path) -> pstats.Stats:
    """``requests`` sequential requests through ``way``, from a fresh start, under cProfile."""
    with slot_peer(slots=4, latency_ms=latency_ms) as peer, way_function(way, peer, profile=output) as running:
        asyncio.run(_drive(running.url, [BODIES[way](n) for n in range(requests)]))
    return pstats.Stats(str(output))


def report(costs: dict[str, Costs], requests: int, latency_ms: float) -> str:
    packages = {way: by_package(costs[way]) for way in WAYS}
    names = sorted(set().union(*packages.values()), key=lambda name: -max(packages[way][name] for way in WAYS))
    lines = [
        f"# cProfile of bench.perf.overhead's two ways: {SHORT} + {requests} sequential requests, less {SHORT}; engine",
        f"# latency {latency_ms} ms; commit {commit()} (python -m bench.perf.profile). Microseconds of each package's",
        "# own code per request. The event loop's idle wait for the engine is charged to asyncio's run(), called once,",
        "# and so left out; logging is the debug server's line per request, which both pay and gunicorn in the image does not.",
        "",
        f"{'package':48} {WAYS[0]:>10} {WAYS[1]:>10}",
        *(f"{name[:48]:48} {packages[WAYS[0]][name]:10.1f} {packages[WAYS[1]][name]:10.1f}" for name in names[:PACKAGES]),
        f"{'all':48} " + " ".join(f"{sum(packages[way].values()):10.1f}" for way in WAYS),
        "",
        "# localfn's own functions: µs of own time per request, calls per request",
        *(f"{us:8.1f} {calls:6.1f}  {where}" for us, calls, where in own_functions(costs["localfn"])[:OWN]),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.perf.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="sequential requests per way (default 2000)")
    parser.add_argument("--latency-ms", type=float, default=2.0, help="the engine's time per answer (default 2)")
    args = parser.parse_args(argv)
    costs = {}
    with tempfile.TemporaryDirectory() as folder:
        for way in WAYS:
            short = profile(way, SHORT, args.latency_ms, Path(folder) / f"{way}.short.prof")
            long = profile(way, SHORT + args.requests, args.latency_ms, Path(folder) / f"{way}.prof")
            costs[way] = per_request(long, short, args.requests)
    text = report(costs, args.requests, args.latency_ms)
    OUTPUT.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
