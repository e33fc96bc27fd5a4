"""Runs the named benchmarks (default: all), prints their checks and records each in bench/results/."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from types import ModuleType

from bench.machine import machine
from bench.perf import balance, burst, cache, cold_start, embedded, memory, overhead, saturation, signing, state
from bench.perf.options import Options
from bench.perf.record import Result, print_table, write

BENCHMARKS: dict[str, ModuleType] = {
    m.NAME: m for m in (cold_start, overhead, saturation, cache, burst, embedded, memory, state, balance, signing)
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--repeats", type=int, default=Options.repeats, help="cold starts per function, embedded runs (default 10)")
    parser.add_argument("--scale", type=float, default=Options.scale, help="multiplies request counts; 0.1 for a quick look (default 1)")
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/results/ alone")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    options = Options(repeats=args.repeats, scale=args.scale)
    command = shlex.join(["python", "-m", "bench.perf", *(sys.argv[1:] if argv is None else argv)])
    results: list[Result] = []
    for name in args.names or list(BENCHMARKS):
        at_start = machine()  # the load average as this benchmark starts
        run: Callable[[Options], Result] = BENCHMARKS[name].run
        print(f"running {name} (load average {at_start['load_average']})", flush=True)
        result = run(options)
        results.append(result)
        if not args.no_record:
            print(f"  recorded {write(result, command=command, machine=at_start)}", flush=True)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
