"""What a release of the chart is doing on a cluster: its functions, its Ollama pools, route-query's routing.

`localfn status --cluster` reads a release as `localfn status` reads one `localfn serve`
(`localfn.operate.status`, whose parsing and quantiles it shares), with get and list rights
and get on ``pods/proxy``:

- Objects are found by the release's labels (`release_selector`). No Secret is read, so a
  read-only role (``view``) with ``pods/proxy`` is enough. A release with neither a function
  workload nor an Ollama StatefulSet is not there.
- The functions are those of `localfn.functions.FUNCTIONS` the release deploys. Ready: the
  Knative Service's Ready condition, or (deployment mode) the Deployment's Available condition.
  Replicas, ready/desired: the Deployment's; in Knative mode the Deployment Knative made for the
  latest ready revision (labelled ``serving.knative.dev/revision``), whose desired count is the
  autoscaler's (0 when scaled to zero).
- Requests, errors, in flight and p50/p99: each ready pod of the function (of any revision: all
  may take traffic) asked for ``/metrics`` through the API server's pod proxy, the pages' series
  summed before the quantiles (`parse_samples`), so the p99 is the function's, not a mean of
  pods'. Counts are since each running pod started: a pod gone took its counts with it. A pod
  that does not answer is named with the reason, and its function's figures are the others'.
- Each Ollama pool: its StatefulSet's ready/desired replicas, and per ready pod the models
  loaded and where (``/api/ps`` through the pod proxy, `runs_on`).
- Routing: route-query's ``/stats`` from one ready pod, the first by name that answers. Its
  ``scope`` says whose numbers they are: the installation's (``installation``, with a shared
  store every pod adds to) or that pod's alone (``pod``, with ``scope_reason``).

`ClusterError` becomes `StatusError` here, with what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localfn.functions import FUNCTIONS
from localfn.operate.checks import failed
from localfn.operate.cluster import reachable
from localfn.operate.kube import Cluster, ClusterError, Obj, condition
from localfn.operate.ollama import loaded_models, runs_on
from localfn.operate.status import FunctionStatus, StatusError, count_functions, parse_samples
from localfn.operate.target import FUNCTION_PORT, POOLS, not_ready, release_selector, replicas

__all__ = ["PoolPod", "PoolStatus", "ReleaseFunction", "ReleaseStatusReport", "RoutingStatus", "read_release_status"]

KNATIVE_REVISION = "serving.knative.dev/revision"  # on the Deployment and pods Knative makes for a revision
OLLAMA_PORT = 11434  # Ollama's own default, should a StatefulSet not name its port "http" as the chart does
ROUTER = "route-query"


@dataclass
class ReleaseFunction(FunctionStatus):
    """One function of the release: `FunctionStatus` summed over its pods, with its replicas."""

    ready_replicas: int = 0
    desired_replicas: int = 0
    revision: str = ""  # Knative's latest ready revision; "" in deployment mode
    pods: list[str] = field(default_factory=list)  # those whose /metrics are summed
    unanswered: dict[str, str] = field(default_factory=dict)  # pod -> why its /metrics did not answer


@dataclass
class PoolPod:
    """One pod of an Ollama pool and the models it holds in memory now."""

    name: str
    node: str
    ready: bool
    models: list[str] = field(default_factory=list)
    processor: str = ""  # "GPU", "CPU" or "" (none loaded, or not asked)
    problem: str = ""  # why its Ollama did not answer


@dataclass
class PoolStatus:
    pool: str  # "gpu" or "cpu"
    statefulset: str
    ready_replicas: int
    desired_replicas: int
    pods: list[PoolPod]


@dataclass
class RoutingStatus:
    pod: str  # the route-query pod that answered (or, when none did, the last one asked)
    stats: dict[str, Any] | None  # its /stats; None when no pod answered
    problem: str = ""  # why, when stats is None


@dataclass
class ReleaseStatusReport:
    context: str
    namespace: str
    release: str
    mode: str  # "knative" or "deployment"
    functions: list[ReleaseFunction]
    engines: list[PoolStatus]
    routing: RoutingStatus | None  # None when route-query has no ready pod (not deployed, scaled to zero)


def read_release_status(cluster: Cluster, release: str) -> ReleaseStatusReport:
    """One look at ``release`` in the cluster's namespace; `StatusError` saying what to do when it cannot be read."""
    first = reachable(cluster)
    if failed([first]):
        raise StatusError(f"{first.detail}; {first.fix}")
    try:
        return _read(cluster, release)
    except ClusterError as exc:
        raise StatusError(_cannot_read(cluster, exc)) from exc


