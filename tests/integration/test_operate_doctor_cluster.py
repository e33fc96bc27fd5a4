"""`localfn doctor --cluster` against FakeKubeApi serving the chart as a cluster runs it.

The objects are the real chart's, rendered by helm and checked against the Kubernetes and CRD
schemas as they are added (tests/support/fake_kube_api.py); each test breaks one thing a GPU
deployment gets wrong and expects the FAIL (or WARN) that names it, with its fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from localfn.cli import main
from tests.chart import rendering
from tests.support.asgi_server import serve_in_thread
from tests.support.fake_cluster import SECRET_MARKER, ChartCluster, chart_cluster, kubectl_localfn
from tests.support.fake_kube_api import kubeconfig

pytestmark = pytest.mark.skipif(rendering.find_helm() is None, reason="needs the helm binary (scripts/install-k8s-tools.sh)")

GPU_POD = "demo-localfn-ollama-gpu-0"
CPU_POD = "demo-localfn-ollama-cpu-0"


def doctor(cluster: ChartCluster, tmp_path: Path, *args: str) -> tuple[Result, list[dict[str, Any]]]:
    """Run `localfn doctor --cluster --json` against the cluster; the result and its checks."""
    with serve_in_thread(cluster.api) as url:
        config = tmp_path / "kubeconfig"
        config.write_text(yaml.safe_dump(kubeconfig(url, rendering.NAMESPACE)))
        result = CliRunner().invoke(
            main, ["doctor", "--cluster", "--kubeconfig", str(config), "--release", rendering.RELEASE, "--json", *args]
        )
    assert SECRET_MARKER not in result.output
    return result, json.loads(result.output)["checks"] if result.output.startswith("{") else []


def find(checks: list[dict[str, Any]], name: str, status: str) -> dict[str, Any]:
    found = [c for c in checks if c["name"] == name and c["status"] == status]
    assert found, f"no {status} {name!r} in {json.dumps(checks, indent=1)}"
    return found[0]


@pytest.fixture
def gpu_values() -> dict[str, Any]:
    return {"ollama": {"gpu": {"runtimeClassName": "nvidia"}}}


@pytest.fixture
def healthy(gpu_values: dict[str, Any]) -> Iterator[ChartCluster]:
    cluster = chart_cluster(gpu_values)
    cluster.peers[GPU_POD].loaded.append("llama3.1:8b")
    cluster.peers[GPU_POD].vram["llama3.1:8b"] = 6 << 30
    yield cluster
    for peer in cluster.peers.values():
        assert peer.violations == []


def test_a_healthy_release_passes_every_check(healthy: ChartCluster, tmp_path: Path) -> None:
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 0, result.output
    assert {c["status"] for c in checks} == {"OK"}, [c for c in checks if c["status"] != "OK"]
    names = {c["name"] for c in checks}
    assert {
        "cluster",
        "release values",
        "knative serving",
        "knative eventing",
        "gpu nodes",
        "free gpus",
        "gpu taints",
        "runtime class",
        "ollama-gpu pods",
        "ollama-gpu pvc",
        "ollama-gpu models",
        "ollama-cpu models",
        "function summarize",
        "trigger summarize",
    } <= names
    assert "Kubernetes v1.33.4" in find(checks, "cluster", "OK")["detail"]
    assert "release demo revision 1" in find(checks, "release values", "OK")["detail"]
    assert "llama3.1:8b (GPU)" in find(checks, "ollama-gpu models", "OK")["detail"]
    assert "revision summarize-00001" in find(checks, "function summarize", "OK")["detail"]


def test_the_text_report_has_one_line_per_check(healthy: ChartCluster, tmp_path: Path) -> None:
    with serve_in_thread(healthy.api) as url:
        config = tmp_path / "kubeconfig"
        config.write_text(yaml.safe_dump(kubeconfig(url, rendering.NAMESPACE)))
        result = CliRunner().invoke(
            main, ["doctor", "--cluster", "--release", rendering.RELEASE], env={"KUBECONFIG": str(config)}, terminal_width=100
        )
    assert result.exit_code == 0, result.output
    assert "OK: all" in result.output and "localfn release demo in localfn-test (context fake)" in result.output


def test_no_gpu_node(healthy: ChartCluster, tmp_path: Path) -> None:
    del healthy.api.find("Node", "gpu-node-1")["status"]["allocatable"]["nvidia.com/gpu"]
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    assert "GPU Operator" in find(checks, "gpu nodes", "FAIL")["fix"]


def test_a_gpu_taint_the_pool_does_not_tolerate(healthy: ChartCluster, tmp_path: Path) -> None:
    healthy.api.find("Node", "gpu-node-1")["spec"]["taints"].append({"key": "dedicated", "value": "ml", "effect": "NoSchedule"})
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    assert "{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}" in find(checks, "gpu taints", "FAIL")["fix"]


def test_runtime_class_missing(healthy: ChartCluster, tmp_path: Path) -> None:
    healthy.api.remove("RuntimeClass", "nvidia")
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    check = find(checks, "runtime class", "FAIL")
    assert "'nvidia'" in check["detail"] and "kubectl get runtimeclass" in check["fix"]


def test_a_gpu_pod_not_scheduled(healthy: ChartCluster, tmp_path: Path) -> None:
    pod = healthy.api.find("Pod", GPU_POD)
    del pod["spec"]["nodeName"]
    pod["status"] = {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/2 nodes are available: 1 Insufficient nvidia.com/gpu.",
            }
        ],
    }
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    assert "Insufficient nvidia.com/gpu" in find(checks, "ollama-gpu pods", "FAIL")["detail"]


def test_pvc_pending(healthy: ChartCluster, tmp_path: Path) -> None:
    claim = healthy.api.find("PersistentVolumeClaim", f"models-{GPU_POD}")
    claim["status"] = {"phase": "Pending"}
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    check = find(checks, "ollama-gpu pvc", "FAIL")
    assert "Pending" in check["detail"] and "ollama.gpu.persistence.storageClass" in check["fix"]


def test_a_model_missing(healthy: ChartCluster, tmp_path: Path) -> None:
    del healthy.peers[CPU_POD].models["moondream:1.8b"]
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    check = find(checks, "ollama-cpu models", "FAIL")
    assert "lacks moondream:1.8b" in check["detail"] and "localfn models pull moondream:1.8b" in check["fix"]


def test_a_gpu_model_running_on_the_cpu(healthy: ChartCluster, tmp_path: Path) -> None:
    healthy.peers[GPU_POD].vram.clear()
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 0  # a warning: it answers, slowly
    assert "nvidia-smi" in find(checks, "ollama-gpu models", "WARN")["fix"]


def test_trigger_without_dead_letter_sink(healthy: ChartCluster, tmp_path: Path) -> None:
    del healthy.api.find("Trigger", "summarize")["spec"]["delivery"]["deadLetterSink"]
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 0
    assert "eventing.deadLetter.create=true" in find(checks, "trigger summarize", "WARN")["fix"]


def test_a_knative_service_not_ready(healthy: ChartCluster, tmp_path: Path) -> None:
    service = next(
        o for o in healthy.api.objects if o["kind"] == "Service" and o["metadata"]["name"] == "summarize" and "knative" in o["apiVersion"]
    )
    service["status"]["conditions"][0] = {
        "type": "Ready",
        "status": "False",
        "reason": "RevisionMissing",
        "message": 'Configuration "summarize" does not have any ready Revision.',
    }
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    assert "does not have any ready Revision" in find(checks, "function summarize", "FAIL")["detail"]


def test_knative_missing(healthy: ChartCluster, tmp_path: Path) -> None:
    healthy.api.groups -= {"serving.knative.dev", "eventing.knative.dev"}
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1
    assert "serving.mode=deployment" in find(checks, "knative serving", "FAIL")["fix"]


def test_a_release_that_is_not_there(healthy: ChartCluster, tmp_path: Path) -> None:
    result, checks = doctor(healthy, tmp_path, "--release", "nope")
    assert result.exit_code == 1 and len(checks) == 2
    assert "helm list -A" in find(checks, "release values", "FAIL")["fix"]


def test_an_unreachable_cluster_stops_at_the_first_check(tmp_path: Path, closed_port_url: str) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(yaml.safe_dump(kubeconfig(closed_port_url, rendering.NAMESPACE)))
    result = CliRunner().invoke(main, ["doctor", "--cluster", "--kubeconfig", str(config), "--json"])
    assert result.exit_code == 1
    checks = json.loads(result.output)["checks"]
    assert [c["name"] for c in checks] == ["cluster"] and checks[0]["status"] == "FAIL"


@pytest.fixture
def autoscaled() -> Iterator[ChartCluster]:
    values = yaml.safe_load(rendering.scenario_file("autoscaling").read_text())
    yield chart_cluster(values)


def test_scaled_objects_ready_and_idle(autoscaled: ChartCluster, tmp_path: Path) -> None:
    result, checks = doctor(autoscaled, tmp_path)
    assert result.exit_code == 0, result.output
    assert "idle" in find(checks, "autoscaling gpu", "OK")["detail"]
    find(checks, "keda", "OK")


def test_scaled_object_not_ready(autoscaled: ChartCluster, tmp_path: Path) -> None:
    scaled = autoscaled.api.find("ScaledObject", "demo-localfn-ollama-gpu")
    scaled["status"]["conditions"][0] = {
        "type": "Ready",
        "status": "False",
        "reason": "ScaledObjectCheckFailed",
        "message": "error establishing prometheus connection",
    }
    result, checks = doctor(autoscaled, tmp_path)
    assert result.exit_code == 1
    check = find(checks, "autoscaling gpu", "FAIL")
    assert "prometheus connection" in check["detail"] and "autoscaling.prometheus.serverAddress" in check["fix"]


def test_secrets_not_readable_asks_for_values(healthy: ChartCluster, tmp_path: Path) -> None:
    healthy.api.forbidden.add("secrets")
    result, checks = doctor(healthy, tmp_path)
    assert result.exit_code == 1 and [c["name"] for c in checks] == ["cluster", "release values"]  # nothing judged against no values
    assert "helm get values demo --all" in find(checks, "release values", "FAIL")["fix"]
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(healthy.values))
    result, checks = doctor(healthy, tmp_path, "--values", str(values))
    assert result.exit_code == 0, result.output
    find(checks, "ollama-gpu models", "OK")


def test_kubectl_runs_it_as_a_plugin_with_its_own_flags(healthy: ChartCluster, tmp_path: Path) -> None:
    """`kubectl localfn doctor --context ... -n ...`: the real kubectl finds kubectl-localfn on PATH; doctor means --cluster."""
    settings = kubeconfig("http://replaced", "elsewhere", context="other")
    settings["contexts"].append({"name": "fake", "context": {"cluster": "fake", "user": "operator"}})
    done = kubectl_localfn(
        healthy,
        tmp_path,
        "doctor",
        "--context",
        "fake",
        "-n",
        rendering.NAMESPACE,
        "--release",
        rendering.RELEASE,
        "--json",
        config=settings,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["context"], report["namespace"], report["ok"]) == ("fake", rendering.NAMESPACE, True)


@pytest.fixture
def shared_state() -> Iterator[ChartCluster]:
    yield chart_cluster(yaml.safe_load(rendering.scenario_file("state-deploy").read_text()))


def test_a_store_without_errors(shared_state: ChartCluster, tmp_path: Path) -> None:
    result, checks = doctor(shared_state, tmp_path)
    assert result.exit_code == 0, result.output
    assert "no store errors in 5 function pods" in find(checks, "shared state", "OK")["detail"]


def test_store_errors_growing_now(shared_state: ChartCluster, tmp_path: Path) -> None:
    failing = next(iter(shared_state.functions.values()))
    failing.failing = True
    result, checks = doctor(shared_state, tmp_path)
    assert result.exit_code == 0  # the functions answer anyway, each with its own state
    assert "state.redis" in find(checks, "shared state", "WARN")["fix"]


def test_store_errors_that_stopped(shared_state: ChartCluster, tmp_path: Path) -> None:
    next(iter(shared_state.functions.values())).metrics.state_errors.labels(op="get", reason="timeout").inc(3)
    _, checks = doctor(shared_state, tmp_path)
    assert "3 store errors since the pods started, none in the last 2 s" in find(checks, "shared state", "OK")["detail"]


def test_deployment_mode_needs_no_knative_serving(tmp_path: Path) -> None:
    cluster = chart_cluster(yaml.safe_load(rendering.scenario_file("deployment-eventing").read_text()))
    assert "serving.knative.dev" not in cluster.api.groups
    result, checks = doctor(cluster, tmp_path)
    assert result.exit_code == 0, result.output
    assert "serving.mode=deployment" in find(checks, "knative serving", "OK")["detail"]
    assert find(checks, "function summarize", "OK")["detail"].startswith("Deployment ")
    find(checks, "trigger summarize", "OK")
    deployment = next(o for o in cluster.api.objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "summarize")
    deployment["status"]["readyReplicas"] = 0
    result, checks = doctor(cluster, tmp_path)
    assert result.exit_code == 1 and "0/" in find(checks, "function summarize", "FAIL")["detail"]


def test_an_unknown_context_names_the_ones_there(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(yaml.safe_dump(kubeconfig("http://127.0.0.1:9", rendering.NAMESPACE, context="prod")))
    result = CliRunner().invoke(main, ["doctor", "--cluster", "--kubeconfig", str(config), "--context", "staging"])
    assert result.exit_code == 1 and "no context 'staging' in the kubeconfig; it has: prod" in result.output
