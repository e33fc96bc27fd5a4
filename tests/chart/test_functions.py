"""The functions as the application contract describes them, in both serving modes,
plus the helm test pod and NOTES."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from tests.chart import objects, rendering

SETTINGS_ENV = {
    "LOCALFN_ENGINES",
    "LOCALFN_REQUEST_TIMEOUT_S",
    "LOCALFN_CONNECT_TIMEOUT_S",
    "LOCALFN_ENGINE_COOLDOWN_S",
    "LOCALFN_KEEP_ALIVE",
    "LOCALFN_MAX_IN_FLIGHT",
    "LOCALFN_LOG_LEVEL",
    "LOCALFN_EMBEDDED",
}


def test_each_function_runs_its_target_from_the_one_image(docs: list[objects.Doc]) -> None:
    workloads = objects.function_workloads(docs)
    assert sorted(objects.function_of(w) for w in workloads) == sorted(objects.FUNCTIONS)
    assert len({objects.main_container(w)["image"] for w in workloads}) == 1, "one image for every function"
    for wl in workloads:
        fn = objects.function_of(wl)
        folder, target = objects.FUNCTIONS[fn]
        c = objects.main_container(wl)
        assert wl["metadata"]["name"] == fn, "the Service is named after the function"
        assert objects.env_value(c, "FUNCTION_TARGET") == target
        assert objects.env_value(c, "FUNCTION_SOURCE") == f"/app/functions/{folder}/main.py"
        assert set(objects.env_of(c)) >= SETTINGS_ENV, SETTINGS_ENV - set(objects.env_of(c))
        assert objects.env_value(c, "LOCALFN_EMBEDDED") == "never"
        assert c["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert c["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert c["ports"][0]["containerPort"] == 8080
        assert c["resources"]["requests"] and c["resources"]["limits"]
        json.loads(objects.env_value(c, "LOCALFN_ENGINES"))


def test_function_specific_settings(default_docs: list[objects.Doc]) -> None:
    by_fn = {objects.function_of(w): objects.main_container(w) for w in objects.function_workloads(default_docs)}
    assert objects.env_value(by_fn["analyze-photo"], "LOCALFN_MAX_BODY_BYTES") == str(16 * 1024 * 1024)
    for fn in ("summarize", "route-query"):
        assert "LOCALFN_MAX_BODY_BYTES" not in objects.env_of(by_fn[fn]), "text functions keep their own default"
    assert objects.env_value(by_fn["generate-badge"], "LOCALFN_GENERATE_BADGE__HISTORY_PATH") == "/data/localfn/history.sqlite3"
    for fn, c in by_fn.items():
        if fn != "generate-badge":
            assert "LOCALFN_GENERATE_BADGE__HISTORY_PATH" not in objects.env_of(c)
        if fn != "route-query":
            assert not [n for n in objects.env_of(c) if n.startswith("LOCALFN_CLOUD__")]


def test_allowed_users_become_a_comma_list(helm: str) -> None:
    docs = rendering.render_scenario("default", "functions.analyze-photo.allowedUsers={ana,bo}")
    photo = next(w for w in objects.function_workloads(docs) if objects.function_of(w) == "analyze-photo")
    assert objects.env_value(objects.main_container(photo), "LOCALFN_ANALYZE_PHOTO__ALLOWED_USERS") == "ana,bo"


def test_knative_mode_renders_knative_services_only(default_docs: list[objects.Doc]) -> None:
    for wl in objects.function_workloads(default_docs):
        assert objects.is_custom(wl)
        c = objects.main_container(wl)
        assert "PORT" not in objects.env_of(c), "Knative sets PORT"
        assert "port" not in c["readinessProbe"]["httpGet"]
        assert wl["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    assert not objects.of_kind(default_docs, "Deployment") and not objects.of_kind(default_docs, "HorizontalPodAutoscaler")


def test_deployment_mode_renders_deployments_services_and_hpas(helm: str) -> None:
    docs = rendering.render_scenario("deployment")
    values = rendering.scenario_values("deployment")
    assert not [d for d in docs if objects.is_knative(d)], "no Knative object in deployment mode"
    deployments = objects.by_name(objects.of_kind(docs, "Deployment"))
    services = objects.by_name(objects.core_services(docs))
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in objects.of_kind(docs, "HorizontalPodAutoscaler")}
    assert sorted(objects.function_of(d) for d in deployments.values()) == sorted(objects.FUNCTIONS)
    for name, dep in deployments.items():
        fn = objects.function_of(dep)
        meta, spec = objects.pod_template(dep)
        assert objects.selects(dep["spec"]["selector"]["matchLabels"], meta["labels"])
        svc = services[name]
        assert objects.selects(svc["spec"]["selector"], meta["labels"])
        assert svc["spec"]["ports"][0]["targetPort"] == "http"
        c = objects.main_container(dep)
        assert objects.env_value(c, "PORT") == "8080"
        assert c["ports"][0]["name"] == "http"
        assert c["readinessProbe"]["httpGet"]["port"] == "http"
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["nodeSelector"] == values["functionDefaults"]["nodeSelector"]
        hpa = hpas[name]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        expected = values["functionDefaults"]["autoscaling"] | values["functions"][fn]["overrides"].get("autoscaling", {})
        assert hpa["spec"]["minReplicas"] == expected["minScale"]
        assert hpa["spec"]["maxReplicas"] == expected["maxScale"]
        assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == expected["scaleDownDelaySeconds"]
        kinds = {m["type"] for m in hpa["spec"]["metrics"]}
        assert kinds == {"Pods", "Resource"}
        pods_metric = next(m for m in hpa["spec"]["metrics"] if m["type"] == "Pods")
        assert pods_metric["pods"]["metric"]["name"] == values["serving"]["deployment"]["hpa"]["inFlight"]["metricName"]
        assert "replicas" not in dep["spec"], "the HPA owns the replica count"


def test_disabling_a_function_removes_everything_of_it(helm: str) -> None:
    docs = rendering.render_scenario("default", "functions.summarize.enabled=false")
    assert "summarize" not in {objects.function_of(w) for w in objects.function_workloads(docs)}
    assert not [t for t in objects.of_kind(docs, "Trigger") if "summarize" in t["spec"]["filter"]["attributes"]["type"]]
    readiness, requests = helm_test_pods(docs)
    assert "summarize" not in objects.env_value(readiness["spec"]["containers"][0], "URLS")
    assert "summarize" not in objects.env_value(requests["spec"]["containers"][0], "REQUESTS")


def helm_test_pods(docs: list[objects.Doc]) -> list[objects.Doc]:
    """The `helm test` pods, in the order helm runs them (hook weight): readiness, then requests."""
    pods = [p for p in objects.of_kind(docs, "Pod") if p["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
    pods.sort(key=lambda p: int(p["metadata"]["annotations"]["helm.sh/hook-weight"]))
    assert [p["metadata"]["name"].rsplit("-", 1)[-1] for p in pods] == ["readiness", "requests"]
    return pods


def test_helm_test_pod_calls_every_readiness_route(scenario: str, docs: list[objects.Doc]) -> None:
    (container,) = helm_test_pods(docs)[0]["spec"]["containers"]
    urls = objects.env_value(container, "URLS").split()
    values = rendering.scenario_values(scenario)
    expected = set()
    for wl in objects.function_workloads(docs):
        c = objects.main_container(wl)
        name = wl["metadata"]["name"]
        host = f"{name}.{rendering.NAMESPACE}.svc.{values['clusterDomain']}"
        if objects.is_custom(wl):
            expected.add(f"http://{host}{c['readinessProbe']['httpGet']['path']}")
        else:
            port = objects.by_name(objects.core_services(docs))[name]["spec"]["ports"][0]["port"]
            expected.add(f"http://{host}:{port}{c['readinessProbe']['httpGet']['path']}")
    assert set(urls) == expected
    assert all(urlparse(u).path == "/health/ready" for u in urls)
    assert container["image"] == objects.main_container(objects.function_workloads(docs)[0])["image"]


def test_helm_test_sends_each_function_its_example_and_checks_each_pools_models(scenario: str, docs: list[objects.Doc]) -> None:
    """After readiness, one real request per function (the repository's example, which the image ships
    at /app/examples) and GET /api/tags on each Ollama pool's Service for the models the values ask for."""
    (container,) = helm_test_pods(docs)[1]["spec"]["containers"]
    values = rendering.scenario_values(scenario)
    requests = dict(pair.split("=", 1) for pair in objects.env_value(container, "REQUESTS").split())
    readiness = objects.env_value(helm_test_pods(docs)[0]["spec"]["containers"][0], "URLS").split()
    assert sorted(requests) == sorted(url.removesuffix("/health/ready") + "/" for url in readiness)
    for path in requests.values():
        assert path.startswith("/app/examples/") and (rendering.REPO / "examples" / path.removeprefix("/app/examples/")).is_file(), path
    assert "COPY --chown=root:root examples/ /app/examples/" in (rendering.REPO / "Dockerfile").read_text()
    pools = dict(pair.split("=", 1) for pair in objects.env_value(container, "OLLAMA").split())
    services = {s["metadata"]["name"]: s for s in objects.core_services(docs)}
    expected = {}
    for pool in ("gpu", "cpu"):
        if values["ollama"][pool]["enabled"]:
            name = f"{rendering.RELEASE}-localfn-ollama-{pool}"
            port = services[name]["spec"]["ports"][0]["port"]
            expected[f"http://{name}.{rendering.NAMESPACE}.svc.{values['clusterDomain']}:{port}"] = ",".join(
                values["ollama"][pool]["models"]
            )
    assert pools == expected


def test_notes_tell_how_to_reach_every_function(helm: str, scenario: str) -> None:
    proc = rendering.run_helm(
        "install",
        rendering.RELEASE,
        str(rendering.CHART),
        "--dry-run=client",
        "--namespace",
        rendering.NAMESPACE,
        "-f",
        str(rendering.scenario_file(scenario)),
    )
    notes = proc.stdout.split("NOTES:", 1)[1]
    docs = rendering.render_scenario(scenario)
    for wl in objects.function_workloads(docs):
        assert f"http://{wl['metadata']['name']}.{rendering.NAMESPACE}.svc." in notes, wl["metadata"]["name"]
    assert f"helm test {rendering.RELEASE}" in notes
    for sts in objects.ollama_statefulsets(docs):
        assert f"logs -f {sts['metadata']['name']}-0 -c pull-models" in notes


@pytest.mark.parametrize("prefix", ["", "team-a-"])
def test_function_name_prefix(helm: str, prefix: str) -> None:
    docs = rendering.render_scenario("default", f"serving.functionNamePrefix={prefix}")
    names = {objects.function_of(w): w["metadata"]["name"] for w in objects.function_workloads(docs)}
    assert names == {fn: prefix + fn for fn in objects.FUNCTIONS}
