"""Engine autoscaling: KEDA ScaledObjects on the functions' demand, the ServiceMonitor that
feeds Prometheus, the refusals, and the warm-up that makes a new Ollama pod useful once ready.

The worked example is ci/autoscaling-values.yaml (GPU 0-4 pods, CPU 1-2). The Prometheus query
is checked against a real /metrics of the functions, configured with the engines the chart
renders; the warm-up script runs for real against the Ollama peer.
"""

from __future__ import annotations

import copy
import re
import subprocess
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from localfn.settings import BackendSettings
from tests.chart import crds, objects, rendering
from tests.support.asgi_server import serve_in_thread
from tests.support.http_checks import Scrape
from tests.support.localfn_app import make_settings, serve_client
from tests.support.ollama_peer import OllamaPeer

SCENARIO = "autoscaling"
PROMETHEUS = "ollama.{pool}.autoscaling.prometheus.serverAddress=http://prometheus.monitoring:9090"
# The prometheus scaler's metadata keys (KEDA docs, scalers/prometheus): every other key is a typo KEDA ignores.
PROMETHEUS_SCALER_KEYS = {
    "serverAddress", "query", "threshold", "activationThreshold", "namespace", "customHeaders",
    "ignoreNullValues", "unsafeSsl", "timeout", "queryParameters", "authModes",
}  # fmt: skip
# PromQL words in the query that are not metric names.
PROMQL_WORDS = {"sum", "or", "vector"}


def autoscaled(*extra: str, pools: tuple[str, ...] = ("gpu",)) -> list[str]:
    """--set lines that autoscale these pools with a Prometheus to ask and a ServiceMonitor to feed it."""
    lines = ["metrics.serviceMonitor.enabled=true"]
    for pool in pools:
        lines += [f"ollama.{pool}.autoscaling.enabled=true", PROMETHEUS.format(pool=pool)]
    return [*lines, *extra]


def pool_of(doc: objects.Doc) -> str:
    return objects.pod_template(doc)[0]["labels"]["localfn.io/pool"]


def scaled_objects(docs: list[objects.Doc]) -> dict[str, objects.Doc]:
    """ScaledObject per pool."""
    return {so["metadata"]["labels"]["localfn.io/pool"]: so for so in objects.of_kind(docs, "ScaledObject", "keda.sh")}


def trigger(so: objects.Doc) -> dict:
    (only,) = so["spec"]["triggers"]
    return only


def query_of(so: objects.Doc) -> str:
    return trigger(so)["metadata"]["query"]


def selectors(query: str) -> list[tuple[str, dict[str, str]]]:
    """(metric, label matchers) for every `name{...}` in a PromQL query; bare identifiers other than PromQL's own words too."""
    out = [(name, dict(re.findall(r'(\w+)="([^"]*)"', labels))) for name, labels in re.findall(r"(\w+)\{([^}]*)\}", query)]
    bare = re.sub(r"\w+\{[^}]*\}", "", query)
    out += [(word, {}) for word in re.findall(r"[A-Za-z_:][\w:]*", bare) if word not in PROMQL_WORDS]
    return out


@pytest.fixture
def example(helm: str) -> list[objects.Doc]:
    return rendering.render_scenario(SCENARIO)


# ---------------------------------------------------------------- the ScaledObjects


def test_the_worked_example_scales_gpu_0_to_4_and_cpu_1_to_2_on_their_demand(example: list[objects.Doc]) -> None:
    values = rendering.scenario_values(SCENARIO)["ollama"]
    objects = scaled_objects(example)
    assert set(objects) == {"gpu", "cpu"}
    ranges = [(objects[p]["spec"]["minReplicaCount"], objects[p]["spec"]["maxReplicaCount"]) for p in ("gpu", "cpu")]
    assert ranges == [(0, 4), (1, 2)]
    for pool, so in objects.items():
        spec, t = so["spec"], trigger(so)
        autoscaling = values[pool]["autoscaling"]
        assert t["type"] == "prometheus" and t["metricType"] == "AverageValue"
        assert set(t["metadata"]) <= PROMETHEUS_SCALER_KEYS
        # targetPerPod 0: as many requests per pod as one Ollama pod serves at once.
        assert t["metadata"]["threshold"] == str(values[pool]["settings"]["numParallel"])
        assert t["metadata"]["activationThreshold"] == "0"
        assert t["metadata"]["serverAddress"] == autoscaling["prometheus"]["serverAddress"]
        assert spec["cooldownPeriod"] == autoscaling["cooldownPeriod"]
        scale_down = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
        assert scale_down["stabilizationWindowSeconds"] == autoscaling["scaleDownStabilizationSeconds"]
    assert objects["gpu"]["spec"]["cooldownPeriod"] == 900, "the default outlasts a GPU model load"


