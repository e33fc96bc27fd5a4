"""Two real `localfn serve` processes sharing one real redis-server: they behave as one.

The engine is a SlotPeer in this process (its call count is read directly), slow enough (0.5 s)
that requests to the second process arrive while the first one's engine call runs. Each test
sends inputs no other test sends, so the shared cache of one test cannot answer another's.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from tests.load.harness import CLIENT_TIMEOUT_S, ServeProcess, localfn_serve, slot_peer
from tests.support.redis_server import RedisServer, redis_server
from tests.support.slot_peer import REPLY, SlotPeer

TEXT = (Path(__file__).parents[1] / "fixtures" / "photosynthesis.txt").read_text()
ENGINE_LATENCY_S = 0.5
IDENTICAL = 100
LEASE_MS = 1000  # short, so a dead worker's event is taken over soon
# Generous: these tests check what is shared, and a busy test machine can take longer than the default 50 ms.
TIMEOUT_MS = 1000


@contextmanager
def two_processes(tmp: Path, peer_url: str, state_url: str, **settings: object) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Processes A and B of one installation (same prefix), each with its own home."""
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(
                localfn_serve(
                    peer_url,
                    tmp / name,
                    state_url=state_url,
                    state_prefix="it",
                    state_lease_ms=LEASE_MS,
                    state_timeout_ms=TIMEOUT_MS,
                    **settings,
                )
            )
            for name in ("a", "b")
        )
        yield a, b


@pytest.fixture
def home(tmp_path: Path) -> Path:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    return tmp_path


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def peer() -> Iterator[tuple[SlotPeer, str]]:
    with slot_peer(slots=8, latency_s=ENGINE_LATENCY_S) as found:
        yield found


def summarize(text: str) -> dict[str, object]:
    """A summarize request long enough to need the engine, made distinct by ``text``."""
    return {"mode": "context", "context": f"{text}\n\n{TEXT}", "max_summary_tokens": 40}


def state_errors(serve: ServeProcess) -> float:
    return sum(value for (name, _), value in serve.scrape().values.items() if name == "localfn_state_errors_total")


async def post_split(urls: list[str], body: dict[str, object], count: int) -> list[httpx.Response]:
    """``count`` identical requests at once, spread evenly over ``urls``."""
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S, limits=httpx.Limits(max_connections=count)) as client:
        return list(await asyncio.gather(*(client.post(urls[i % len(urls)], json=body) for i in range(count))))


async def wait_for_engine_call(peer: SlotPeer) -> None:
    """Until the peer is answering a call (the first delivery is at the engine)."""
    while peer.stats.in_flight == 0:
        await asyncio.sleep(0.01)


def event(event_id: str) -> CloudEvent:
    attributes = {"type": "io.localfn.summarize.request", "source": "/tests/shared", "id": event_id}
    return CloudEvent(attributes, summarize(event_id))


async def test_identical_requests_over_two_processes_make_one_engine_call_then_none(
    redis: RedisServer, peer: tuple[SlotPeer, str], home: Path
) -> None:
    slots, peer_url = peer
    with two_processes(home, peer_url, redis.url) as (a, b):
        urls = [f"{a.url}/summarize", f"{b.url}/summarize"]
        body = summarize(uuid.uuid4().hex)
        before = slots.stats.calls
        cold = await post_split(urls, body, IDENTICAL)
        after_cold = slots.stats.calls
        warm = await post_split(urls, body, IDENTICAL)

        assert [r.status_code for r in cold + warm] == [200] * (2 * IDENTICAL), {r.text for r in cold + warm}
        assert (after_cold - before, slots.stats.calls - after_cold) == (1, 0)
        assert len({r.content for r in cold + warm}) == 1
        assert cold[0].json()["summary"] == REPLY
        reused = sum(
            p.scrape().value("localfn_reused_total", function="summarize", kind=kind) for p in (a, b) for kind in ("hit", "coalesced")
        )
        assert reused == 2 * IDENTICAL - 1
        assert state_errors(a) == state_errors(b) == 0


