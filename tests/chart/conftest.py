"""Fixtures of the chart tests: a real helm binary, the chart rendered per scenario.

The scenarios are the chart's own ci/*-values.yaml files. helm comes from PATH or
.venv/bin (scripts/install-k8s-tools.sh puts it there); without it, the tests that
need it skip and say how to get it.
"""

from __future__ import annotations

import pytest

from tests.chart import objects, rendering

SCENARIOS = rendering.scenarios()


@pytest.fixture(scope="session")
def helm() -> str:
    path = rendering.find_helm()
    if path is None:
        pytest.skip("helm not found on PATH or in .venv/bin: run scripts/install-k8s-tools.sh")
    return path


@pytest.fixture(params=SCENARIOS)
def scenario(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def docs(helm: str, scenario: str) -> list[objects.Doc]:
    """The chart rendered with one ci/<scenario>-values.yaml."""
    return rendering.render_scenario(scenario)


@pytest.fixture
def default_docs(helm: str) -> list[objects.Doc]:
    return rendering.render_scenario("default")