def test_each_scaled_object_targets_its_pools_statefulset(example: list[objects.Doc]) -> None:
    statefulsets = {(d["apiVersion"], d["kind"], d["metadata"]["name"]): d for d in objects.ollama_statefulsets(example)}
    for pool, so in scaled_objects(example).items():
        ref = so["spec"]["scaleTargetRef"]
        target = statefulsets[(ref["apiVersion"], ref["kind"], ref["name"])]
        assert objects.pod_template(target)[0]["labels"]["localfn.io/pool"] == pool


def test_an_autoscaled_pool_leaves_replicas_to_keda(helm: str) -> None:
    both = {pool_of(s): s["spec"] for s in objects.ollama_statefulsets(rendering.render_scenario(SCENARIO))}
    assert "replicas" not in both["gpu"] and "replicas" not in both["cpu"]
    gpu_only = rendering.render(set_values=autoscaled())
    specs = {pool_of(s): s["spec"] for s in objects.ollama_statefulsets(gpu_only)}
    assert "replicas" not in specs["gpu"]
    assert specs["cpu"]["replicas"] == 1, "a pool KEDA does not scale keeps its fixed count"
    assert set(scaled_objects(gpu_only)) == {"gpu"}


def test_target_per_pod_and_activation_threshold_are_passed_as_strings(helm: str) -> None:
    docs = rendering.render(set_values=autoscaled("ollama.gpu.autoscaling.targetPerPod=6", "ollama.gpu.autoscaling.activationThreshold=2"))
    so = scaled_objects(docs)
    assert trigger(so["gpu"])["metadata"]["threshold"] == "6"
    assert trigger(so["gpu"])["metadata"]["activationThreshold"] == "2"


def gauge_selector(so: objects.Doc) -> tuple[str, dict[str, str]]:
    """The one localfn gauge a ScaledObject's query reads, with its label matchers."""
    (selector,) = [s for s in selectors(query_of(so)) if s[0].startswith("localfn_")]
    return selector


def test_the_first_pool_scales_on_its_demand_the_one_behind_on_the_calls_it_serves(example: list[objects.Doc]) -> None:
    """The backend label is the name LOCALFN_ENGINES gives the engine that calls this pool's Service; the CPU pool
    behind the GPU pool is never a request's first engine, so its demand is always 0."""
    engines = objects.engines_of(objects.main_container(objects.function_workloads(example)[0]))
    order = [e["name"] for e in engines]
    services = {s["metadata"]["name"]: s for s in objects.core_services(example)}
    for pool, so in scaled_objects(example).items():
        metric, matchers = gauge_selector(so)
        engine = engines[order.index(matchers["backend"])]
        service = services[urlparse(engine["url"]).hostname.split(".")[0]]
        assert service["spec"]["selector"]["localfn.io/pool"] == pool
        assert metric == ("localfn_engine_demand" if order.index(engine["name"]) == 0 else "localfn_engine_in_flight")
        assert query_of(so).startswith("sum(") and query_of(so).endswith(" or vector(0)")


def test_the_cpu_pool_alone_scales_on_its_demand(helm: str) -> None:
    docs = rendering.render(set_values=autoscaled("ollama.gpu.enabled=false", "ollama.cpu.autoscaling.minReplicas=0", pools=("cpu",)))
    so = scaled_objects(docs)["cpu"]
    assert gauge_selector(so)[0] == "localfn_engine_demand"
    assert so["spec"]["minReplicaCount"] == 0


