"""localfn.state.keys: which Redis keys hold a flight (no Redis needed)."""

from __future__ import annotations

import hashlib

import pytest

from localfn import __version__
from localfn.state.keys import done_pattern, flight_keys, totals_key


def test_keys_carry_the_prefix_kind_and_a_digest_never_the_input() -> None:
    key = ("summarize", '{"context": "my secret notes"}', (("gpu", "llama3.2:1b"),))
    keys = flight_keys("localfn:prod", "results", key)
    digest = hashlib.sha256(repr((__version__, key)).encode()).hexdigest()
    assert (keys.value, keys.lease, keys.done) == tuple(f"localfn:prod:results:{{{digest}}}:{part}" for part in ("value", "lease", "done"))
    assert all("secret" not in name for name in (keys.value, keys.lease, keys.done))


def test_another_localfn_version_never_shares_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    before = flight_keys("p", "results", ("x",)).value
    monkeypatch.setattr("localfn.state.keys.__version__", "0.0.0-other")
    assert flight_keys("p", "results", ("x",)).value != before


def test_different_keys_kinds_and_prefixes_never_share_a_key() -> None:
    names = {
        flight_keys(prefix, kind, key).value for prefix in ("a", "b") for kind in ("results", "replies") for key in (("x",), ("y",), "x")
    }
    assert len(names) == 12


def test_the_done_pattern_matches_every_done_channel_of_its_prefix_only() -> None:
    from fnmatch import fnmatchcase

    assert fnmatchcase(flight_keys("p", "replies", "k").done, done_pattern("p"))
    assert not fnmatchcase(flight_keys("q", "replies", "k").done, done_pattern("p"))
    assert not fnmatchcase(flight_keys("p", "replies", "k").value, done_pattern("p"))


def test_totals_keys_are_per_installation_and_outside_the_done_pattern() -> None:
    assert totals_key("localfn:prod", "route-query") == "localfn:prod:totals:route-query"
    assert totals_key("a", "route-query") != totals_key("b", "route-query")
    assert not totals_key("p", "route-query").endswith(":done")  # done_pattern("p") never matches it
