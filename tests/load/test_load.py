"""1,000 requests from 200 concurrent clients against `localfn serve`, below and past its in-flight limit.

The engine is a SlotPeer (a fake Ollama with fixed slots and latency) with more slots than
the limit under test, so whatever bounds the calls reaching it is localfn, not the peer.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from localfn.functions.summarize.models import SummarizeRequest
from tests.load.harness import CLIENTS, Clients, ServeProcess, deep_size, localfn_serve, slot_peer
from tests.support.http_checks import PROBLEM, Scrape, assert_problem
from tests.support.slot_peer import MODEL, REPLY, PeerStats

TEXT = (Path(__file__).parents[1] / "fixtures" / "photosynthesis.txt").read_text()
WARM_UP = 100
REQUESTS = 1000
BUDGET = 40
# Fewer than the run's distinct inputs, so the result cache must evict while it is measured.
CACHE_MAX_ENTRIES = 500
RETRY_AFTER_S = 7
LIMIT_BELOW = CLIENTS + 56  # never reached by 200 clients
LIMIT_PAST = 20
PEER_SLOTS = 64  # above LIMIT_PAST: the peer queues nothing localfn lets through


def request(index: int) -> dict[str, Any]:
    """A distinct context (about 800 estimated tokens, over the budget), so every request needs the model."""
    return {"mode": "context", "context": f"Course {index}. {TEXT}", "max_summary_tokens": BUDGET}


@dataclass(frozen=True)
class Run:
    """What one load run left behind: every answer, the peer's counters, the server's memory and metrics."""

    warm_up: list[httpx.Response]
    answers: list[httpx.Response]
    peer: PeerStats
    rss_before_warm_up: int
    rss_after_warm_up: int
    rss_after: int
    scrape: Scrape


async def load(serve: ServeProcess, peer_stats: PeerStats) -> Run:
    url = f"{serve.url}/summarize"
    async with Clients() as clients:
        await clients.connect(serve.url)
        rss_before_warm_up = serve.rss_bytes()
        warm_up = await clients.post_all(url, [request(i) for i in range(WARM_UP)])
        rss_after_warm_up = serve.rss_bytes()
        answers = await clients.post_all(url, [request(i) for i in range(WARM_UP, WARM_UP + REQUESTS)])
        rss_after = serve.rss_bytes()
    return Run(warm_up, answers, dataclasses.replace(peer_stats), rss_before_warm_up, rss_after_warm_up, rss_after, serve.scrape())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def below_limit(tmp_path_factory: pytest.TempPathFactory) -> Run:
    home = tmp_path_factory.mktemp("below-limit")
    with (
        slot_peer(slots=PEER_SLOTS, latency_s=0.02) as (peer, peer_url),
        localfn_serve(peer_url, home, max_in_flight=LIMIT_BELOW, cache_max_entries=CACHE_MAX_ENTRIES) as serve,
    ):
        return await load(serve, peer.stats)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def past_limit(tmp_path_factory: pytest.TempPathFactory) -> Run:
    home = tmp_path_factory.mktemp("past-limit")
    # A longer engine time keeps admitted requests in flight, so the 200 clients really press on the limit.
    with slot_peer(slots=PEER_SLOTS, latency_s=0.1) as (peer, peer_url):
        settings = {"max_in_flight": LIMIT_PAST, "retry_after_s": RETRY_AFTER_S, "cache_max_entries": CACHE_MAX_ENTRIES}
        with localfn_serve(peer_url, home, **settings) as serve:
            return await load(serve, peer.stats)


def assert_summary(answer: httpx.Response) -> None:
    """A 200 with the peer's reply as the summary, within the budget, served by the peer."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["summary"], body["compressed"], body["passes"]) == (REPLY, True, 1)
    assert (body["backend"], body["model"]) == ("peer", MODEL)
    assert body["tokens_after"] <= BUDGET < body["tokens_before"]


def test_below_the_limit_every_request_gets_its_summary(below_limit: Run) -> None:
    for answer in below_limit.warm_up + below_limit.answers:
        assert_summary(answer)


def test_below_the_limit_every_request_reaches_the_engine(below_limit: Run) -> None:
    served = WARM_UP + REQUESTS
    assert below_limit.peer.calls == served
    assert below_limit.scrape.value("localfn_requests_total", function="summarize", status="200", mode="json") == served


def test_past_the_limit_requests_are_served_or_refused_with_retry_after(past_limit: Run) -> None:
    for answer in past_limit.warm_up + past_limit.answers:
        if answer.status_code == 200:
            assert_summary(answer)
            continue
        assert_problem(answer, 503, "overloaded")
        assert answer.headers["retry-after"] == str(RETRY_AFTER_S)
        assert str(LIMIT_PAST) in answer.json()["detail"]


def test_past_the_limit_some_are_refused_and_the_engine_never_sees_more_than_the_limit(past_limit: Run) -> None:
    answers = past_limit.warm_up + past_limit.answers
    served = sum(answer.status_code == 200 for answer in answers)
    refused = sum(answer.headers.get("content-type", "").startswith(PROBLEM) for answer in answers)
    assert served > 0 and refused > 0, (served, refused)
    # Every admitted request made one engine call; a refused one made none.
    assert past_limit.peer.calls == served
    assert 0 < past_limit.peer.max_in_flight <= LIMIT_PAST
    assert past_limit.scrape.value("localfn_requests_total", function="summarize", status="503", mode="json") == refused


@pytest.mark.parametrize("run", ["below_limit", "past_limit"])
def test_the_in_flight_gauge_is_back_to_zero(run: str, request: pytest.FixtureRequest) -> None:
    result: Run = request.getfixturevalue(run)
    assert result.peer.in_flight == 0
    assert result.scrape.value("localfn_in_flight", function="summarize") == 0


def cache_entry_bytes(answer: httpx.Response, sent: dict[str, Any]) -> int:
    """What one result-cache entry holds: its key (the normalised request as JSON, the models) and the answer."""
    normalised = json.dumps(SummarizeRequest.model_validate(sent).model_dump(mode="json"), sort_keys=True)
    key = ("summarize", normalised, (("peer", MODEL),))
    return deep_size((key, (0.0, answer.json())))


def test_memory_stays_bounded(below_limit: Run) -> None:
    """After the warm-up, the server may grow by what its result cache can hold at most, plus the
    working set of every client's request in flight at once (freed memory stays in the process),
    priced at what each warm-up request took, start-up's lazy work included. Anything kept per
    request (a leak) grows with the 1,000 requests and shows past that."""
    largest = WARM_UP + REQUESTS - 1
    cache_bound = CACHE_MAX_ENTRIES * cache_entry_bytes(below_limit.answers[-1], request(largest))
    per_request = (below_limit.rss_after_warm_up - below_limit.rss_before_warm_up) / WARM_UP
    bound = cache_bound + CLIENTS * per_request
    growth = below_limit.rss_after - below_limit.rss_after_warm_up
    assert growth <= bound, f"RSS grew {growth / 1e6:.1f} MB over {REQUESTS} requests; the bound is {bound / 1e6:.1f} MB"