async def test_the_query_names_only_series_the_functions_export(example: list[objects.Doc], closed_port_url: str) -> None:
    """A real app with the chart's engine list (each pool's URL now a closed port: pools with no pods) is asked once;
    its /metrics then holds every metric, label and backend the queries select, apart from the labels Prometheus
    adds to a target (namespace, service)."""
    engines = objects.engines_of(objects.main_container(objects.function_workloads(example)[0]))
    settings = make_settings(*[BackendSettings(**{**e, "url": closed_port_url}) for e in engines], cache_ttl_s=0)
    async with serve_client(settings) as (client, _):
        asked = await client.post("/summarize", json={"mode": "context", "context": "word " * 50, "max_summary_tokens": 20})
        scrape = Scrape.parse((await client.get("/summarize/metrics")).text)
    assert asked.status_code == 503, asked.text  # every pool failed over: each gauge was touched
    exported = {(name, labels) for name, labels in scrape.values}
    for so in scaled_objects(example).values():
        for metric, matchers in selectors(query_of(so)):
            own = {k: v for k, v in matchers.items() if k not in ("namespace", "service")}
            assert any(name == metric and own.items() <= dict(labels).items() for name, labels in exported), (metric, own)


def test_the_query_selects_the_series_the_service_monitor_labels(example: list[objects.Doc]) -> None:
    (monitor_service,) = [
        s for s in objects.core_services(example) if s["metadata"]["labels"]["app.kubernetes.io/component"] == "function-metrics"
    ]
    for so in scaled_objects(example).values():
        matchers = gauge_selector(so)[1]
        assert matchers["namespace"] == rendering.NAMESPACE
        assert matchers["service"] == monitor_service["metadata"]["name"]


def test_a_series_selector_replaces_the_service_monitor_labels(helm: str) -> None:
    docs = rendering.render(set_values=autoscaled('metrics.seriesSelector=job="localfn"', "metrics.serviceMonitor.enabled=false"))
    assert gauge_selector(scaled_objects(docs)["gpu"])[1] == {"backend": "gpu", "job": "localfn"}
    assert not objects.of_kind(docs, "ServiceMonitor")


def test_the_notes_say_which_pools_keda_scales_and_on_what(example: list[objects.Doc]) -> None:
    proc = rendering.run_helm(
        "install", rendering.RELEASE, str(rendering.CHART), "--dry-run=client", "--namespace", rendering.NAMESPACE,
        "-f", str(rendering.scenario_file(SCENARIO)),
    )  # fmt: skip
    notes = proc.stdout.split("NOTES:", 1)[1]
    for so in scaled_objects(example).values():
        assert f"get scaledobject {so['metadata']['name']}" in notes
        assert f"pods on the functions' {gauge_selector(so)[0]};" in notes


# ---------------------------------------------------------------- KEDA objects against the CRDs


def test_keda_objects_of_the_example_are_valid_against_the_crds(example: list[objects.Doc]) -> None:
    keda = [d for d in example if d["apiVersion"].startswith("keda.sh/")]
    assert {d["kind"] for d in keda} == {"ScaledObject", "TriggerAuthentication"}
    assert [e for d in keda for e in crds.crd_errors(d)] == []


@pytest.mark.parametrize(
    ("kind", "mutate"),
    [
        ("ScaledObject", lambda d: d["spec"].update(minReplicaCount="0")),
        ("ScaledObject", lambda d: d["spec"]["triggers"][0]["metadata"].update(threshold=4)),
        ("ScaledObject", lambda d: d["spec"]["scaleTargetRef"].update(nme="x")),
        ("ScaledObject", lambda d: d["spec"].update(triggers=[])),
        ("ScaledObject", lambda d: d["spec"]["triggers"][0]["authenticationRef"].update(kind="Secret")),
        ("TriggerAuthentication", lambda d: d["spec"]["secretTargetRef"][0].pop("key")),
        ("TriggerAuthentication", lambda d: d["spec"].update(secretTargetRefs=[])),
    ],
    ids=[
        "min-as-string",
        "threshold-as-number",
        "misspelled-field",
        "no-trigger",
        "bad-auth-kind",
        "ref-without-key",
        "misspelled-spec",
    ],
)
def test_the_crd_check_catches_mistakes(example: list[objects.Doc], kind: str, mutate) -> None:
    doc = copy.deepcopy(objects.of_kind(example, kind, "keda.sh")[0])
    mutate(doc)
    assert crds.crd_errors(doc), f"{kind}: mistake not caught"


