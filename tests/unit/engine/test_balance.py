"""localfn.engine.balance: power of two choices, and consistent hashing with bounded load."""

from __future__ import annotations

import math
import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from localfn.engine.balance import LOAD_BOUND, PrefixRing, least_loaded

PODS = [f"10.0.0.{i}" for i in range(1, 5)]
KEYS = [f"llama3.1:8b\nsystem prompt {i}" for i in range(2000)]


def test_one_pod_is_always_the_pick() -> None:
    assert least_loaded([7], random.Random(1)) == 0


def test_of_two_pods_the_less_loaded_is_picked_every_time() -> None:
    rng = random.Random(1)
    assert {least_loaded([5, 2], rng) for _ in range(50)} == {1}


def test_equal_loads_are_spread_evenly() -> None:
    rng = random.Random(2)
    picks = Counter(least_loaded([0, 0, 0, 0], rng) for _ in range(4000))
    assert set(picks) == {0, 1, 2, 3}
    assert all(800 <= count <= 1200 for count in picks.values()), picks


def test_the_most_loaded_pod_is_never_picked_among_several() -> None:
    # Whichever two are drawn, the busiest one loses (its load is strictly the highest).
    rng = random.Random(3)
    assert 2 not in {least_loaded([1, 1, 9, 0], rng) for _ in range(500)}


def test_a_key_has_one_owner_whatever_the_order_pods_were_listed_in() -> None:
    loads = dict.fromkeys(PODS, 0)
    forward, backward = PrefixRing(PODS), PrefixRing(reversed(PODS))
    assert all(forward.owner(key, loads) == backward.owner(key, loads) for key in KEYS)


def test_keys_are_shared_out_roughly_evenly() -> None:
    ring = PrefixRing(PODS)
    owners = Counter(ring.owner(key, dict.fromkeys(PODS, 0)) for key in KEYS)
    assert set(owners) == set(PODS)
    assert all(len(KEYS) / 4 * 0.6 <= n <= len(KEYS) / 4 * 1.4 for n in owners.values()), owners


def test_removing_a_pod_moves_only_the_keys_it_owned() -> None:
    before, after = PrefixRing(PODS), PrefixRing(PODS[:-1])
    gone = PODS[-1]
    for key in KEYS:
        old = before.owner(key, dict.fromkeys(PODS, 0))
        new = after.owner(key, dict.fromkeys(PODS[:-1], 0))
        assert new == old or old == gone


def test_an_owner_above_the_bound_passes_the_key_to_the_next_pod_on_the_ring() -> None:
    ring = PrefixRing(PODS)
    key = KEYS[0]
    owner, runner_up = list(ring.walk(key))[:2]
    loads = dict.fromkeys(PODS, 1)
    assert ring.owner(key, loads) == owner  # within the bound: 1 < ceil(1.25 x 5 / 4) = 2
    loads[owner] = 2
    assert ring.owner(key, loads) == runner_up


def test_pods_missing_from_the_loads_are_skipped() -> None:
    ring = PrefixRing(PODS)
    owner = ring.owner(KEYS[0], dict.fromkeys(PODS, 0))
    rest = {pod: 0 for pod in PODS if pod != owner}
    assert ring.owner(KEYS[0], rest) != owner


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8), st.text(max_size=20))
def test_some_pod_within_the_bound_is_always_found(loads: list[int], key: str) -> None:
    pods = [f"10.1.0.{i}" for i in range(len(loads))]
    by_pod = dict(zip(pods, loads, strict=True))
    chosen = PrefixRing(pods).owner(key, by_pod)
    assert by_pod[chosen] < math.ceil(LOAD_BOUND * (sum(loads) + 1) / len(loads))