async def test_an_event_redelivered_to_another_process_while_the_first_works_is_answered_once(
    redis: RedisServer, peer: tuple[SlotPeer, str], home: Path
) -> None:
    slots, peer_url = peer
    sent = event(f"redelivered-{uuid.uuid4().hex}")
    with two_processes(home, peer_url, redis.url, cache_ttl_s=0) as (a, b):  # redelivery suppression alone
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as client:
            before = slots.stats.calls
            first = asyncio.create_task(client.post(f"{a.url}/summarize", headers=to_binary(sent)[0], content=to_binary(sent)[1]))
            await wait_for_engine_call(slots)
            headers, body = to_structured(sent)
            again = await client.post(f"{b.url}/summarize", headers=headers, content=body)
            first_reply = await first
            headers, body = to_binary(sent)
            binary_again = await client.post(f"{b.url}/summarize", headers=headers, content=body)

    assert [r.status_code for r in (first_reply, again, binary_again)] == [200] * 3
    assert slots.stats.calls - before == 1
    assert binary_again.content == first_reply.content
    assert {k: v for k, v in binary_again.headers.items() if k.startswith("ce-")} == {
        k: v for k, v in first_reply.headers.items() if k.startswith("ce-")
    }
    replies = [from_http(dict(r.headers), r.content) for r in (first_reply, again)]
    assert replies[0].get_attributes() == replies[1].get_attributes()  # same reply id and time
    assert replies[0].get_data() == replies[1].get_data()
    assert again.headers["content-type"].startswith("application/cloudevents+json")


async def test_an_event_whose_worker_dies_mid_call_is_taken_over_after_the_lease(
    redis: RedisServer, peer: tuple[SlotPeer, str], home: Path
) -> None:
    slots, peer_url = peer
    sent = event(f"orphaned-{uuid.uuid4().hex}")
    headers, body = to_binary(sent)
    with two_processes(home, peer_url, redis.url) as (a, b):
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as client:
            before = slots.stats.calls
            first = asyncio.create_task(client.post(f"{a.url}/summarize", headers=headers, content=body))
            await wait_for_engine_call(slots)
            a.process.send_signal(signal.SIGKILL)  # no goodbye: its lease must run out
            with pytest.raises(httpx.TransportError):
                await first
            taken_over = await client.post(f"{b.url}/summarize", headers=headers, content=body)
            again = await client.post(f"{b.url}/summarize", headers=headers, content=body)

    assert taken_over.status_code == 200, taken_over.text
    assert from_http(dict(taken_over.headers), taken_over.content).get_data()["summary"] == REPLY
    assert slots.stats.calls - before == 2  # the dead worker's call, and B's after the lease ran out
    assert again.content == taken_over.content


async def test_requests_succeed_while_redis_is_down_and_sharing_returns_with_it(peer: tuple[SlotPeer, str], home: Path) -> None:
    slots, peer_url = peer
    with redis_server() as redis, two_processes(home, peer_url, redis.url) as (a, b):
        redis.stop()
        down = [await post_split([f"{a.url}/summarize", f"{b.url}/summarize"], summarize(uuid.uuid4().hex), 10) for _ in range(3)]
        assert [r.status_code for batch in down for r in batch] == [200] * 30
        assert state_errors(a) > 0 and state_errors(b) > 0

        redis.start()
        # The processes find Redis again by themselves (within a pause of a second or so after their last
        # failure); until then each answers alone. Shared again: B's answer to A's input is not a new call.
        for _ in range(200):
            body = summarize(uuid.uuid4().hex)
            before = slots.stats.calls
            answers = [await post_split([f"{a.url}/summarize"], body, 1), await post_split([f"{b.url}/summarize"], body, 1)]
            assert [batch[0].status_code for batch in answers] == [200, 200]
            if slots.stats.calls - before == 1:
                break
        else:
            pytest.fail("the two processes never shared an answer again after Redis came back")


