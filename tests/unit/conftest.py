"""Shared fixtures for the unit tests: an injected clock, never the wall clock."""

from __future__ import annotations

import tempfile

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

_hypothesis_home: tempfile.TemporaryDirectory[str] | None = None


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis caches what it learns under ./.hypothesis, starting at collection time;
    # keep that in a temporary directory so a test run writes nothing into the repository.
    global _hypothesis_home
    _hypothesis_home = tempfile.TemporaryDirectory(prefix="localfn-hypothesis-")
    set_hypothesis_home_dir(_hypothesis_home.name)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _hypothesis_home is not None:
        _hypothesis_home.cleanup()


class FakeClock:
    """A monotonic clock the test moves by hand; pass it as ``clock=``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
