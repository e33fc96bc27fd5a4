"""localfn.state against a real redis-server: SharedMemo's rules between two "processes".

Each process is a StateClient with its own pool, listener and in-process Memo, as each function
process has; the load tests (tests/load/test_shared_state.py) repeat the main cases with real
`localfn serve` processes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from localfn.cache import Memo, Reuse
from localfn.events import IncomingEvent, reply_event, to_http
from localfn.metrics import Metrics
from localfn.settings import Settings
from localfn.state import EVENTS, JSON, SharedMemo, SharedTotals, StateClient
from localfn.state.keys import flight_keys, totals_key
from tests.support.redis_server import RedisServer, redis_server

SECRET_INPUT = "the user's private text"
GENEROUS_TIMEOUT_MS = 2000


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@asynccontextmanager
async def process(url: str, prefix: str, **settings: Any) -> AsyncIterator[tuple[SharedMemo[Any], Metrics]]:
    """One process's result store, as the runtime builds it.

    The timeout is generous unless a test sets it: these tests check what is shared, and on a
    busy machine a first connection may take longer than the production default of 50 ms.
    """
    config = Settings(state_url=url, state_prefix=prefix, **{"state_timeout_ms": GENEROUS_TIMEOUT_MS, **settings})
    metrics = Metrics()
    client = StateClient(config, metrics)
    try:
        yield SharedMemo(Memo(ttl_s=60, max_entries=100), client, kind="results", codec=JSON, ttl_s=60), metrics
    finally:
        await client.aclose()


class Engine:
    """A compute function that counts its calls and answers once released."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    def __call__(self, answer: Any) -> Callable[[], Awaitable[Any]]:
        async def compute() -> Any:
            self.calls += 1
            self.started.set()
            await self.release.wait()
            return answer

        return compute


def errors(metrics: Metrics) -> dict[tuple[str, str], float]:
    """localfn_state_errors_total by (op, reason)."""
    return {
        (sample.labels["op"], sample.labels["reason"]): sample.value
        for family in metrics.state_errors.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    }


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


async def test_an_answer_computed_in_one_process_is_a_hit_in_another(redis: RedisServer, prefix: str) -> None:
    engine = Engine()
    engine.release.set()
    async with process(redis.url, prefix) as (a, _), process(redis.url, prefix) as (b, _):
        assert await a.get_or_run(("summarize", SECRET_INPUT), engine({"summary": "x"})) == ({"summary": "x"}, Reuse.MISS)
        await a.flush()
        assert await b.get_or_run(("summarize", SECRET_INPUT), engine({"summary": "other"})) == ({"summary": "x"}, Reuse.HIT)
    assert engine.calls == 1


async def test_an_answer_is_written_behind_the_reply_and_closing_loses_none(redis: RedisServer, prefix: str) -> None:
    engine = Engine()
    engine.release.set()
    async with process(redis.url, prefix) as (a, _):
        assert await a.get_or_run("key", engine("answer")) == ("answer", Reuse.MISS)
    # `a` closed straight after its reply: the write still pending was waited for, not dropped.
    async with process(redis.url, prefix) as (b, _):
        assert await b.get_or_run("key", engine("other")) == ("answer", Reuse.HIT)
    assert engine.calls == 1


async def test_a_unix_socket_url_reaches_the_same_store(redis: RedisServer, prefix: str) -> None:
    engine = Engine()
    engine.release.set()
    async with process(redis.url, prefix) as (tcp, _), process(redis.socket_url, prefix) as (unix, metrics):
        assert await tcp.get_or_run("key", engine("answer")) == ("answer", Reuse.MISS)
        await tcp.flush()
        assert await unix.get_or_run("key", engine("other")) == ("answer", Reuse.HIT)
        assert errors(metrics) == {}


