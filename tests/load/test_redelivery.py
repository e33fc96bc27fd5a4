"""A CloudEvent redelivered ten times, five of them at once, against `localfn serve` as its own process.

Knative delivers at least once: the same (source, id) may come again while the first delivery
is still being answered, or after. tests/integration/test_events_http.py checks the sequential
case in-process; here the copies race each other over real sockets. The result cache is off,
so the one engine call is owed to redelivery suppression alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from tests.load.harness import CLIENT_TIMEOUT_S, ServeProcess, localfn_serve, slot_peer
from tests.support.slot_peer import REPLY, SlotPeer

TEXT = (Path(__file__).parents[1] / "fixtures" / "photosynthesis.txt").read_text()
REQUEST = {"mode": "context", "context": TEXT, "max_summary_tokens": 40}
AT_ONCE = 5
ONE_BY_ONE = 5
# Long enough that the first delivery is still at the engine when the concurrent copies arrive.
ENGINE_LATENCY_S = 0.5

Encoder = Callable[[CloudEvent], tuple[dict[str, str], bytes]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SlotPeer, ServeProcess]]:
    with (
        slot_peer(slots=8, latency_s=ENGINE_LATENCY_S) as (peer, peer_url),
        localfn_serve(peer_url, tmp_path_factory.mktemp("redelivery"), cache_ttl_s=0) as serve,
    ):
        yield peer, serve


async def deliver_ten_times(base_url: str, path: str, headers: dict[str, str], body: bytes) -> list[httpx.Response]:
    """Five deliveries at once, then five one after another; the answers in that order."""
    async with httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT_S) as client:
        replies = list(await asyncio.gather(*(client.post(path, headers=headers, content=body) for _ in range(AT_ONCE))))
        for _ in range(ONE_BY_ONE):
            replies.append(await client.post(path, headers=headers, content=body))
    return replies


@pytest.mark.parametrize("encode", [to_binary, to_structured], ids=["binary", "structured"])
@pytest.mark.parametrize("path", ["/events", "/summarize"])
async def test_redelivered_event_makes_one_engine_call_and_gets_ten_identical_replies(
    served: tuple[SlotPeer, ServeProcess], path: str, encode: Encoder
) -> None:
    peer, serve = served
    event_id = f"delivery{path.replace('/', '-')}-{encode.__name__}"
    event = CloudEvent({"type": "io.localfn.summarize.request", "source": "/tests/load", "id": event_id, "subject": "course-7"}, REQUEST)
    headers, body = encode(event)
    calls_before = peer.stats.calls
    redelivered_before = serve.scrape().value("localfn_reused_total", function="summarize", kind="redelivered")

    replies = await deliver_ten_times(serve.url, path, headers, body)

    assert [reply.status_code for reply in replies] == [200] * (AT_ONCE + ONE_BY_ONE), [r.text for r in replies]
    assert peer.stats.calls - calls_before == 1
    redelivered = serve.scrape().value("localfn_reused_total", function="summarize", kind="redelivered")
    assert redelivered - redelivered_before == AT_ONCE + ONE_BY_ONE - 1
    # The stored reply itself comes back: same bytes, same reply id and time, in the request's mode.
    assert len({reply.content for reply in replies}) == 1
    decoded = [from_http(dict(reply.headers), reply.content) for reply in replies]
    assert all(event.get_attributes() == decoded[0].get_attributes() for event in decoded)
    attributes = decoded[0].get_attributes()
    assert attributes["type"] == "io.localfn.summarize.response"
    assert (attributes["source"], attributes["subject"], attributes["requestid"]) == ("/localfn/summarize", "course-7", event_id)
    assert decoded[0].get_data()["summary"] == REPLY
    structured = replies[0].headers["content-type"].startswith("application/cloudevents+json")
    assert structured is (encode is to_structured)
