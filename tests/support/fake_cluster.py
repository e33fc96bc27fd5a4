"""A cluster running the chart, as FakeKubeApi serves it: healthy, until a test breaks one thing.

The objects are the chart's own, rendered by the real helm binary from the given values, plus
what a healthy cluster adds: a GPU node and a CPU node, the StatefulSets' pods (scheduled,
ready) and their bound model caches, ready Knative Services and Triggers, Ready ScaledObjects,
the Helm release Secret, an Ollama (the test peer) behind each Ollama pod's proxy holding
the models the values ask for, and one pod per function serving localfn's own /metrics (and
route-query's /stats). In Knative mode the pods are Knative's: a Deployment per revision,
labelled as Knative labels it (``serving.knative.dev/revision`` and the rest, over the
template's own labels), and its pods; `ChartCluster.add_function_pod` scales one up.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from localfn.functions.route_query.stats import RouteMetrics
from localfn.metrics import CONTENT_TYPE, Metrics
from tests.chart import crds, rendering
from tests.support.asgi_server import serve_in_thread
from tests.support.fake_kube_api import FakeKubeApi, Obj, kubeconfig
from tests.support.ollama_peer import OllamaPeer

NOWHERE = "http://127.0.0.1:9"  # the peers only answer /api/tags and /api/ps: no llama-server behind them
GPU_NODE = "gpu-node-1"
CPU_NODE = "cpu-node-1"
GIB = 1 << 30
# Stands in for the rendered manifests in the release record: must never be printed.
SECRET_MARKER = "password-from-the-release-manifest"


class FunctionPod:
    """A function pod's /metrics (localfn's own series); ``failing`` adds a store error at every scrape.

    route-query's pod also answers /stats from its own `RouteMetrics` (no store: ``scope`` "pod").
    """

    def __init__(self, function: str) -> None:
        self.function = function
        self.metrics = Metrics()
        self.failing = False
        routes = [Route("/metrics", self._metrics)]
        if function == "route-query":
            self.routes = RouteMetrics(self.metrics)
            routes.append(Route("/stats", self._stats))
        self.app = Starlette(routes=routes)

    def answered(self, status: int, *seconds: float) -> None:
        """Count requests answered with ``status``, one per latency given, as `FunctionApp` counts them."""
        for s in seconds:
            self.metrics.requests.labels(self.function, str(status), "json").inc()
            self.metrics.latency.labels(self.function).observe(s)

    async def _metrics(self, request: Request) -> Response:
        if self.failing:
            self.metrics.state_errors.labels(op="get", reason="timeout").inc()
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)

    async def _stats(self, request: Request) -> Response:
        return Response((await self.routes.snapshot()).model_dump_json(), media_type="application/json")


@dataclass
class ChartCluster:
    api: FakeKubeApi
    values: dict[str, Any]
    peers: dict[str, OllamaPeer] = field(default_factory=dict)  # by pod name
    functions: dict[str, FunctionPod] = field(default_factory=dict)  # by pod name

    def pods_of(self, function: str) -> list[str]:
        return sorted(pod for pod, served in self.functions.items() if served.function == function)

    def add_function_pod(self, function: str) -> str:
        """One more ready pod of ``function``, its Deployment (the chart's, or Knative's for the revision) scaled up to match."""
        deployment = next(
            o for o in self.api.objects if o["kind"] == "Deployment" and o["metadata"]["labels"].get("localfn.io/function") == function
        )
        n = deployment["spec"]["replicas"] = deployment["spec"].get("replicas", 1) + 1
        deployment["status"].update(replicas=n, readyReplicas=n, availableReplicas=n, updatedReplicas=n)
        return self._serve_pod(deployment, n - 1)

    def _serve_pod(self, deployment: Obj, index: int) -> str:
        pod = _function_pod(deployment, index)
        self.api.add(pod)
        name = pod["metadata"]["name"]
        served = self.functions[name] = FunctionPod(pod["metadata"]["labels"]["localfn.io/function"])
        self.api.proxies[f"pods/{name}"] = served.app
        return name


def _render(values: dict[str, Any]) -> list[Obj]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as file:
        yaml.safe_dump(values, file)
    try:
        docs = rendering.render([file.name])
    finally:
        Path(file.name).unlink()
    # helm test pods exist only while `helm test` runs; ServiceMonitors need the Prometheus Operator's CRD.
    return [d for d in docs if "helm.sh/hook" not in (d["metadata"].get("annotations") or {}) and d["kind"] != "ServiceMonitor"]


def _ready(*types: str, **extra: Any) -> dict[str, Any]:
    conditions = [{"type": t, "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"} for t in types]
    return {"observedGeneration": 1, "conditions": conditions, **extra}


def release_secret(values: dict[str, Any], revision: int = 1) -> Obj:
    """Helm 3's release Secret: the record as JSON, gzipped, base64 (and base64 again as Secret data)."""
    defaults = yaml.safe_load((rendering.CHART / "values.yaml").read_text())
    record = {
        "name": rendering.RELEASE,
        "namespace": rendering.NAMESPACE,
        "version": revision,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "localfn", "version": "0.1.0"}, "values": defaults},
        "config": values,
        "manifest": f"apiVersion: v1\nkind: Secret\nstringData:\n  password: {SECRET_MARKER}\n",
    }
    encoded = base64.b64encode(base64.b64encode(gzip.compress(json.dumps(record).encode()))).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{rendering.RELEASE}.v{revision}",
            "namespace": rendering.NAMESPACE,
            "labels": {"owner": "helm", "name": rendering.RELEASE, "status": "deployed", "version": str(revision)},
        },
        "data": {"release": encoded},
    }


