"""summarize's chunk bound (LOCALFN_SUMMARIZE__PARALLEL_CHUNKS) holds per request, not per process.

A process-wide bound would cap every summarize request together at that many engine calls,
leaving the rest of the engine's parallel slots idle under load.
"""

from __future__ import annotations

import asyncio
import contextlib

from localfn.functions.summarize.capability import Summarize
from localfn.runtime import Runtime
from localfn.settings import Settings
from tests.support.scripted_engine import ScriptedEngine

REQUESTS = 3
# A step that never comes: the test fails rather than hangs when the calls cannot overlap.
STUCK_S = 10


class OverlapEngine(ScriptedEngine):
    """Holds every call until REQUESTS calls are in flight at once, and remembers the most it saw."""

    def __init__(self) -> None:
        super().__init__("overlap", ["A short summary."] * REQUESTS)
        self.in_flight = 0
        self.most_in_flight = 0
        self._all_in = asyncio.Event()

    async def chat(self, request):  # type: ignore[no-untyped-def]
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight == REQUESTS:
            self._all_in.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_in.wait(), STUCK_S)
        self.in_flight -= 1
        return await super().chat(request)


async def test_concurrent_requests_each_get_their_own_chunk_bound() -> None:
    engine = OverlapEngine()
    runtime = Runtime(Settings(summarize={"parallel_chunks": 1}, cache_ttl_s=0), engines=[engine])
    capability = Summarize(runtime)
    request = Summarize.request_model.model_validate({"mode": "context", "context": "word " * 200, "max_summary_tokens": 16})
    try:
        await asyncio.gather(*(capability.run(request) for _ in range(REQUESTS)))
    finally:
        await runtime.aclose()
    assert engine.most_in_flight == REQUESTS
