"""The knobs every benchmark reads, set from the runner's command line."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Options"]


@dataclass(frozen=True)
class Options:
    repeats: int = 10  # cold starts per function; runs of the embedded-engine comparison
    scale: float = 1.0  # multiplies request counts: 0.1 for a quick look while developing

    def count(self, full: int, *, least: int = 1) -> int:
        """A request count scaled down for quick runs, never below ``least``."""
        return max(least, round(full * self.scale))