async def test_identical_flights_in_two_processes_compute_once(redis: RedisServer, prefix: str) -> None:
    engine = Engine()
    async with process(redis.url, prefix) as (a, _), process(redis.url, prefix) as (b, _):
        tasks = [asyncio.create_task(memo.get_or_run("key", engine({"n": 1}))) for memo in [a, b] * 50]
        await engine.started.wait()
        engine.release.set()
        results = await asyncio.gather(*tasks)
    assert engine.calls == 1
    assert [value for value, _ in results] == [{"n": 1}] * 100
    # The other process finds the answer in flight (coalesced) or, if its claim came after the owner finished, stored.
    assert Counter(reuse for _, reuse in results)[Reuse.MISS] == 1


async def test_a_waiter_takes_over_when_the_owner_dies(redis: RedisServer, prefix: str) -> None:
    # A process that claims the lease and then never renews it nor finishes: one that was killed.
    settings = Settings(state_url=redis.url, state_prefix=prefix, state_lease_ms=300, state_timeout_ms=GENEROUS_TIMEOUT_MS)
    dead = StateClient(settings, Metrics())
    try:
        assert (await dead.claim(flight_keys(prefix, "results", "key"), "dead")).owned
    finally:
        await dead.aclose()
    lease_when_computing: list[bytes] = []

    async def compute() -> str:
        lease_when_computing.append(redis.command("GET", flight_keys(prefix, "results", "key").lease))
        return "answer"

    async with process(redis.url, prefix) as (b, _):
        assert await b.get_or_run("key", compute) == ("answer", Reuse.MISS)
    # B computed only once the dead owner's lease had run out and B held its own (a 32-character token).
    assert lease_when_computing == [b"$32"]


async def test_a_failed_flight_frees_its_lease_and_is_not_stored(redis: RedisServer, prefix: str) -> None:
    async def failing() -> Any:
        raise RuntimeError("engine fell over")

    engine = Engine()
    engine.release.set()
    async with process(redis.url, prefix) as (a, _), process(redis.url, prefix) as (b, _):
        with pytest.raises(RuntimeError, match="engine fell over"):
            await a.get_or_run("key", failing)
        assert await b.get_or_run("key", engine("answer")) == ("answer", Reuse.MISS)


async def test_keys_hide_the_input_and_all_expire(redis: RedisServer, prefix: str) -> None:
    engine = Engine()
    async with process(redis.url, prefix) as (a, _):
        running = asyncio.create_task(a.get_or_run(("summarize", SECRET_INPUT), engine("answer")))
        await engine.started.wait()
        lease_keys = redis.command("KEYS", f"{prefix}:*")
        engine.release.set()
        await running
    keys = _keys(redis, prefix)
    assert lease_keys == b"*1" and len(keys) == 1  # the lease while working; the value after
    assert keys[0].startswith(f"{prefix}:results:{{") and SECRET_INPUT not in keys[0]
    assert 0 < int(redis.command("PTTL", keys[0]).lstrip(b":")) <= 60_000


def _keys(redis: RedisServer, prefix: str) -> list[str]:
    import redis as redis_py

    client = redis_py.Redis(port=redis.port, decode_responses=True)
    try:
        return list(client.scan_iter(f"{prefix}:*"))
    finally:
        client.close()


async def test_answers_over_the_size_limit_are_not_shared(redis: RedisServer, prefix: str) -> None:
    engine = Engine()
    engine.release.set()
    async with process(redis.url, prefix, state_max_value_bytes=10) as (a, _), process(redis.url, prefix) as (b, _):
        assert await a.get_or_run("key", engine("x" * 20)) == ("x" * 20, Reuse.MISS)
        assert await b.get_or_run("key", engine("x" * 20)) == ("x" * 20, Reuse.MISS)
    assert engine.calls == 2