def test_credentials_come_only_from_secrets(example: list[objects.Doc]) -> None:
    auths = {a["metadata"]["name"]: a for a in objects.of_kind(example, "TriggerAuthentication", "keda.sh")}
    values = rendering.scenario_values(SCENARIO)["ollama"]
    for pool, so in scaled_objects(example).items():
        t = trigger(so)
        auth = auths[t["authenticationRef"]["name"]]
        assert t["metadata"]["authModes"] == "bearer"
        assert set(auth["spec"]) == {"secretTargetRef"}, "no literal value, no other source"
        assert auth["spec"]["secretTargetRef"] == values[pool]["autoscaling"]["prometheus"]["secretTargetRefs"]


def test_an_existing_trigger_authentication_is_referenced_not_rendered(helm: str) -> None:
    docs = rendering.render(
        set_values=autoscaled(
            "ollama.gpu.autoscaling.prometheus.authModes=basic", "ollama.gpu.autoscaling.prometheus.authenticationRef=prom-basic"
        )
    )
    assert not objects.of_kind(docs, "TriggerAuthentication")
    assert trigger(scaled_objects(docs)["gpu"])["authenticationRef"] == {"name": "prom-basic"}


def test_without_credentials_no_authentication_is_named(helm: str) -> None:
    t = trigger(scaled_objects(rendering.render(set_values=autoscaled()))["gpu"])
    assert "authenticationRef" not in t and "authModes" not in t["metadata"]


# ---------------------------------------------------------------- refusals


def test_gpu_to_zero_with_a_cpu_pool_that_keeps_a_pod_renders(helm: str) -> None:
    for cpu in (["ollama.cpu.replicas=1"], ["ollama.cpu.autoscaling.enabled=true", PROMETHEUS.format(pool="cpu")]):
        assert scaled_objects(rendering.render(set_values=autoscaled(*cpu)))["gpu"]["spec"]["minReplicaCount"] == 0


def test_allow_cold_start_wait_accepts_gpu_to_zero_alone(helm: str) -> None:
    docs = rendering.render(set_values=autoscaled("ollama.cpu.enabled=false", "ollama.gpu.autoscaling.allowColdStartWait=true"))
    assert scaled_objects(docs)["gpu"]["spec"]["minReplicaCount"] == 0
    assert [e["name"] for e in objects.engines_of(objects.main_container(objects.function_workloads(docs)[0]))] == ["gpu"]


COLD_START = "ollama.gpu.autoscaling.minReplicas=0 needs the CPU pool enabled with at least one pod"
REFUSALS = [
    (autoscaled("ollama.cpu.enabled=false"), COLD_START),
    (autoscaled("ollama.cpu.replicas=0"), COLD_START),
    (autoscaled("ollama.cpu.autoscaling.minReplicas=0", pools=("gpu", "cpu")), COLD_START),
    (
        autoscaled("ollama.gpu.autoscaling.minReplicas=1", "ollama.cpu.autoscaling.minReplicas=0", pools=("gpu", "cpu")),
        "would never wake",
    ),
    (
        autoscaled("ollama.gpu.autoscaling.minReplicas=3", "ollama.gpu.autoscaling.maxReplicas=2"),
        "maxReplicas=2 is below minReplicas=3",
    ),
    (["metrics.serviceMonitor.enabled=true", "ollama.gpu.autoscaling.enabled=true"], "prometheus.serverAddress is empty"),
    (
        autoscaled(
            "ollama.gpu.autoscaling.prometheus.authModes=bearer",
            "ollama.gpu.autoscaling.prometheus.authenticationRef=a",
            "ollama.gpu.autoscaling.prometheus.secretTargetRefs[0].parameter=bearerToken",
            "ollama.gpu.autoscaling.prometheus.secretTargetRefs[0].name=s",
            "ollama.gpu.autoscaling.prometheus.secretTargetRefs[0].key=k",
        ),
        "not both",
    ),
    (autoscaled("ollama.gpu.autoscaling.prometheus.authenticationRef=a"), "has credentials but no authModes"),
    (autoscaled("ollama.gpu.autoscaling.prometheus.authModes=bearer"), "authModes=bearer needs credentials"),
    (autoscaled("metrics.serviceMonitor.enabled=false"), "needs the functions' metrics in Prometheus"),
    (["ollama.cpu.warmUp.models={llama3.2:1b,moondream:1.8b}"], "but settings.maxLoadedModels=1"),
    (["ollama.gpu.warmUp.models={phi3:mini}"], "phi3:mini is not in ollama.gpu.models"),
]