@pytest.mark.parametrize("failure", ["unreachable", "wrong password"])
async def test_a_process_with_an_unusable_redis_answers_every_request(peer: tuple[SlotPeer, str], home: Path, failure: str) -> None:
    _, peer_url = peer
    with redis_server(password="right" if failure == "wrong password" else None) as redis:
        url = f"redis://:wrong@127.0.0.1:{redis.port}/0" if failure == "wrong password" else redis.url
        if failure == "unreachable":
            redis.stop()
        with localfn_serve(peer_url, home / "a", state_url=url) as serve:
            answers = await post_split([f"{serve.url}/summarize"], summarize(uuid.uuid4().hex), 20)
            assert [r.status_code for r in answers] == [200] * 20
            assert state_errors(serve) > 0
            assert httpx.get(f"{serve.url}/health/ready", timeout=CLIENT_TIMEOUT_S).status_code == 200


def route(query: str, tier: str) -> dict[str, object]:
    """A route-query request on a forced tier (no cloud model: complex ones are answered locally, degraded)."""
    return {"query": f"{query} {uuid.uuid4().hex}", "force_tier": tier}


async def route_stats(client: httpx.AsyncClient, serve: ServeProcess) -> dict[str, object]:
    response = await client.get(f"{serve.url}/route-query/stats")
    assert response.status_code == 200, response.text
    return response.json()


async def test_route_query_stats_from_either_process_are_the_totals_of_both(
    redis: RedisServer, peer: tuple[SlotPeer, str], home: Path
) -> None:
    _, peer_url = peer
    repeated = route("what is photosynthesis?", "simple")
    sent = {
        "a": [repeated, repeated, route("prove sqrt(3) is irrational", "complex")],
        "b": [route("what is a leaf?", "simple"), route("derive the Calvin cycle", "complex")],
    }
    with two_processes(home, peer_url, redis.url) as (a, b):
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as client:
            answers = [
                await client.post(f"{serve.url}/route-query", json=body) for serve, name in ((a, "a"), (b, "b")) for body in sent[name]
            ]
            stats_a, stats_b = await route_stats(client, a), await route_stats(client, b)
        own = [sum(v for (name, _), v in p.scrape().values.items() if name == "localfn_route_queries_total") for p in (a, b)]
        errors = [state_errors(a), state_errors(b)]

    assert [r.status_code for r in answers] == [200] * 5, [r.text for r in answers]
    assert stats_a == stats_b
    assert (stats_a["scope"], stats_a["scope_reason"], stats_a["queries"]) == ("installation", None, 5)
    assert stats_a["tiers"] == {"simple": 3, "moderate": 0, "complex": 2}
    assert (stats_a["degraded"], stats_a["degraded_reasons"], stats_a["cache_hits"]) == (2, {"no-cloud": 2}, 1)
    bodies = [r.json() for r in answers]
    assert stats_a["tokens"] == {
        side: {d: sum(body["tokens"][side][d] for body in bodies) for d in ("prompt", "completion")} for side in ("local", "cloud")
    }
    assert own == [3, 2]  # each process's /metrics still counts its own queries
    assert errors == [0, 0]


async def test_route_query_stats_are_the_pods_own_while_redis_is_down_and_shared_again_after(
    peer: tuple[SlotPeer, str], home: Path
) -> None:
    _, peer_url = peer
    with redis_server() as redis, two_processes(home, peer_url, redis.url) as (a, b):
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as client:
            for serve in (a, b):
                assert (await client.post(f"{serve.url}/route-query", json=route("what is a leaf?", "simple"))).status_code == 200
            redis.stop()
            down = await client.post(f"{a.url}/route-query", json=route("what is a root?", "simple"))
            stats = await route_stats(client, a)
            assert down.status_code == 200, down.text
            assert (stats["scope"], stats["queries"]) == ("pod", 2)  # A's own two, since it started
            assert "shared store did not answer" in str(stats["scope_reason"])
            assert state_errors(a) > 0

            redis.start()
            # Found again by itself within a pause of a second or so; the restarted store kept nothing.
            for _ in range(200):
                stats = await route_stats(client, a)
                if stats["scope"] == "installation":
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("route-query's statistics never became the installation's again after Redis came back")
            assert stats["queries"] == 0
