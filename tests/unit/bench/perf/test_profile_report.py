"""bench.perf.profile: profiled functions summed by the package they belong to."""

from __future__ import annotations

import cProfile
import json
import pstats

from bench.perf.profile import by_package, own_functions, package, per_request


def test_package_names_installed_packages_the_standard_library_and_builtins() -> None:
    site = "/srv/venv/lib/python3.11/site-packages"
    assert package(f"{site}/httpx/_client.py", "send") == "httpx"
    assert package(f"{site}/sniffio/_impl.py", "current_async_library") == "sniffio"
    assert package(f"{site}/typing_extensions.py", "get_origin") == "typing_extensions"
    assert package("/usr/lib/python3.11/asyncio/runners.py", "run") == "std:asyncio"
    assert package("/usr/lib/python3.12/contextlib.py", "__enter__") == "std:contextlib"
    assert package("~", "<built-in method builtins.len>") == "builtin <built-in method builtins.len>"
    assert package("<frozen posixpath>", "basename") == "<frozen posixpath>"


def start_up() -> None:
    """Called once per run, as a function's start-up is."""


def profiled(rounds: int) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    start_up()
    for _ in range(rounds):
        json.loads(json.dumps({"n": list(range(100))}))
    profiler.disable()
    return pstats.Stats(profiler)


def test_per_request_is_the_long_run_less_the_short_one() -> None:
    short, long = profiled(10), profiled(60)
    costs = per_request(long, short, requests=50)
    dumps = next(key for key in long.stats if key[2] == "dumps" and key[0].endswith("json/__init__.py"))
    assert costs[dumps][0] == 1  # 60 calls less 10, over 50 requests
    expected_us = (long.stats[dumps][2] - short.stats[dumps][2]) * 1e6 / 50
    assert abs(costs[dumps][1] - expected_us) < 1e-9
    assert not any(key[2] == "start_up" for key in costs)  # called as often in both runs: no work per request
    per_package = by_package(costs)
    assert per_package["std:json"] > 0
    assert abs(sum(per_package.values()) - sum(us for _, us in costs.values())) < 1e-6
    assert own_functions(costs) == []  # nothing of localfn ran
