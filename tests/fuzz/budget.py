"""How much the fuzz tests try: bounded, reproducible, the same for every fuzz test."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["FUZZ", "MAX_EXAMPLES", "REQUEST_TIMEOUT_S"]

# Examples per fuzz test (and per function and mode for the OpenAPI one); raise it for a deeper run.
MAX_EXAMPLES = int(os.environ.get("LOCALFN_FUZZ_MAX_EXAMPLES", "25"))
# Generous: a slow answer is not what these tests judge (bench/ measures speed), and a badge
# may take several engine calls of up to LOCALFN_REQUEST_TIMEOUT_S (120 s) each on a loaded machine.
REQUEST_TIMEOUT_S = 600

# derandomize: CI tries the same inputs every run; no database, so nothing is written to the tree.
# too_slow: every example is a real HTTP request, often a model call.
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
