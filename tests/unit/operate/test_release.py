"""Reading a Helm release Secret, and the toleration rule the GPU check applies."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from localfn.operate.gpu_checks import tolerates
from localfn.operate.release import decode_release, merge_values, newest


def secret(record: dict, *, zipped: bool = True) -> dict:
    raw = json.dumps(record).encode()
    return {"data": {"release": base64.b64encode(base64.b64encode(gzip.compress(raw) if zipped else raw)).decode()}}


RECORD = {
    "name": "demo",
    "version": 3,
    "manifest": "kind: Secret\nstringData: {password: hunter2}",
    "chart": {
        "metadata": {"name": "localfn", "version": "0.1.0"},
        "values": {"ollama": {"gpu": {"enabled": True, "models": ["a"]}}, "x": 1},
    },
    "config": {"ollama": {"gpu": {"models": ["b", "c"]}}},
}


def test_the_values_are_the_charts_with_the_users_merged_over_them() -> None:
    release = decode_release(secret(RECORD)["data"])
    assert (release.name, release.revision, release.chart) == ("demo", 3, "localfn-0.1.0")
    assert release.values == {"ollama": {"gpu": {"enabled": True, "models": ["b", "c"]}}, "x": 1}  # lists replace, maps merge
    assert "hunter2" not in repr(release)  # the manifests are not kept


def test_an_uncompressed_record_reads_too() -> None:
    assert decode_release(secret(RECORD, zipped=False)["data"]).revision == 3


def test_the_newest_revision_wins() -> None:
    older = secret({**RECORD, "version": 2, "config": {}})
    assert newest([older, secret(RECORD)]).revision == 3
    assert newest([]) is None


@pytest.mark.parametrize("data", [{}, {"release": "not base64!"}, {"release": base64.b64encode(b"e30=").decode()}])
def test_what_is_not_a_release_is_a_value_error(data: dict) -> None:
    with pytest.raises(ValueError, match="not a Helm 3 release record"):
        decode_release(data)


def test_merge_values_keeps_what_the_user_did_not_set() -> None:
    assert merge_values({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


@pytest.mark.parametrize(
    ("toleration", "tolerated"),
    [
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"key": "nvidia.com/gpu", "operator": "Exists"}, True),  # no effect: every effect
        ({"operator": "Exists"}, True),  # no key with Exists: every taint
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}, True),
        ({"key": "nvidia.com/gpu", "value": "present"}, True),  # Equal is the default operator
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "absent"}, False),
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"key": "dedicated", "operator": "Exists"}, False),
    ],
)
def test_tolerations_match_as_kubernetes_matches_them(toleration: dict, tolerated: bool) -> None:
    assert tolerates([toleration], TAINT) is tolerated
