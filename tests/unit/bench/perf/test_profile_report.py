"""bench.perf.profile: profiled functions summed by the package they belong to."""

from __future__ import annotations

import cProfile
import json
import pstats

from bench.perf.profile import by_package, own_functions, package


def test_package_names_installed_packages_the_standard_library_and_builtins() -> None:
    site = "/srv/venv/lib/python3.11/site-packages"
    assert package(f"{site}/httpx/_client.py", "send") == "httpx"
    assert package(f"{site}/sniffio/_impl.py", "current_async_library") == "sniffio"
    assert package(f"{site}/typing_extensions.py", "get_origin") == "typing_extensions"
    assert package("/usr/lib/python3.11/asyncio/runners.py", "run") == "std:asyncio"
    assert package("/usr/lib/python3.12/contextlib.py", "__enter__") == "std:contextlib"
    assert package("~", "<built-in method builtins.len>") == "builtin <built-in method builtins.len>"
    assert package("<frozen posixpath>", "basename") == "<frozen posixpath>"


def test_by_package_is_microseconds_per_request() -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        json.loads(json.dumps({"n": list(range(100))}))
    profiler.disable()
    stats = pstats.Stats(profiler)
    per_request = by_package(stats, requests=50)
    total_s = sum(tottime for _, _, tottime, _, _ in stats.stats.values())
    assert per_request["std:json"] > 0
    assert abs(sum(per_request.values()) - total_s * 1e6 / 50) < 1e-6
    assert own_functions(stats, requests=50) == []  # nothing of localfn ran