@pytest.mark.parametrize(("settings", "message"), REFUSALS, ids=[m for _, m in REFUSALS])
def test_configurations_that_would_drop_requests_are_refused(helm: str, settings: list[str], message: str) -> None:
    err = rendering.render_error(set_values=settings)
    assert "VALUES VALIDATION" in err and message in err, err


@pytest.mark.parametrize(
    ("setting", "where"),
    [
        ("ollama.cpu.autoscaling.allowColdStartWait=true", "allowColdStartWait"),
        ("ollama.gpu.autoscaling.minReplicas=-1", "minReplicas"),
        ("ollama.gpu.autoscaling.prometheus.authModes=oauth", "authModes"),
        ("ollama.gpu.autoscaling.prometheus.serverAddress=prometheus:9090", "serverAddress"),
        ('metrics.seriesSelector={job="x"}', "seriesSelector"),
        ("metrics.serviceMonitor.interval=15 seconds", "interval"),
        ("ollama.gpu.warmUp.timeoutSeconds=0", "timeoutSeconds"),
    ],
)
def test_the_schema_rejects_wrong_autoscaling_values(helm: str, setting: str, where: str) -> None:
    err = rendering.render_error(set_values=[setting])
    assert "values don't meet the specifications of the schema" in err and where in err, err


# ---------------------------------------------------------------- ServiceMonitor


@pytest.mark.parametrize("mode", ["knative", "deployment"])
def test_the_service_monitor_selects_the_function_pods_metrics_port(helm: str, mode: str) -> None:
    docs = rendering.render([rendering.scenario_file(SCENARIO)], [f"serving.mode={mode}", "eventing.enabled=false"])
    (monitor,) = objects.of_kind(docs, "ServiceMonitor", "monitoring.coreos.com")
    assert crds.crd_errors(monitor) == []
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [rendering.NAMESPACE]}
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack", "the Prometheus's serviceMonitorSelector"
    selector = monitor["spec"]["selector"]["matchLabels"]
    (service,) = [s for s in objects.core_services(docs) if objects.selects(selector, s["metadata"]["labels"])]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
    pods = [
        w for w in objects.workloads(docs) if objects.selects(service["spec"]["selector"], objects.pod_template(w)[0].get("labels", {}))
    ]
    assert sorted(objects.function_of(w) for w in pods) == sorted(objects.FUNCTIONS), "every function pod, and only those"
    for workload in pods:
        ports = [p["containerPort"] for p in objects.main_container(workload)["ports"]]
        assert port["targetPort"] in ports, f"{objects.function_of(workload)} serves /metrics on {ports}"


def test_no_service_monitor_unless_asked(default_docs: list[objects.Doc]) -> None:
    assert not objects.of_kind(default_docs, "ServiceMonitor")
    assert not objects.of_kind(default_docs, "ScaledObject")


def test_the_service_monitor_check_catches_mistakes(example: list[objects.Doc]) -> None:
    (monitor,) = objects.of_kind(example, "ServiceMonitor", "monitoring.coreos.com")
    for mutate in (
        lambda m: m["spec"]["endpoints"][0].update(interval="15 seconds"),
        lambda m: m["spec"]["endpoints"][0].update(prot="metrics"),
        lambda m: m["spec"].pop("selector"),
    ):
        broken = copy.deepcopy(monitor)
        mutate(broken)
        assert crds.crd_errors(broken)


# ---------------------------------------------------------------- warm-up and pending pods