def _read(cluster: Cluster, release: str) -> ReleaseStatusReport:
    selector = release_selector(release, "function")
    knative = "serving.knative.dev" in cluster.api_groups()
    services = _by_function(cluster.items("serving.knative.dev/v1", "services", selector=selector)) if knative else {}
    deployments = cluster.items("apps/v1", "deployments", selector=selector)
    if services:
        functions = {name: _knative_function(name, service, deployments) for name, service in services.items()}
    else:
        charted = _by_function([d for d in deployments if KNATIVE_REVISION not in d["metadata"].get("labels", {})])
        functions = {name: _deployed_function(name, deployment) for name, deployment in charted.items()}
    statefulsets = cluster.items("apps/v1", "statefulsets", selector=release_selector(release, "ollama"))
    if not functions and not statefulsets:
        raise StatusError(
            f"no release {release!r} in namespace {cluster.namespace}: nothing there is labelled "
            f"app.kubernetes.io/instance={release}; check --release and -n/--namespace (`helm list -A` lists releases)"
        )
    ready_pods: dict[str, list[str]] = {}
    for pod in cluster.items("v1", "pods", selector=selector):
        if not_ready(pod) is None:
            ready_pods.setdefault(pod["metadata"]["labels"].get("localfn.io/function", ""), []).append(pod["metadata"]["name"])
    pages = []
    for name, function in functions.items():
        for pod_name in sorted(ready_pods.get(name, [])):
            try:
                pages.append(cluster.pod_proxy_text(pod_name, FUNCTION_PORT, "metrics"))
            except ClusterError as exc:
                function.unanswered[pod_name] = _unanswered(exc)
                continue
            function.pods.append(pod_name)
    count_functions(functions, parse_samples(*pages))
    return ReleaseStatusReport(
        cluster.context,
        cluster.namespace,
        release,
        "knative" if services else "deployment",
        [functions[name] for name in FUNCTIONS if name in functions],
        _pools(cluster, release, statefulsets),
        _routing(cluster, sorted(ready_pods.get(ROUTER, []))) if ROUTER in functions else None,
    )


def _by_function(workloads: list[Obj]) -> dict[str, Obj]:
    """The workloads of the functions localfn knows (`FUNCTIONS`), by the chart's ``localfn.io/function`` label."""
    found = {w["metadata"].get("labels", {}).get("localfn.io/function"): w for w in workloads}
    return {name: found[name] for name in FUNCTIONS if name in found}


def _knative_function(name: str, service: Obj, deployments: list[Obj]) -> ReleaseFunction:
    revision = service.get("status", {}).get("latestReadyRevisionName", "")
    deployment = next((d for d in deployments if revision and d["metadata"].get("labels", {}).get(KNATIVE_REVISION) == revision), None)
    ready, desired = replicas(deployment)
    return ReleaseFunction(name, not_ready(service) is None, ready_replicas=ready, desired_replicas=desired, revision=revision)


def _deployed_function(name: str, deployment: Obj) -> ReleaseFunction:
    ready, desired = replicas(deployment)
    available = (condition(deployment, "Available") or {}).get("status") == "True"
    return ReleaseFunction(name, available, ready_replicas=ready, desired_replicas=desired)


def _pools(cluster: Cluster, release: str, statefulsets: list[Obj]) -> list[PoolStatus]:
    by_pool = {s["metadata"].get("labels", {}).get("localfn.io/pool"): s for s in statefulsets}
    pools = []
    for pool in (pool for pool in POOLS if pool in by_pool):
        statefulset = by_pool[pool]
        containers = statefulset["spec"]["template"]["spec"]["containers"]
        port = next((p["containerPort"] for c in containers for p in c.get("ports") or [] if p.get("name") == "http"), OLLAMA_PORT)
        pods = sorted(cluster.items("v1", "pods", selector=release_selector(release, "ollama", pool)), key=lambda p: p["metadata"]["name"])
        pools.append(
            PoolStatus(pool, statefulset["metadata"]["name"], *replicas(statefulset), [_pool_pod(cluster, pod, port) for pod in pods])
        )
    return pools


def _pool_pod(cluster: Cluster, pod: Obj, port: int) -> PoolPod:
    found = PoolPod(pod["metadata"]["name"], pod["spec"].get("nodeName", ""), not_ready(pod) is None)
    if not found.ready:
        return found  # not serving yet: `localfn doctor --cluster` says why
    try:
        loaded = loaded_models(cluster.pod_proxy(found.name, port, "api/ps"))
    except ClusterError as exc:
        found.problem = _unanswered(exc)
        return found
    found.models, found.processor = [model.name for model in loaded], runs_on(loaded)
    return found


def _routing(cluster: Cluster, pods: list[str]) -> RoutingStatus | None:
    """route-query's /stats from the first of its ready pods that answers."""
    routing = None
    for pod in pods:
        try:
            return RoutingStatus(pod, cluster.pod_proxy(pod, FUNCTION_PORT, "stats"))
        except ClusterError as exc:
            routing = RoutingStatus(pod, None, _unanswered(exc))
    return routing


def _unanswered(exc: ClusterError) -> str:
    if exc.status in (401, 403):
        return f"not allowed through the pod proxy (grant get on pods/proxy): {exc}"
    return str(exc)


def _cannot_read(cluster: Cluster, exc: ClusterError) -> str:
    if exc.status in (401, 403):
        return (
            f"not allowed to read the release in namespace {cluster.namespace}: {exc}; grant get and list on pods, "
            "deployments, statefulsets and Knative services, and get on pods/proxy (a read-only Role such as `view`, plus pods/proxy)"
        )
    return f"{exc}; retry, and if it persists check the API server's health (`kubectl get --raw /readyz`)"
