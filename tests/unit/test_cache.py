"""localfn.cache.Memo: a TTL + LRU store with single-flight get_or_run."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from localfn.cache import Memo, Reuse


def test_get_returns_what_put_stored_and_none_for_unknown_keys() -> None:
    memo: Memo[str] = Memo(ttl_s=60, max_entries=10)
    memo.put("k", "v")
    assert memo.get("k") == "v"
    assert memo.get("other") is None


def test_entries_expire_after_ttl(clock) -> None:
    memo: Memo[str] = Memo(ttl_s=10, max_entries=10, clock=clock)
    memo.put("k", "v")
    clock.advance(9.5)
    assert memo.get("k") == "v"
    clock.advance(0.5)  # exactly ttl_s after the put
    assert memo.get("k") is None
    assert len(memo) == 0


def test_lru_bound_evicts_the_least_recently_used() -> None:
    memo: Memo[int] = Memo(ttl_s=60, max_entries=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now more recent than "b"
    memo.put("c", 3)
    assert len(memo) == 2
    assert memo.get("b") is None
    assert (memo.get("a"), memo.get("c")) == (1, 3)


@pytest.mark.parametrize(("ttl_s", "max_entries"), [(0, 10), (60, 0)])
def test_zero_ttl_or_zero_size_disables_the_store(ttl_s: float, max_entries: int) -> None:
    memo: Memo[str] = Memo(ttl_s=ttl_s, max_entries=max_entries)
    assert not memo.enabled
    memo.put("k", "v")
    assert memo.get("k") is None
    assert len(memo) == 0


def test_enabled_with_positive_ttl_and_size() -> None:
    assert Memo(ttl_s=1, max_entries=1).enabled


async def test_get_or_run_computes_once_then_hits() -> None:
    memo: Memo[str] = Memo(ttl_s=60, max_entries=10)
    calls = 0

    async def compute() -> str:
        nonlocal calls
        calls += 1
        return "value"

    assert await memo.get_or_run("k", compute) == ("value", Reuse.MISS)
    assert await memo.get_or_run("k", compute) == ("value", Reuse.HIT)
    assert calls == 1


async def test_get_or_run_on_a_disabled_memo_computes_every_time() -> None:
    memo: Memo[int] = Memo(ttl_s=0, max_entries=10)
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        return calls

    assert await memo.get_or_run("k", compute) == (1, Reuse.MISS)
    assert await memo.get_or_run("k", compute) == (2, Reuse.MISS)


async def test_concurrent_identical_calls_run_compute_once() -> None:
    memo: Memo[str] = Memo(ttl_s=60, max_entries=10)
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def compute() -> str:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return "value"

    tasks = [asyncio.create_task(memo.get_or_run("k", compute)) for _ in range(50)]
    await started.wait()  # every task has taken its first step: one computes, 49 wait
    release.set()
    results = await asyncio.gather(*tasks)

    assert calls == 1
    assert {value for value, _ in results} == {"value"}
    assert Counter(reuse for _, reuse in results) == {Reuse.MISS: 1, Reuse.COALESCED: 49}


async def test_a_failure_reaches_every_waiter_and_is_not_stored() -> None:
    memo: Memo[str] = Memo(ttl_s=60, max_entries=10)
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        raise RuntimeError("engine fell over")

    tasks = [asyncio.create_task(memo.get_or_run("k", failing)) for _ in range(5)]
    await started.wait()
    release.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)

    assert calls == 1
    assert all(isinstance(o, RuntimeError) and str(o) == "engine fell over" for o in outcomes)
    assert len(memo) == 0

    async def working() -> str:
        return "recovered"

    assert await memo.get_or_run("k", working) == ("recovered", Reuse.MISS)


async def test_a_waiter_takes_over_when_the_leading_caller_is_cancelled() -> None:
    memo: Memo[int] = Memo(ttl_s=60, max_entries=10)
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return calls

    leader = asyncio.create_task(memo.get_or_run("k", compute))
    follower = asyncio.create_task(memo.get_or_run("k", compute))
    await started.wait()  # leader computes, follower waits on it
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    release.set()

    assert await follower == (2, Reuse.MISS)  # the follower ran compute itself
    assert calls == 2


async def test_a_waiter_giving_up_does_not_cancel_the_shared_work() -> None:
    memo: Memo[str] = Memo(ttl_s=60, max_entries=10)
    started, release = asyncio.Event(), asyncio.Event()

    async def compute() -> str:
        started.set()
        await release.wait()
        return "value"

    leader = asyncio.create_task(memo.get_or_run("k", compute))
    follower = asyncio.create_task(memo.get_or_run("k", compute))
    await started.wait()
    follower.cancel()
    with pytest.raises(asyncio.CancelledError):
        await follower
    release.set()

    assert await leader == ("value", Reuse.MISS)
