"""`localfn status --cluster` against FakeKubeApi serving the chart as a cluster runs it.

The objects are the real chart's, rendered by helm and checked against the Kubernetes and CRD
schemas as they are added (tests/support/fake_kube_api.py); in Knative mode the pods are those
Knative runs for the latest revision. Each function pod serves localfn's own /metrics through the
fake's pod proxy, so the figures are summed from real Prometheus pages.
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


def status(cluster: ChartCluster, tmp_path: Path, *args: str) -> Result:
    """Run `localfn status --cluster` against the cluster."""
    with serve_in_thread(cluster.api) as url:
        config = tmp_path / "kubeconfig"
        config.write_text(yaml.safe_dump(kubeconfig(url, rendering.NAMESPACE)))
        result = CliRunner().invoke(main, ["status", "--cluster", "--kubeconfig", str(config), "--release", rendering.RELEASE, *args])
    assert SECRET_MARKER not in result.output
    return result


def report(cluster: ChartCluster, tmp_path: Path) -> dict[str, Any]:
    result = status(cluster, tmp_path, "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def function(found: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in found["functions"] if f["name"] == name)


@pytest.fixture
def knative() -> Iterator[ChartCluster]:
    cluster = chart_cluster({"ollama": {"gpu": {"runtimeClassName": "nvidia"}}})
    cluster.peers[GPU_POD].loaded.append("llama3.1:8b")
    cluster.peers[GPU_POD].vram["llama3.1:8b"] = 6 << 30
    yield cluster
    for peer in cluster.peers.values():
        assert peer.violations == []


@pytest.fixture
def deployment_mode() -> ChartCluster:
    return chart_cluster(yaml.safe_load(rendering.scenario_file("deployment-eventing").read_text()))


def two_summarize_pods(cluster: ChartCluster) -> list[str]:
    """summarize scaled to two pods: three quick answers in one, a slow failure in the other."""
    cluster.add_function_pod("summarize")
    quick, slow = (cluster.functions[pod] for pod in cluster.pods_of("summarize"))
    quick.answered(200, 0.02, 0.02, 0.02)
    slow.answered(500, 3.0)
    return cluster.pods_of("summarize")


def assert_summed(summarize: dict[str, Any]) -> None:
    """4 answers, 1 error; the quantiles of the added buckets, not of either pod nor their mean.

    p50: rank 2 of 4 in (0.01, 0.025], holding 3: 0.01 + 0.015 * 2/3. p99: rank 3.96 in (2.5, 5],
    holding the 4th: 2.5 + 2.5 * 0.96 (the slow pod alone: 4.975; the quick one: 0.02485).
    """
    assert (summarize["requests"], summarize["errors"], summarize["in_flight"]) == (4, 1, 0)
    assert summarize["p50_s"] == pytest.approx(0.02)
    assert summarize["p99_s"] == pytest.approx(4.9)


def test_knative_replicas_and_metrics_summed_over_two_pods(knative: ChartCluster, tmp_path: Path) -> None:
    pods = two_summarize_pods(knative)
    found = report(knative, tmp_path)
    assert (found["context"], found["namespace"], found["release"], found["mode"]) == (
        "fake",
        rendering.NAMESPACE,
        rendering.RELEASE,
        "knative",
    )
    assert [f["name"] for f in found["functions"]] == ["summarize", "generate-badge", "extract-parameters", "analyze-photo", "route-query"]
    summarize = function(found, "summarize")
    assert summarize["ready"] and (summarize["ready_replicas"], summarize["desired_replicas"]) == (2, 2)
    assert summarize["revision"] == "summarize-00001" and summarize["pods"] == pods and summarize["unanswered"] == {}
    assert_summed(summarize)
    badge = function(found, "generate-badge")
    assert (badge["ready_replicas"], badge["desired_replicas"], badge["requests"], badge["p50_s"]) == (1, 1, 0, None)


def test_knative_scaled_to_zero_and_not_ready(knative: ChartCluster, tmp_path: Path) -> None:
    deployment = knative.api.find("Deployment", "summarize-00001-deployment")
    deployment["spec"]["replicas"] = 0
    deployment["status"] = {"observedGeneration": 1}
    for pod in knative.pods_of("summarize"):
        knative.api.remove("Pod", pod)
    service = next(
        o for o in knative.api.objects if o["kind"] == "Service" and o["metadata"]["name"] == "summarize" and "knative" in o["apiVersion"]
    )
    service["status"]["conditions"][0] = {"type": "Ready", "status": "False", "reason": "RevisionFailed", "message": "image pull"}
    summarize = function(report(knative, tmp_path), "summarize")
    assert (summarize["ready"], summarize["ready_replicas"], summarize["desired_replicas"], summarize["pods"]) == (False, 0, 0, [])


def test_a_pod_that_does_not_answer_is_named_and_the_others_counted(knative: ChartCluster, tmp_path: Path) -> None:
    quick, slow = two_summarize_pods(knative)
    del knative.api.proxies[f"pods/{slow}"]  # its process is down: the API server's proxy cannot connect
    summarize = function(report(knative, tmp_path), "summarize")
    assert summarize["pods"] == [quick] and list(summarize["unanswered"]) == [slow]
    assert "connection refused" in summarize["unanswered"][slow]
    assert (summarize["requests"], summarize["errors"]) == (3, 0)
    result = status(knative, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"summarize: pod {slow} not counted" in result.output


def test_engines_and_routing(knative: ChartCluster, tmp_path: Path) -> None:
    router = knative.functions[knative.pods_of("route-query")[0]]
    router.routes.queries.labels("simple", "local", "false").inc(2)
    found = report(knative, tmp_path)
    gpu, cpu = found["engines"]
    assert (gpu["pool"], gpu["statefulset"], gpu["ready_replicas"], gpu["desired_replicas"]) == ("gpu", "demo-localfn-ollama-gpu", 1, 1)
    assert gpu["pods"] == [
        {"name": GPU_POD, "node": "gpu-node-1", "ready": True, "models": ["llama3.1:8b"], "processor": "GPU", "problem": ""}
    ]
    assert (cpu["pool"], cpu["pods"][0]["models"], cpu["pods"][0]["processor"]) == ("cpu", [], "")
    routing = found["routing"]
    assert routing["pod"] == knative.pods_of("route-query")[0] and routing["problem"] == ""
    assert routing["stats"]["scope"] == "pod" and routing["stats"]["queries"] == 2 and routing["stats"]["tiers"]["simple"] == 2


class FakeTotals:
    """Stands in for `SharedTotals`: the installation's totals, as a shared store would hold them."""

    def __init__(self, tally: dict[str, float]) -> None:
        self.tally = tally

    async def read(self) -> dict[str, float]:
        return self.tally


