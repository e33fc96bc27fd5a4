"""KEDA with the HPA under it, as the chart configures them, on metrics scraped like Prometheus would.

Every ``scrape_s`` the scraper copies the gauges' values from the function's real ``Metrics``
registry (``localfn_engine_demand``, ``localfn_engine_in_flight``); every ``polling_s`` the
autoscaler reads the last scrape and sets the StatefulSet's replicas:

* at 0 pods, a value above ``activation`` scales to 1 (KEDA activates); at 1 pod with
  ``min_replicas`` 0, a value at or below it for ``cooldown_s`` scales to 0;
* between 1 and N the HPA (AverageValue target): desired = ceil(value / target), unchanged
  within ``tolerance`` of the current ratio; up at once, by at most max(double, +4) a sync
  (the HPA's default scale-up policy); down only to the highest desired count of the last
  ``stabilization_s``, one pod a minute.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass

from bench.scale.cluster import StatefulSet
from bench.scale.parameters import Autoscaling
from localfn.metrics import Metrics

__all__ = ["Scaler", "Scraper"]


class Scraper:
    """The last values Prometheus scraped of one series per (metric, backend)."""

    def __init__(self, metrics: Metrics, period_s: float) -> None:
        self._metrics = metrics
        self._period_s = period_s
        self.values: dict[tuple[str, str], float] = {}

    def get(self, metric: str, backend: str) -> float:
        return self.values.get((metric, backend), 0.0)

    async def run(self) -> None:
        while True:
            for metric in self._metrics.registry.collect():
                if metric.name in ("localfn_engine_demand", "localfn_engine_in_flight"):
                    for sample in metric.samples:
                        self.values[(metric.name, sample.labels["backend"])] = sample.value
            await asyncio.sleep(self._period_s)


@dataclass
class Scaler:
    pods: StatefulSet
    scraper: Scraper
    metric: str  # localfn_engine_demand, or localfn_engine_in_flight for the CPU pool behind the GPU pool
    min_replicas: int
    max_replicas: int
    target: float  # per pod: the pool's numParallel
    config: Autoscaling

    def __post_init__(self) -> None:
        self._history: deque[tuple[float, int]] = deque()
        self._last_active = -math.inf
        self._last_down = -math.inf

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.pods.scale(self.min_replicas, now=loop.time(), ready_at_once=True)
        while True:
            await asyncio.sleep(self.config.polling_s)
            now = loop.time()
            self.pods.scale(self.decide(self.scraper.get(self.metric, self.pods.name), now), now=now)

    def decide(self, value: float, now: float) -> int:
        """The replica count for the scraped ``value`` at ``now``."""
        current = self.pods.replicas
        if value > self.config.activation:
            self._last_active = now
        if current == 0:
            return 1 if value > self.config.activation else 0
        if self.min_replicas == 0 and now - self._last_active >= self.config.cooldown_s:
            return 0
        desired = math.ceil(value / self.target)
        if abs(value / (self.target * current) - 1) <= self.config.tolerance:
            desired = current
        desired = min(max(desired, 1, self.min_replicas), self.max_replicas)
        self._history.append((now, desired))
        while self._history[0][0] < now - self.config.stabilization_s:
            self._history.popleft()
        if desired > current:
            return min(desired, max(2 * current, current + 4))
        stable = max(count for _, count in self._history)
        if stable < current and now - self._last_down >= 60.0:
            self._last_down = now
            return max(stable, current - self.config.down_pods_per_min)
        return current