def _nodes(resource: str) -> list[Obj]:
    gpu = {"cpu": "16", "memory": "64Gi", "pods": "110", resource: "1"}
    cpu = {"cpu": "8", "memory": "32Gi", "pods": "110"}
    return [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": GPU_NODE, "labels": {"nvidia.com/gpu.present": "true", "nvidia.com/mig.strategy": "mixed"}},
            "spec": {"taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]},
            "status": {"capacity": gpu, "allocatable": gpu},
        },
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": CPU_NODE}, "spec": {}, "status": {"capacity": cpu, "allocatable": cpu}},
    ]


def _pods_of(statefulset: Obj, node: str) -> list[Obj]:
    template = statefulset["spec"]["template"]
    name = statefulset["metadata"]["name"]
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {**template["metadata"], "name": f"{name}-{i}", "namespace": rendering.NAMESPACE},
            "spec": {**crds.drop_nulls(template["spec"]), "nodeName": node},
            "status": {**_ready("PodScheduled", "Initialized", "ContainersReady", "Ready"), "phase": "Running"},
        }
        for i in range(statefulset["spec"].get("replicas", 1))
    ]


def _knative_deployment(service: Obj) -> Obj:
    """The Deployment Knative makes for a Knative Service's first revision: the template's labels and Knative's own."""
    name = service["metadata"]["name"]
    revision = service["status"]["latestReadyRevisionName"]
    uid = str(uuid.uuid5(uuid.NAMESPACE_URL, revision))
    labels = {
        **service["spec"]["template"]["metadata"]["labels"],
        "app": revision,
        "serving.knative.dev/service": name,
        "serving.knative.dev/configuration": name,
        "serving.knative.dev/configurationGeneration": "1",
        "serving.knative.dev/revision": revision,
        "serving.knative.dev/revisionUID": uid,
    }
    container = service["spec"]["template"]["spec"]["containers"][0]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"{revision}-deployment", "namespace": rendering.NAMESPACE, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"serving.knative.dev/revisionUID": uid}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "user-container", "image": container["image"], "ports": [{"containerPort": 8080}]}]},
            },
        },
    }


def _function_pod(deployment: Obj, index: int) -> Obj:
    """Pod ``index`` of a function's Deployment (the chart's, or Knative's): its template's labels, one container on 8080."""
    template = deployment["spec"]["template"]
    container = template["spec"]["containers"][0]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{deployment['metadata']['name']}-7d9c5-{index:05d}",
            "namespace": rendering.NAMESPACE,
            "labels": {**template["metadata"]["labels"], "pod-template-hash": "7d9c5"},
        },
        "spec": {
            "nodeName": CPU_NODE,
            "containers": [{"name": container["name"], "image": container["image"], "ports": [{"containerPort": 8080}]}],
        },
        "status": {**_ready("PodScheduled", "Initialized", "ContainersReady", "Ready"), "phase": "Running"},
    }


def _claims(statefulset: Obj, pods: list[Obj]) -> list[Obj]:
    claims = []
    for template in statefulset["spec"].get("volumeClaimTemplates") or []:
        size = template["spec"]["resources"]["requests"]["storage"]
        for pod in pods:
            claims.append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {
                        "name": f"{template['metadata']['name']}-{pod['metadata']['name']}",
                        "namespace": rendering.NAMESPACE,
                        "labels": template["metadata"].get("labels", {}),
                    },
                    "spec": crds.drop_nulls(template["spec"]),
                    "status": {"phase": "Bound", "accessModes": template["spec"]["accessModes"], "capacity": {"storage": size}},
                }
            )
    return claims


