"""When requests arrive: Poisson arrivals at each hour's rate, and a burst spread evenly over its span."""

from __future__ import annotations

import random

from bench.scale.parameters import Traffic

__all__ = ["arrivals"]


def arrivals(traffic: Traffic, rng: random.Random) -> list[float]:
    """Sorted arrival times in seconds from midnight."""
    times: list[float] = []
    for hour, count in enumerate(traffic.per_hour):
        at = hour * 3600.0
        while count and (at := at + rng.expovariate(count / 3600.0)) < (hour + 1) * 3600.0:
            times.append(at)
    step = traffic.burst_over_s / traffic.burst_requests
    times += [traffic.burst_at_s + i * step for i in range(traffic.burst_requests)]
    return sorted(times)
