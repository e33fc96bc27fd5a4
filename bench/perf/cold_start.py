"""Cold start: process start to the first 200 from GET /health/ready, each function against two references.

The bare function (bench/perf/hello/main.py) imports nothing but functions-framework, so
``<function> / bare`` is what localfn adds to the framework's own start. The library floor
(bench/perf/hello/libraries.py) also imports the libraries every localfn function loads
before it answers (pydantic, pydantic-settings, httpx, httpcore, prometheus-client), so
``<function> / library floor`` is what localfn's own code adds beyond them, and ``library
floor / bare`` what the libraries cost (reported, not checked). Both function ratios are
checked (issue #12): at most 1.3 x the library floor and at most 2.0 x the bare function.
Starts alternate between the references and each localfn function, so drifting machine load
hits all alike. Every function points at a SlotPeer, because readiness asks the engine
whether it has the model. All run from the runtime venv (``runtime_env``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.perf.harness import FUNCTIONS, REPO, engine_env, function, median, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result

NAME = "cold_start"
HELLO = REPO / "bench" / "perf" / "hello"
# The references: a name in the results -> (target, source).
REFERENCES = {"bare": ("hello", HELLO / "main.py"), "library floor": ("libraries", HELLO / "libraries.py")}
# The checks: a name in the results -> the most a function may take, as a multiple of it.
TARGETS = {"library floor": 1.3, "bare": 2.0}


def start_seconds(name: str, env: dict[str, str], source: Path | None = None) -> float:
    with function(name, env, source=source) as started:
        return started.ready_s


def measure(repeats: int) -> dict[str, list[float]]:
    """Each function's starts, and the references' started right before each of them."""
    starts: dict[str, list[float]] = {name: [] for name in (*REFERENCES, *FUNCTIONS)}
    with slot_peer(slots=4, latency_ms=0) as peer, tempfile.TemporaryDirectory() as home:
        # generate-badge keeps its history in SQLite: a fresh file, not the user's.
        env = {**engine_env(peer, generate_badge__history_path=Path(home) / "history.sqlite3")}
        for _ in range(repeats):
            for name in FUNCTIONS:
                for reference, (target, source) in REFERENCES.items():
                    starts[reference].append(start_seconds(target, {}, source))
                starts[name].append(start_seconds(name, env))
    return starts


def checks(medians: dict[str, float]) -> list[Check]:
    found = [
        Check.at_most(f"{name} / {reference}", medians[name] / medians[reference], limit)
        for reference, limit in TARGETS.items()
        for name in FUNCTIONS
    ]
    return [*found, Check.info("library floor / bare", medians["library floor"] / medians["bare"], "x")]


def run(options: Options) -> Result:
    starts = measure(options.repeats)
    medians = {name: median(values) for name, values in starts.items()}
    return Result(
        benchmark=NAME,
        parameters={
            "repeats": options.repeats,
            "health_route": "/health/ready",
            "engine": "SlotPeer, 0 ms",
            "venv": "runtime: localfn without extras, as in the image",
        },
        raw={
            "median_s": {name: round(value, 4) for name, value in medians.items()},
            "starts_s": {name: [round(v, 4) for v in values] for name, values in starts.items()},
        },
        checks=checks(medians),
    )
