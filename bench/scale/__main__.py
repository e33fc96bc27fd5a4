"""Simulates a day for each policy and records bench/scale/results/scale.json and scale.svg.

Virtual time: the real asyncio code (``EnginePool``, ``PodPool``, the balancer) runs on
``bench.scale.clock.VirtualLoop``, so a day takes about a second per policy.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shlex
import sys
from pathlib import Path

from bench.machine import machine
from bench.perf.record import Check, Result, print_table, write
from bench.scale import clock, parameters
from bench.scale.plot import svg
from bench.scale.simulate import policies, simulate
from bench.scale.traffic import arrivals

RESULTS = Path(__file__).parent / "results"


def run(*, seed: int, peak: int) -> tuple[Result, str]:
    times = arrivals(parameters.TRAFFIC, random.Random(seed))
    outcomes = [clock.run(simulate(policy, times, parameters.BADGE, seed=seed)) for policy in policies(peak)]
    summaries = {o.policy: o.summary() for o in outcomes}
    keda_cpu = outcomes[2]
    checks = [Check.at_most(f"{keda_cpu.policy}: requests answered 503", keda_cpu.refused, 0, unit="requests")]
    for o in outcomes:
        s = summaries[o.policy]
        checks += [Check.info(f"{o.policy}: p95", float(s["p95_s"]), "s"), Check.info(f"{o.policy}: GPU-hours", float(s["gpu_hours"]), "h")]
    result = Result(
        "scale",
        parameters={
            "seed": seed,
            "requests": len(times),
            "badge_tokens": dataclasses.asdict(parameters.BADGE),
            "gpu": dataclasses.asdict(parameters.GPU),
            "cpu": dataclasses.asdict(parameters.CPU),
            "autoscaling": dataclasses.asdict(parameters.KEDA),
            "traffic": dataclasses.asdict(parameters.TRAFFIC),
        },
        raw={"policies": summaries},
        checks=checks,
        notes=["virtual time: bench.scale.clock.VirtualLoop; sources of every figure: bench/scale/parameters.py"],
    )
    return result, svg(outcomes, burst_at_s=parameters.TRAFFIC.burst_at_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="seeds the arrivals and the balancer's draws (default 1)")
    parser.add_argument("--peak", type=int, default=4, help="GPU pods of the fixed-peak policy and KEDA's maxReplicas (default 4)")
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/scale/results/ alone")
    args = parser.parse_args(argv)
    result, picture = run(seed=args.seed, peak=args.peak)
    if not args.no_record:
        command = shlex.join(["python", "-m", "bench.scale", *(sys.argv[1:] if argv is None else argv)])
        print(f"recorded {write(result, command=command, machine=machine(), directory=RESULTS)}")
        (RESULTS / "scale.svg").write_text(picture, encoding="utf-8")
    for policy, summary in result.raw["policies"].items():
        print(f"{policy}: {summary}")
    print_table([result])
    return 0


if __name__ == "__main__":
    sys.exit(main())
