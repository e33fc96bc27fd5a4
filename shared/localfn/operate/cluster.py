"""`localfn doctor --cluster`: the ways a GPU deployment of the chart fails, each found and explained.

The checks read what the chart rendered (found by the release's labels) and what the cluster
made of it, and compare both with the release's values:

- the cluster: reachable, its version; Knative Serving and Eventing served (unless the chart
  runs plain Deployments, or eventing is off); KEDA when a pool autoscales;
- the GPU pool: nodes that advertise the GPU resource (``ollama.gpu.gpu.resourceName``), how
  many are free, their taints against the pool's tolerations, the runtime class it names;
- each Ollama pool: its pods scheduled (and where), their model caches bound, the values'
  models present in each pod and which are loaded, on the GPU or not (``/api/tags``,
  ``/api/ps`` through the API server's pod proxy);
- each function: its Knative Service (or Deployment) ready and its revision; its Trigger
  ready, with a dead-letter sink;
- each autoscaled pool: its ScaledObject present, Ready (KEDA could ask Prometheus) and Active or idle;
- with a shared-state store configured: each running function pod's ``localfn_state_errors_total``
  (its /metrics through the pod proxy) flat, read twice a moment apart when not zero.

Checks run in that order (one module each: gpu_checks, pool_checks, function_checks), after
`reachable`; when the cluster cannot be reached, nothing else is tried.
"""

from __future__ import annotations

from collections.abc import Iterator

from localfn.operate.checks import Check, fail, ok, warn
from localfn.operate.function_checks import autoscaling_checks, function_checks, shared_state_checks
from localfn.operate.gpu_checks import gpu_checks
from localfn.operate.kube import Cluster, ClusterError
from localfn.operate.pool_checks import pool_checks
from localfn.operate.target import Target

__all__ = ["Target", "cluster_checks", "reachable"]


def reachable(cluster: Cluster) -> Check:
    """The first check: whether the cluster answers at all, and its version."""
    try:
        version = cluster.version()
    except ClusterError as exc:
        return fail(
            "cluster",
            f"{cluster.host} (context {cluster.context}): {exc}",
            "check `kubectl --context CONTEXT get nodes` works: KUBECONFIG, --context, VPN or cluster up",
        )
    return ok("cluster", f"Kubernetes {version} at {cluster.host}, namespace {cluster.namespace}")


def cluster_checks(target: Target) -> Iterator[Check]:
    """Every check after `reachable`, in order; an area the cluster refuses to show is one WARN (403) or FAIL."""
    for area in (_platform, gpu_checks, pool_checks, function_checks, autoscaling_checks, shared_state_checks):
        try:
            yield from area(target)
        except ClusterError as exc:
            yield _forbidden(area.__name__.strip("_").removesuffix("_checks").replace("_", " "), exc)


def _forbidden(what: str, exc: ClusterError) -> Check:
    if exc.status in (401, 403):
        return warn(what, f"not allowed to read: {exc}", "grant get/list on these resources (a read-only ClusterRole such as `view`)")
    return fail(what, str(exc), "retry; if it persists, check the API server's health")


# --- the platform --------------------------------------------------------------------------


def _platform(target: Target) -> Iterator[Check]:
    groups = target.cluster.api_groups()
    knative = target.value("serving.mode") == "knative"
    if knative:
        yield _group(
            groups,
            "serving.knative.dev",
            "knative serving",
            "install Knative Serving (https://knative.dev/docs/install/), or set serving.mode=deployment",
        )
    else:
        yield ok("knative serving", "not needed: serving.mode=deployment (plain Deployments and Services)")
    if target.value("eventing.enabled", False):
        yield _group(
            groups, "eventing.knative.dev", "knative eventing", "install Knative Eventing and a broker class, or set eventing.enabled=false"
        )
    if any(target.value(f"ollama.{pool}.autoscaling.enabled", False) for pool in target.pools()):
        yield _group(
            groups, "keda.sh", "keda", "install KEDA (https://keda.sh/docs/deploy/), or set ollama.<pool>.autoscaling.enabled=false"
        )


def _group(groups: set[str], group: str, name: str, fix: str) -> Check:
    if group in groups:
        return ok(name, f"{group} served (its CRDs are installed)")
    return fail(name, f"the cluster serves no {group} API: its CRDs are not installed", fix)
