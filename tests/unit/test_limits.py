"""localfn.limits: the one size rule (fields over their limit: 422 naming each; bodies: 413)."""

from __future__ import annotations

import pytest

from localfn.errors import InvalidInput
from localfn.limits import Limit, check


def test_fields_within_their_limits_pass() -> None:
    check(Limit("query", 10, 10, "LOCALFN_Q"), Limit("context", 0, 5, "LOCALFN_C"), advice="send less")


def test_every_field_over_its_limit_is_named_with_its_size_limit_and_setting() -> None:
    with pytest.raises(InvalidInput) as raised:
        check(
            Limit("query", 11, 10, "LOCALFN_Q"),
            Limit("context", 3, 5, "LOCALFN_C"),
            Limit("functions", 9, 8, "LOCALFN_S", unit="bytes", counted="as JSON"),
            advice="send less",
        )
    error = raised.value
    assert error.status == 422
    assert [(e.path, e.message) for e in error.errors] == [
        ("query", "11 characters, over the limit of 10 (LOCALFN_Q)"),
        ("functions", "9 bytes (as JSON), over the limit of 8 (LOCALFN_S)"),
    ]
    assert error.detail == (
        "query: 11 characters, over the limit of 10 (LOCALFN_Q); functions: 9 bytes (as JSON), over the limit of 8 (LOCALFN_S); send less"
    )