def _with_status(doc: Obj) -> Obj:
    kind, name = doc["kind"], doc["metadata"]["name"]
    if kind == "Service" and doc["apiVersion"].startswith("serving.knative.dev"):
        doc["status"] = _ready(
            "Ready",
            "ConfigurationsReady",
            "RoutesReady",
            latestReadyRevisionName=f"{name}-00001",
            latestCreatedRevisionName=f"{name}-00001",
            url=f"http://{name}.{rendering.NAMESPACE}.svc.cluster.local",
        )
    elif kind == "Trigger":
        doc["status"] = _ready("Ready", "BrokerReady", "SubscriberResolved")
    elif kind == "Broker":
        doc["status"] = _ready("Ready")
    elif kind == "ScaledObject":  # KEDA's conditions: no lastTransitionTime, and no observedGeneration
        doc["status"] = {
            "scaleTargetKind": "apps/v1.StatefulSet",
            "hpaName": f"keda-hpa-{name}",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "ScaledObjectReady",
                    "message": "ScaledObject is defined correctly and is ready for scaling",
                },
                {
                    "type": "Active",
                    "status": "False",
                    "reason": "ScalerNotActive",
                    "message": "Scaling is not performed because triggers are not active",
                },
            ],
        }
    elif kind == "StatefulSet":
        n = doc["spec"].get("replicas", 1)
        doc["status"] = {"observedGeneration": 1, "replicas": n, "readyReplicas": n, "availableReplicas": n, "updatedReplicas": n}
    elif kind == "Deployment":
        n = doc["spec"].get("replicas", 1)
        doc["status"] = {
            "observedGeneration": 1,
            "replicas": n,
            "readyReplicas": n,
            "availableReplicas": n,
            "updatedReplicas": n,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                }
            ],
        }
    return doc


def chart_cluster(values: dict[str, Any]) -> ChartCluster:
    """The chart installed with ``values`` (user values, merged over the chart's by helm), everything healthy."""
    merged = rendering._merge(yaml.safe_load((rendering.CHART / "values.yaml").read_text()), values)
    api = FakeKubeApi()
    api.add(*_nodes(merged["ollama"]["gpu"]["gpu"]["resourceName"]), release_secret(values))
    if merged["ollama"]["gpu"].get("runtimeClassName"):
        api.add(
            {
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "metadata": {"name": merged["ollama"]["gpu"]["runtimeClassName"]},
                "handler": "nvidia",
            }
        )
    cluster = ChartCluster(api, merged)
    for doc in _render(values):
        doc.setdefault("metadata", {})["namespace"] = rendering.NAMESPACE
        doc = _with_status(crds.drop_nulls(doc))
        api.add(doc)
        if doc["kind"] == "StatefulSet" and doc["metadata"]["labels"].get("app.kubernetes.io/component") == "ollama":
            pool = doc["metadata"]["labels"]["localfn.io/pool"]
            pods = _pods_of(doc, GPU_NODE if pool == "gpu" else CPU_NODE)
            api.add(*pods, *_claims(doc, pods))
            for pod in pods:
                peer = OllamaPeer(NOWHERE, dict.fromkeys(merged["ollama"][pool]["models"], "tiny"))
                api.proxies[f"pods/{pod['metadata']['name']}"] = peer
                cluster.peers[pod["metadata"]["name"]] = peer
            if pods:  # the pool's client Service: one replica by default, so its first pod
                api.proxies[f"services/{doc['metadata']['name']}"] = cluster.peers[pods[0]["metadata"]["name"]]
        if (
            doc["metadata"]["labels"].get("app.kubernetes.io/component") == "function"
            and doc["kind"] in ("Service", "Deployment")
            and "template" in doc["spec"]
        ):
            if doc["kind"] == "Service":  # Knative's: the revision's Deployment runs its pods
                doc = _with_status(_knative_deployment(doc))
                api.add(doc)
            cluster._serve_pod(doc, 0)
    return cluster


def kubectl_localfn(cluster: ChartCluster, tmp_path: Path, *args: str, config: Obj | None = None) -> subprocess.CompletedProcess[str]:
    """`kubectl localfn ARGS` run by the real kubectl, which finds kubectl-localfn on PATH, against the cluster.

    ``config`` is the kubeconfig (its server set to the fake's URL), by default `kubeconfig`'s;
    the test is skipped without kubectl or the entry point (scripts/setup.sh test installs both).
    """
    bin_dir = Path(sys.executable).parent
    kubectl = shutil.which("kubectl", path=f"{bin_dir}:{os.environ['PATH']}")
    if kubectl is None or not (bin_dir / "kubectl-localfn").exists():
        pytest.skip("needs kubectl and the kubectl-localfn entry point (scripts/setup.sh test installs both)")
    with serve_in_thread(cluster.api) as url:
        settings = config or kubeconfig(url, rendering.NAMESPACE)
        settings["clusters"][0]["cluster"]["server"] = url
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(settings))
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "KUBECONFIG": str(path)}
        return subprocess.run([kubectl, "localfn", *args], capture_output=True, text=True, env=env, timeout=120, check=False)
