"""Security: the restricted Pod Security Standard, no API tokens, NetworkPolicy,
and credentials only from Secrets."""

from __future__ import annotations

import base64
import copy

import pytest

from tests.chart import eventing, objects, pod_security, rendering


def _pods(docs: list[objects.Doc]) -> list[tuple[str, dict, dict]]:
    return [(f"{d['kind']}/{d['metadata']['name']}", *objects.pod_template(d)) for d in objects.workloads(docs)]


def test_function_pods_meet_the_restricted_standard(docs: list[objects.Doc]) -> None:
    functions = objects.function_workloads(docs)
    assert {objects.function_of(f) for f in functions} == set(objects.FUNCTIONS)
    errors = []
    for wl in functions:
        meta, spec = objects.pod_template(wl)
        errors += [f"{wl['metadata']['name']}: {e}" for e in pod_security.restricted_pss_violations(spec, meta.get("annotations"))]
        errors += [f"{wl['metadata']['name']}: {e}" for e in pod_security.hardening_gaps(objects.main_container(wl))]
    assert not errors, "\n".join(errors)


def test_every_pod_of_the_release_meets_the_restricted_standard(docs: list[objects.Doc]) -> None:
    """Ollama (GPU and CPU), the dead-letter logger and the helm test pod too."""
    errors = []
    for name, meta, spec in _pods(docs):
        errors += [f"{name}: {e}" for e in pod_security.restricted_pss_violations(spec, meta.get("annotations"))]
        for c in objects.containers(spec):
            errors += [f"{name}/{c['name']}: {e}" for e in pod_security.hardening_gaps(c)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    ("mistake", "expected"),
    [
        (lambda s: s["containers"][0]["securityContext"].pop("runAsNonRoot"), "runAsNonRoot"),
        (
            lambda s: s["containers"][0]["securityContext"].update({"allowPrivilegeEscalation": True}),
            "allowPrivilegeEscalation",
        ),
        (lambda s: s["containers"][0]["securityContext"]["capabilities"].update({"drop": ["NET_RAW"]}), "drop ALL"),
        (
            lambda s: s["containers"][0]["securityContext"]["capabilities"].update({"add": ["SYS_ADMIN"]}),
            "adds capabilities",
        ),
        (lambda s: s["containers"][0]["securityContext"].pop("seccompProfile"), "seccompProfile"),
        (
            lambda s: s["containers"][0]["securityContext"].update({"seccompProfile": {"type": "Unconfined"}}),
            "seccompProfile",
        ),
        (lambda s: s["containers"][0]["securityContext"].update({"runAsUser": 0}), "runAsUser"),
        (lambda s: s["containers"][0]["securityContext"].update({"privileged": True}), "privileged"),
        (lambda s: s.update({"hostNetwork": True}), "hostNetwork"),
        (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPath"),
        (lambda s: s["containers"][0]["ports"][0].update({"hostPort": 80}), "hostPort"),
    ],
)
def test_the_standard_check_catches_mistakes(default_docs: list[objects.Doc], mistake, expected: str) -> None:
    _, spec = objects.pod_template(objects.function_workloads(default_docs)[0])
    assert pod_security.restricted_pss_violations(spec) == []
    broken = copy.deepcopy(spec)
    mistake(broken)
    assert any(expected in v for v in pod_security.restricted_pss_violations(broken))


def test_no_pod_mounts_an_api_token(docs: list[objects.Doc]) -> None:
    for name, _, spec in _pods(docs):
        assert spec.get("automountServiceAccountToken") is False, name
        assert spec["serviceAccountName"], name
    for sa in objects.of_kind(docs, "ServiceAccount"):
        assert sa["automountServiceAccountToken"] is False
    service_accounts = {sa["metadata"]["name"] for sa in objects.of_kind(docs, "ServiceAccount")}
    assert len(service_accounts) == 1
    assert {spec["serviceAccountName"] for _, _, spec in _pods(docs)} == service_accounts


def test_only_function_pods_may_reach_ollama(docs: list[objects.Doc]) -> None:
    ollama = objects.ollama_statefulsets(docs)
    if not ollama:
        return
    policies = objects.of_kind(docs, "NetworkPolicy")
    port = objects.main_container(ollama[0])["ports"][0]["containerPort"]
    ollama_labels = [objects.pod_template(s)[0]["labels"] for s in ollama]
    other_labels = {d["metadata"]["name"]: objects.pod_template(d)[0].get("labels", {}) for d in objects.workloads(docs) if d not in ollama}
    function_labels = [objects.pod_template(f)[0]["labels"] for f in objects.function_workloads(docs)]
    governing = [p for p in policies if all(objects.selects(p["spec"]["podSelector"]["matchLabels"], lab) for lab in ollama_labels)]
    assert governing, "no NetworkPolicy selects the Ollama pods"
    for policy in governing:
        assert "Ingress" in policy["spec"]["policyTypes"]
        # The functions, and `helm test`'s pods (they check that each pool lists its models).
        admitted = {"function", "test"}
        for rule in policy["spec"].get("ingress", []):
            assert rule.get("from"), "an ingress rule without `from` admits every pod"
            assert [p["port"] for p in rule["ports"]] == [port]
            selectors = []
            for peer in rule["from"]:
                assert set(peer) == {"podSelector"}, f"unexpected peer {peer}"
                selector = peer["podSelector"]["matchLabels"]
                assert selector.get("app.kubernetes.io/component") in admitted, f"unexpected peer {peer}"
                selectors.append(selector)
                for name, labels in other_labels.items():
                    if labels.get("app.kubernetes.io/component") not in admitted:
                        assert not objects.selects(selector, labels), f"{name} may reach Ollama"
                for labels in ollama_labels:
                    assert not objects.selects(selector, labels)
            assert all(any(objects.selects(s, lab) for s in selectors) for lab in function_labels), "a function pod is shut out"


def test_no_network_policy_fences_in_what_eventing_delivers_to(scenario: str, docs: list[objects.Doc]) -> None:
    """The broker's dispatcher runs in another namespace (knative-eventing): a policy
    selecting the function or dead-letter pods would have to admit it, so none does."""
    if not rendering.scenario_values(scenario)["eventing"]["enabled"]:
        return
    triggers = objects.of_kind(docs, "Trigger")
    targets = [w for t in triggers for w in eventing.delivery_targets(docs, t["spec"]["subscriber"]["ref"])]
    targets.append(eventing.dead_letter_logger(docs))
    for policy in objects.of_kind(docs, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        assert not policy["spec"]["podSelector"].get("matchExpressions"), "this check reads matchLabels only"
        fenced = [w["metadata"]["name"] for w in targets if objects.selects(selector, objects.pod_template(w)[0]["labels"])]
        assert not fenced, f"{policy['metadata']['name']} restricts ingress to {fenced}"


def _route_query(docs: list[objects.Doc]) -> dict:
    return objects.main_container(next(w for w in objects.function_workloads(docs) if objects.function_of(w) == "route-query"))


def _badge(docs: list[objects.Doc]) -> dict:
    return objects.main_container(next(w for w in objects.function_workloads(docs) if objects.function_of(w) == "generate-badge"))


def _secret_ref(container: dict, name: str) -> dict:
    env = objects.env_of(container)[name]
    assert "value" not in env, f"{name} is a plain value"
    return env["valueFrom"]["secretKeyRef"]


def test_cloud_key_and_database_url_from_values_go_through_the_charts_secret(helm: str) -> None:
    docs = rendering.render_scenario("kafka")
    values = rendering.scenario_values("kafka")
    key = values["functions"]["route-query"]["cloud"]["apiKey"]
    dsn = values["functions"]["generate-badge"]["database"]["url"]
    (secret,) = objects.of_kind(docs, "Secret")
    ref = _secret_ref(_route_query(docs), "LOCALFN_CLOUD__API_KEY")
    assert ref["name"] == secret["metadata"]["name"]
    assert base64.b64decode(secret["data"][ref["key"]]).decode() == key
    ref = _secret_ref(_badge(docs), "LOCALFN_GENERATE_BADGE__DATABASE_URL")
    assert base64.b64decode(secret["data"][ref["key"]]).decode() == dsn
    # The plain key appears nowhere but (encoded) in the Secret.
    for d in docs:
        if d["kind"] != "Secret":
            assert key not in repr(d) and dsn not in repr(d), f"{d['kind']}/{d['metadata']['name']} holds a credential"
    # Rotating the Secret rolls the functions.
    for wl in objects.function_workloads(docs):
        assert "checksum/secret" in objects.pod_template(wl)[0]["annotations"]


def test_existing_secrets_are_referenced_not_created(helm: str) -> None:
    docs = rendering.render_scenario("existing-secret")
    values = rendering.scenario_values("existing-secret")
    cloud = values["functions"]["route-query"]["cloud"]
    db = values["functions"]["generate-badge"]["database"]
    assert not objects.of_kind(docs, "Secret")
    assert _secret_ref(_route_query(docs), "LOCALFN_CLOUD__API_KEY") == {
        "name": cloud["existingSecret"],
        "key": cloud["existingSecretKey"],
    }
    assert _secret_ref(_badge(docs), "LOCALFN_GENERATE_BADGE__DATABASE_URL") == {
        "name": db["existingSecret"],
        "key": db["existingSecretKey"],
    }
    assert "LOCALFN_GENERATE_BADGE__HISTORY_PATH" not in objects.env_of(_badge(docs))
    assert objects.env_value(_route_query(docs), "LOCALFN_CLOUD__URL") == cloud["url"]
    # The optional secrets_dir mount, read-only, on every function.
    for wl in objects.function_workloads(docs):
        _, spec = objects.pod_template(wl)
        volume = next(v for v in spec["volumes"] if v["name"] == "localfn-secrets")
        assert volume["secret"] == {"secretName": values["secretsDir"]["secretName"], "optional": True}
        mount = next(m for m in objects.main_container(wl)["volumeMounts"] if m["name"] == volume["name"])
        assert mount["mountPath"] == "/var/run/secrets/localfn" and mount["readOnly"] is True


def test_without_credentials_nothing_secret_is_rendered(default_docs: list[objects.Doc]) -> None:
    assert not objects.of_kind(default_docs, "Secret")
    assert "LOCALFN_CLOUD__API_KEY" not in objects.env_of(_route_query(default_docs))
    badge = _badge(default_docs)
    assert "LOCALFN_GENERATE_BADGE__DATABASE_URL" not in objects.env_of(badge)
    history = objects.env_value(badge, "LOCALFN_GENERATE_BADGE__HISTORY_PATH")
    mount = next(m for m in badge["volumeMounts"] if history.startswith(m["mountPath"] + "/"))
    wl = next(w for w in objects.function_workloads(default_docs) if objects.function_of(w) == "generate-badge")
    volume = next(v for v in objects.pod_template(wl)[1]["volumes"] if v["name"] == mount["name"])
    assert "emptyDir" in volume, "SQLite history must sit on an emptyDir (the root filesystem is read-only)"