def test_routing_with_a_shared_store_is_the_installations(knative: ChartCluster, tmp_path: Path) -> None:
    pod = knative.pods_of("route-query")[0]
    knative.functions[pod].routes._totals = FakeTotals({"queries|complex|cloud|false": 7.0})  # type: ignore[assignment]
    result = status(knative, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"route-query routing: the installation's totals (asked of pod {pod})" in result.output
    assert report(knative, tmp_path)["routing"]["stats"]["tiers"]["complex"] == 7


def test_an_ollama_pod_that_does_not_answer(knative: ChartCluster, tmp_path: Path) -> None:
    del knative.api.proxies[f"pods/{GPU_POD}"]
    gpu = report(knative, tmp_path)["engines"][0]
    assert gpu["pods"][0]["models"] == [] and "connection refused" in gpu["pods"][0]["problem"]


def test_the_tables(knative: ChartCluster, tmp_path: Path) -> None:
    two_summarize_pods(knative)
    result = status(knative, tmp_path)
    assert result.exit_code == 0, result.output
    assert "localfn release demo in localfn-test (context fake, knative mode): functions, summed over their pods" in result.output
    summarize = next(line for line in result.output.splitlines() if "2/2" in line)  # the name may wrap at 80 columns
    assert [cell.strip() for cell in summarize.split("│")[2:-1]] == ["yes", "2/2", "4", "1", "0", "20", "4900"]
    assert "Ollama pools" in result.output and "llama3.1:8b" in result.output
    assert f"route-query routing: pod {knative.pods_of('route-query')[0]} only (LOCALFN_STATE_URL is not set" in result.output


def test_deployment_mode(deployment_mode: ChartCluster, tmp_path: Path) -> None:
    two_summarize_pods(deployment_mode)
    found = report(deployment_mode, tmp_path)
    assert found["mode"] == "deployment"
    summarize = function(found, "summarize")
    assert summarize["ready"] and (summarize["ready_replicas"], summarize["desired_replicas"], summarize["revision"]) == (2, 2, "")
    assert_summed(summarize)
    deployment = deployment_mode.api.find("Deployment", "summarize")
    deployment["status"]["conditions"][0].update(status="False", reason="MinimumReplicasUnavailable")
    assert not function(report(deployment_mode, tmp_path), "summarize")["ready"]


def test_a_release_that_is_not_there(knative: ChartCluster, tmp_path: Path) -> None:
    result = status(knative, tmp_path, "--release", "nope")
    assert result.exit_code == 1
    assert "no release 'nope' in namespace localfn-test" in result.output and "helm list -A" in result.output


def test_forbidden_says_what_to_grant(knative: ChartCluster, tmp_path: Path) -> None:
    knative.api.forbidden.add("pods")
    result = status(knative, tmp_path)
    assert result.exit_code == 1
    assert "not allowed to read the release in namespace localfn-test" in result.output and "pods/proxy" in result.output


def test_an_unreachable_cluster(tmp_path: Path, closed_port_url: str) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(yaml.safe_dump(kubeconfig(closed_port_url, rendering.NAMESPACE)))
    result = CliRunner().invoke(main, ["status", "--cluster", "--kubeconfig", str(config)])
    assert result.exit_code == 1 and "kubectl --context CONTEXT get nodes" in result.output


def test_kubectl_localfn_status_means_the_cluster(knative: ChartCluster, tmp_path: Path) -> None:
    """`kubectl localfn status -n ...`: status means --cluster; kubectl's -n wins over the context's namespace."""
    done = kubectl_localfn(
        knative,
        tmp_path,
        "status",
        "-n",
        rendering.NAMESPACE,
        "--release",
        rendering.RELEASE,
        "--json",
        config=kubeconfig("http://replaced", "elsewhere"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["namespace"] == rendering.NAMESPACE
