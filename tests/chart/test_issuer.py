"""generate-badge's issuer keys in the chart: from an existing Secret, mounted read-only, never a value."""

from __future__ import annotations

import pytest

from tests.chart import objects, rendering

KEYS = "functions.generate-badge.issuer.keys"


def _badge_workload(docs: list[objects.Doc]) -> objects.Doc:
    return next(w for w in objects.function_workloads(docs) if objects.function_of(w) == "generate-badge")


def test_the_keys_secret_is_mounted_read_only_where_the_keys_file_setting_points(helm: str) -> None:
    docs = rendering.render_scenario("existing-secret")
    issuer = rendering.scenario_values("existing-secret")["functions"]["generate-badge"]["issuer"]
    workload = _badge_workload(docs)
    container = objects.main_container(workload)
    volume = next(v for v in objects.pod_template(workload)[1]["volumes"] if v["name"] == "issuer-keys")
    # existingSecret honoured: its name and key, and only that key.
    assert volume["secret"]["secretName"] == issuer["keys"]["existingSecret"]
    assert [item["key"] for item in volume["secret"]["items"]] == [issuer["keys"]["existingSecretKey"]]
    assert not volume["secret"].get("optional", False)  # a missing Secret stops the pod, never unsigned credentials
    mount = next(m for m in container["volumeMounts"] if m["name"] == "issuer-keys")
    assert mount["readOnly"] is True
    path = objects.env_value(container, "LOCALFN_ISSUER__KEYS_FILE")
    assert path == f"{mount['mountPath']}/{volume['secret']['items'][0]['path']}"
    assert objects.env_value(container, "LOCALFN_ISSUER__PROOF") == issuer["proof"]
    assert objects.env_value(container, "LOCALFN_ISSUER__DID_WEB") == issuer["didWeb"]
    assert objects.env_value(container, "LOCALFN_ISSUER__JWT_ALG") == issuer["jwtAlg"]
    assert objects.env_value(container, "LOCALFN_ISSUER__DID_WEB_ALLOW") == ",".join(issuer["didWebAllow"])
    # The chart creates no Secret for the keys, and no other function sees them.
    assert not objects.of_kind(docs, "Secret")
    for other in objects.function_workloads(docs):
        if other is not workload:
            assert "LOCALFN_ISSUER__KEYS_FILE" not in objects.env_of(objects.main_container(other))
            assert all(v["name"] != "issuer-keys" for v in objects.pod_template(other)[1]["volumes"])


def test_without_keys_nothing_of_the_issuer_is_rendered(default_docs: list[objects.Doc]) -> None:
    workload = _badge_workload(default_docs)
    env = objects.env_of(objects.main_container(workload))
    assert not {"LOCALFN_ISSUER__KEYS_FILE", "LOCALFN_ISSUER__PROOF", "LOCALFN_ISSUER__DID_WEB", "LOCALFN_ISSUER__JWT_ALG"} & set(env)
    assert all(v["name"] != "issuer-keys" for v in objects.pod_template(workload)[1]["volumes"])


@pytest.mark.parametrize(
    "setting",
    [
        f"{KEYS}.jwks=eyJrZXlzIjpbXX0=",  # key material as a value: no such value exists
        f"{KEYS}.privateKey=abc",
        "functions.generate-badge.issuer.jwk=abc",
    ],
)
def test_no_value_can_hold_key_material(helm: str, setting: str) -> None:
    err = rendering.render_error(set_values=[setting])
    assert "values don't meet the specifications of the schema" in err, err
    assert "additional properties" in err.lower() or "additionalProperties" in err, err


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["functions.generate-badge.issuer.proof=jwt"], "issuer.proof=jwt needs issuer.keys.existingSecret"),
        (["functions.generate-badge.issuer.didWeb=example.edu"], "issuer.didWeb needs issuer.keys.existingSecret"),
        ([f"{KEYS}.existingSecret=k", "functions.generate-badge.issuer.jwtAlg=RS256"], "issuer.jwtAlg=RS256 needs issuer.didWeb"),
    ],
)
def test_signing_without_a_keys_secret_fails_saying_what_to_set(helm: str, settings: list[str], message: str) -> None:
    err = rendering.render_error(set_values=settings)
    assert "VALUES VALIDATION" in err and message in err, err


def test_an_unknown_jwt_alg_is_refused_by_the_schema(helm: str) -> None:
    err = rendering.render_error(set_values=[f"{KEYS}.existingSecret=k", "functions.generate-badge.issuer.jwtAlg=EdDSA"])
    assert "jwtAlg" in err, err


def test_a_malformed_did_web_is_refused_by_the_schema(helm: str) -> None:
    err = rendering.render_error(set_values=[f"{KEYS}.existingSecret=k", "functions.generate-badge.issuer.didWeb=https://example.edu"])
    assert "didWeb" in err, err