def test_the_startup_probe_warms_the_pools_models(example: list[objects.Doc]) -> None:
    values = rendering.scenario_values(SCENARIO)["ollama"]
    scripts = {k: v for c in objects.of_kind(example, "ConfigMap") for k, v in c.get("data", {}).items()}
    for sts in objects.ollama_statefulsets(example):
        pool = values[pool_of(sts)]
        main = objects.main_container(sts)
        probe = main["startupProbe"]
        assert probe["exec"]["command"][0] == "/bin/bash"
        script = probe["exec"]["command"][-1]
        mount = next(m for m in main["volumeMounts"] if script.startswith(m["mountPath"] + "/"))
        assert mount["name"] == "scripts" and scripts[script.rsplit("/", 1)[1]]
        assert probe["timeoutSeconds"] == pool["warmUp"]["timeoutSeconds"]
        assert objects.env_value(main, "OLLAMA_WARM_UP_MODELS").split() == (pool["warmUp"]["models"] or [pool["model"]])
        # Readiness is probed only after startup succeeded: traffic waits for the load.
        assert main["readinessProbe"]["httpGet"]["path"] == "/api/tags"


def test_warm_up_loads_the_models_it_is_given(helm: str) -> None:
    docs = rendering.render(set_values=["ollama.gpu.warmUp.models={llama3.1:8b,llava:7b}"])
    gpu = next(s for s in objects.ollama_statefulsets(docs) if pool_of(s) == "gpu")
    assert objects.env_value(objects.main_container(gpu), "OLLAMA_WARM_UP_MODELS") == "llama3.1:8b llava:7b"


def test_warm_up_off_keeps_the_plain_startup_probe(helm: str) -> None:
    docs = rendering.render(set_values=["ollama.gpu.warmUp.enabled=false"])
    gpu = next(s for s in objects.ollama_statefulsets(docs) if pool_of(s) == "gpu")
    main = objects.main_container(gpu)
    assert main["startupProbe"]["httpGet"]["path"] == "/"
    assert objects.env_value(main, "OLLAMA_WARM_UP_MODELS") is None


def test_nothing_bounds_how_long_an_ollama_pod_may_wait_for_a_gpu_node(example: list[objects.Doc]) -> None:
    """A pod Pending on a GPU node being provisioned is neither timed out nor replaced by the chart's objects."""
    for sts in objects.ollama_statefulsets(example):
        _, spec = objects.pod_template(sts)
        assert "activeDeadlineSeconds" not in spec
        assert sts["spec"]["podManagementPolicy"] == "Parallel", "one Pending pod does not hold back the others"
    assert not [d for d in example if d["kind"] in ("Job", "CronJob")], "no job that could clean pods up"


@pytest.fixture
def peer() -> Iterator[tuple[OllamaPeer, str]]:
    """The Ollama peer alone: loads (a generate without a prompt) never reach its upstream."""
    ollama = OllamaPeer("http://127.0.0.1:9", {"tiny:latest": "tiny", "eyes:latest": "tiny"})
    with serve_in_thread(ollama) as url:
        yield ollama, url
    assert ollama.violations == [], "the warm-up sent something off Ollama's spec"


def warm_up(url: str, models: str) -> subprocess.CompletedProcess[str]:
    """Run the startup probe's script with the environment the Ollama container gives it."""
    env = {
        "PATH": "/usr/bin:/bin",
        "OLLAMA_HOST": f"0.0.0.0:{urlparse(url).port}",
        "OLLAMA_WARM_UP_MODELS": models,
        "OLLAMA_KEEP_ALIVE": "24h",
    }
    script = str(rendering.CHART / "files" / "warm-up.sh")
    return subprocess.run(["/bin/bash", script], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_warm_up_loads_each_model_with_the_pools_keep_alive(peer) -> None:
    ollama, url = peer
    proc = warm_up(url, "tiny eyes")
    assert proc.returncode == 0, proc.stderr
    assert ollama.loaded == ["tiny:latest", "eyes:latest"]
    loads = [body for path, body in ollama.requests if path == "/api/generate"]
    assert [(b["model"], b["keep_alive"], "prompt" in b) for b in loads] == [("tiny", "24h", False), ("eyes", "24h", False)]


def test_the_warm_up_fails_and_says_why_when_a_model_does_not_load(peer) -> None:
    ollama, url = peer
    proc = warm_up(url, "tiny llama3.1:8b")
    assert proc.returncode != 0
    assert "llama3.1:8b" in proc.stderr and "404" in proc.stderr and "not found" in proc.stderr, proc.stderr
    assert ollama.loaded == ["tiny:latest"]


def test_the_warm_up_fails_while_the_server_is_not_up(closed_port_url: str) -> None:
    proc = warm_up(closed_port_url, "tiny")
    assert proc.returncode != 0