async def test_a_redelivered_event_gets_the_first_reply_byte_for_byte_in_its_own_mode(redis: RedisServer, prefix: str) -> None:
    incoming = IncomingEvent(
        id="e-1",
        source="/tests",
        type="io.localfn.summarize.request",
        subject="s",
        datacontenttype="application/json",
        data={},
        structured=False,
    )
    first = reply_event(incoming, type="io.localfn.summarize.response", source="/localfn/summarize", data={"summary": "é"})

    async def reply() -> Any:
        return first

    async def second_reply() -> Any:
        return reply_event(incoming, type="io.localfn.summarize.response", source="/localfn/summarize", data={})

    settings = Settings(state_url=redis.url, state_prefix=prefix, state_timeout_ms=GENEROUS_TIMEOUT_MS)
    clients = [StateClient(settings, Metrics()) for _ in range(2)]
    try:
        a, b = (SharedMemo(Memo(ttl_s=60, max_entries=10), c, kind="replies", codec=EVENTS, ttl_s=60) for c in clients)
        stored_a, _ = await a.get_or_run(("event", "e-1"), reply)
        await a.flush()
        stored_b, reuse = await b.get_or_run(("event", "e-1"), second_reply)
    finally:
        for client in clients:
            await client.aclose()
    assert reuse is Reuse.HIT
    for structured in (False, True):
        assert to_http(stored_b, structured) == to_http(stored_a, structured)


async def answers_alone_and_counts(url: str, prefix: str, reason: str) -> None:
    engine = Engine()
    engine.release.set()
    async with process(url, prefix) as (memo, metrics):
        assert await memo.get_or_run("key", engine("answer")) == ("answer", Reuse.MISS)
        assert await memo.get_or_run("key", engine("answer")) == ("answer", Reuse.HIT)  # the process's own cache
        assert {why for _, why in errors(metrics)} == {reason}
    assert engine.calls == 1


async def test_an_unreachable_store_still_answers_and_counts_the_error(prefix: str) -> None:
    with redis_server() as gone:
        url = gone.url
    await answers_alone_and_counts(url, prefix, "connection")


async def test_a_wrong_password_still_answers_and_counts_the_error(prefix: str) -> None:
    with redis_server(password="right") as protected:
        await answers_alone_and_counts(f"redis://:wrong@127.0.0.1:{protected.port}/0", prefix, "auth")


async def test_a_stalled_store_costs_one_timeout_and_the_request_goes_on(redis: RedisServer, prefix: str) -> None:
    engine = Engine()
    engine.release.set()
    async with process(redis.url, prefix, state_timeout_ms=50) as (memo, metrics):
        await memo.get_or_run("warm-up", engine("subscribed"))  # the listener is connected before the stall
        # Every client's commands now wait 3 s for an answer, as from a Redis stalled by a slow command or a failover.
        assert redis.command("CLIENT", "PAUSE", "3000", "ALL") == b"+OK"
        assert await memo.get_or_run("key", engine("answer")) == ("answer", Reuse.MISS)
    assert {why for _, why in errors(metrics)} == {"timeout"}


async def test_totals_added_by_two_processes_are_read_as_one_sum_that_expires(prefix: str) -> None:
    # Its own server: the module's may still be paused by the stalled-store test.
    with redis_server() as redis:
        settings = Settings(state_url=redis.url, state_prefix=prefix, state_timeout_ms=GENEROUS_TIMEOUT_MS)
        clients = [StateClient(settings, Metrics()) for _ in range(2)]
        try:
            a, b = (SharedTotals(client, "route-query", ttl_s=60) for client in clients)
            assert await a.read() == {}
            assert await a.add({"queries|simple": 1, "cost": 0.25})
            assert await b.add({"queries|simple": 2, "queries|complex": 1})
            assert await a.read() == await b.read() == {"queries|simple": 3, "queries|complex": 1, "cost": 0.25}
        finally:
            for client in clients:
                await client.aclose()
        assert 0 < int(redis.command("PTTL", totals_key(prefix, "route-query")).lstrip(b":")) <= 60_000


async def test_totals_are_dropped_and_unread_while_the_store_is_down(prefix: str) -> None:
    with redis_server() as gone:
        url = gone.url
    metrics = Metrics()
    client = StateClient(Settings(state_url=url, state_prefix=prefix, state_timeout_ms=GENEROUS_TIMEOUT_MS), metrics)
    try:
        totals = SharedTotals(client, "route-query", ttl_s=60)
        assert await totals.add({"queries|simple": 1}) is False
        assert await totals.read() is None
    finally:
        await client.aclose()
    assert errors(metrics) == {("add", "connection"): 1}  # the read came within the pause after the failure
