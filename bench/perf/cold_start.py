"""Cold start: process start to the first 200 from GET /health/ready, each function against a bare function.

The bare function (bench/perf/hello) imports nothing but functions-framework, so the ratio
is what localfn adds to the framework's own start. Starts alternate between the bare
function and each localfn function, so drifting machine load hits both alike. Every
function points at a SlotPeer, because readiness asks the engine whether it has the model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.perf.harness import FUNCTIONS, REPO, engine_env, function, median, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result

NAME = "cold_start"
HELLO = REPO / "bench" / "perf" / "hello" / "main.py"
TARGET_RATIO = 1.3


def start_seconds(name: str, env: dict[str, str], source: Path | None = None) -> float:
    with function(name, env, source=source) as started:
        return started.ready_s


def run(options: Options) -> Result:
    repeats = options.repeats
    starts: dict[str, list[float]] = {"bare": [], **{name: [] for name in FUNCTIONS}}
    with slot_peer(slots=4, latency_ms=0) as peer, tempfile.TemporaryDirectory() as home:
        # generate-badge keeps its history in SQLite: a fresh file, not the user's.
        env = {**engine_env(peer, history_path=Path(home) / "history.sqlite3")}
        for _ in range(repeats):
            for name in FUNCTIONS:
                starts["bare"].append(start_seconds("hello", {}, HELLO))
                starts[name].append(start_seconds(name, env))
    bare = median(starts["bare"])
    checks = [Check.at_most(f"{name} / bare", median(starts[name]) / bare, TARGET_RATIO) for name in FUNCTIONS]
    return Result(
        benchmark=NAME,
        parameters={"repeats": repeats, "health_route": "/health/ready", "engine": "SlotPeer, 0 ms"},
        raw={"median_s": {name: round(median(values), 4) for name, values in starts.items()},
             "starts_s": {name: [round(v, 4) for v in values] for name, values in starts.items()}},
        checks=checks,
    )
