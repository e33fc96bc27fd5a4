"""Shed work, not waiters: a burst of repeated inputs against `localfn serve` at its default limits.

Only requests that compute an answer hold a slot of LOCALFN_MAX_IN_FLIGHT; cache hits and
requests waiting on an identical request's flight are bounded by LOCALFN_MAX_REQUESTS alone.
The engine is a SlotPeer slow enough (0.5 s) that every client's request arrives while the
first flights are still running.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.load.harness import Clients, localfn_serve, slot_peer
from tests.load.test_load import assert_summary, request
from tests.support.http_checks import Scrape, assert_problem
from tests.support.slot_peer import PeerStats

BURST = 300
BURST_CLIENTS = 100  # above the default LOCALFN_MAX_IN_FLIGHT (64)
DISTINCT = 5
MAX_REQUESTS = 20  # for the run that must shed waiters
IDENTICAL = 100


@dataclass(frozen=True)
class Burst:
    answers: list[httpx.Response]
    peer: PeerStats
    scrape: Scrape


async def burst(tmp_path: Path, bodies: list[dict[str, object]], clients: int, **settings: object) -> Burst:
    with slot_peer(slots=DISTINCT, latency_s=0.5) as (peer, peer_url), localfn_serve(peer_url, tmp_path, **settings) as serve:
        async with Clients(clients) as http:
            await http.connect(serve.url)
            answers = await http.post_all(f"{serve.url}/summarize", bodies)
        return Burst(answers, replace(peer.stats), serve.scrape())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def repeated(tmp_path_factory: pytest.TempPathFactory) -> Burst:
    order = [index % DISTINCT for index in range(BURST)]
    random.Random(0).shuffle(order)
    return await burst(tmp_path_factory.mktemp("repeated"), [request(index) for index in order], BURST_CLIENTS)


def test_a_burst_of_repeated_inputs_is_answered_in_full(repeated: Burst) -> None:
    refused = [answer for answer in repeated.answers if answer.status_code != 200]
    assert not refused, f"{len(refused)} of {BURST} refused, the first: {refused[0].text}"
    for answer in repeated.answers:
        assert_summary(answer)


def test_a_burst_of_repeated_inputs_makes_one_engine_call_per_input(repeated: Burst) -> None:
    assert repeated.peer.calls == DISTINCT
    reused = sum(repeated.scrape.value("localfn_reused_total", function="summarize", kind=kind) for kind in ("hit", "coalesced"))
    assert reused == BURST - DISTINCT


async def test_waiters_past_the_request_bound_are_refused_with_retry_after(tmp_path: Path) -> None:
    result = await burst(tmp_path, [request(0)] * IDENTICAL, IDENTICAL, max_requests=MAX_REQUESTS, retry_after_s=9)
    served = [answer for answer in result.answers if answer.status_code == 200]
    refused = [answer for answer in result.answers if answer.status_code != 200]
    assert served and refused, (len(served), len(refused))
    for answer in served:
        assert_summary(answer)
    for answer in refused:
        assert_problem(answer, 503, "overloaded")
        assert answer.headers["retry-after"] == "9"
        assert "LOCALFN_MAX_REQUESTS" in answer.json()["detail"]
    assert result.peer.calls == 1
    assert result.scrape.value("localfn_in_flight", function="summarize") == 0
