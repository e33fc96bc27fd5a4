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
  (its /metrics through the pod proxy) flat, read twice ``STATE_PAUSE_S`` apart when not zero.

Checks run in that order, after `reachable`; when the cluster cannot be reached, nothing else is tried.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from localfn.operate.checks import Check, fail, ok, warn
from localfn.operate.kube import Cluster, ClusterError, Obj, condition
from localfn.operate.ollama import full_name

__all__ = ["Target", "cluster_checks", "reachable"]

POOLS = ("gpu", "cpu")
FUNCTION_PORT = 8080  # the functions' container port (charts/localfn: localfn.function.container)
STATE_PAUSE_S = 2.0  # between two reads of a pod's state errors: growing means failing now


@dataclass(frozen=True)
class Target:
    """The release under examination: the cluster, the release's name and its values."""

    cluster: Cluster
    release: str
    values: dict[str, Any]

    def value(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.values
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def pools(self) -> list[str]:
        return [pool for pool in POOLS if self.value(f"ollama.{pool}.enabled", False)]


def _labels(**labels: str) -> str:
    return ",".join(f"{key}={value}" for key, value in labels.items())


def reachable(cluster: Cluster) -> Check:
    """The first check: whether the cluster answers at all, and its version."""
    try:
        version = cluster.version()
    except ClusterError as exc:
        return fail("cluster", f"{cluster.host} (context {cluster.context}): {exc}",
                    "check `kubectl --context CONTEXT get nodes` works: KUBECONFIG, --context, VPN or cluster up")
    return ok("cluster", f"Kubernetes {version} at {cluster.host}, namespace {cluster.namespace}")


def cluster_checks(target: Target) -> Iterator[Check]:
    """Every check after `reachable`, in order; an area the cluster refuses to show is one WARN (403) or FAIL."""
    for area in (_platform, _gpu_nodes, _ollama_pools, _functions, _autoscaling, _shared_state):
        try:
            yield from area(target)
        except ClusterError as exc:
            yield _forbidden(area.__name__.strip("_").replace("_", " "), exc)


def _forbidden(what: str, exc: ClusterError) -> Check:
    if exc.status in (401, 403):
        return warn(what, f"not allowed to read: {exc}", "grant get/list on these resources (a read-only ClusterRole such as `view`)")
    return fail(what, str(exc), "retry; if it persists, check the API server's health")


# --- the platform --------------------------------------------------------------------------

def _platform(target: Target) -> Iterator[Check]:
    groups = target.cluster.api_groups()
    knative = target.value("serving.mode") == "knative"
    if knative:
        yield _group(groups, "serving.knative.dev", "knative serving",
                     "install Knative Serving (https://knative.dev/docs/install/), or set serving.mode=deployment")
    else:
        yield ok("knative serving", "not needed: serving.mode=deployment (plain Deployments and Services)")
    if target.value("eventing.enabled", False):
        yield _group(groups, "eventing.knative.dev", "knative eventing",
                     "install Knative Eventing and a broker class, or set eventing.enabled=false")
    if any(target.value(f"ollama.{pool}.autoscaling.enabled", False) for pool in target.pools()):
        yield _group(groups, "keda.sh", "keda", "install KEDA (https://keda.sh/docs/deploy/), or set ollama.<pool>.autoscaling.enabled=false")


def _group(groups: set[str], group: str, name: str, fix: str) -> Check:
    if group in groups:
        return ok(name, f"{group} served (its CRDs are installed)")
    return fail(name, f"the cluster serves no {group} API: its CRDs are not installed", fix)


# --- GPU nodes -----------------------------------------------------------------------------

def _gpu_nodes(target: Target) -> Iterator[Check]:
    if not target.value("ollama.gpu.enabled", False):
        return
    resource = target.value("ollama.gpu.gpu.resourceName", "nvidia.com/gpu")
    nodes = [n for n in target.cluster.items("v1", "nodes", namespaced=False) if _quantity(n["status"].get("allocatable", {}).get(resource)) > 0]
    if not nodes:
        yield fail("gpu nodes", f"no node advertises allocatable {resource}",
                   "install the NVIDIA GPU Operator (or device plugin) on the GPU nodes; for MIG set "
                   "ollama.gpu.gpu.resourceName to the MIG resource (e.g. nvidia.com/mig-1g.10gb); or ollama.gpu.enabled=false")
        return
    yield ok("gpu nodes", ", ".join(f"{n['metadata']['name']} ({_quantity(n['status']['allocatable'][resource])} {resource})" for n in nodes))
    yield _free_gpus(target, nodes, resource)
    yield _taints(target, nodes)
    yield _runtime_class(target)


def _quantity(value: Any) -> int:
    """A count-like quantity ("2", 2); anything else (absent, "500m") counts as 0."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def _free_gpus(target: Target, nodes: list[Obj], resource: str) -> Check:
    names = {n["metadata"]["name"] for n in nodes}
    total = sum(_quantity(n["status"]["allocatable"][resource]) for n in nodes)
    try:
        pods = target.cluster.items("v1", "pods", namespaced=False)
    except ClusterError as exc:
        return warn("free gpus", f"cannot list pods in all namespaces ({exc})", "grant list on pods cluster-wide to see GPU use")
    used = sum(
        _quantity({**c.get("resources", {}).get("requests", {}), **c.get("resources", {}).get("limits", {})}.get(resource))
        for p in pods if p["spec"].get("nodeName") in names and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
        for c in p["spec"]["containers"]
    )
    wanted = _quantity(target.value("ollama.gpu.gpu.count", 1))
    detail = f"{total - used} of {total} free"
    if total - used <= 0 and _pending(target, "gpu"):
        return fail("free gpus", f"{detail}, and a GPU Ollama pod waits for {wanted}", "add GPU nodes, free a GPU, or lower ollama.gpu.replicas")
    return ok("free gpus", detail)


def _tolerates(tolerations: list[Obj], taint: Obj) -> bool:
    """Kubernetes' rule: key equal (or empty with Exists), value equal unless Exists, effect equal or empty."""
    for t in tolerations:
        key_ok = t.get("key", "") in ("", taint["key"]) if t.get("operator") == "Exists" else t.get("key") == taint["key"]
        value_ok = t.get("operator") == "Exists" or t.get("value", "") == taint.get("value", "")
        if key_ok and value_ok and t.get("effect", "") in ("", taint["effect"]):
            return True
    return False


def _taints(target: Target, nodes: list[Obj]) -> Check:
    tolerations = target.value("ollama.gpu.tolerations", []) or []
    untolerated = {
        f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}"
        for n in nodes for t in n["spec"].get("taints", []) or []
        if t["effect"] in ("NoSchedule", "NoExecute") and not _tolerates(tolerations, t)
    }
    if not untolerated:
        return ok("gpu taints", "every GPU node's taints are tolerated by ollama.gpu.tolerations")
    wanted = ", ".join(sorted(untolerated))
    if all(_node_untolerated(n, tolerations) for n in nodes):
        return fail("gpu taints", f"no GPU node is schedulable for the GPU pool: taints {wanted} are not tolerated",
                    f"add to ollama.gpu.tolerations: {_toleration_yaml(sorted(untolerated))}")
    return warn("gpu taints", f"some GPU nodes have taints the GPU pool does not tolerate: {wanted}",
                f"add to ollama.gpu.tolerations: {_toleration_yaml(sorted(untolerated))}")


def _node_untolerated(node: Obj, tolerations: list[Obj]) -> bool:
    return any(t["effect"] in ("NoSchedule", "NoExecute") and not _tolerates(tolerations, t) for t in node["spec"].get("taints", []) or [])


def _toleration_yaml(taints: list[str]) -> str:
    items = []
    for taint in taints:
        key_value, effect = taint.rsplit(":", 1)
        key, _, value = key_value.partition("=")
        items.append(f"{{key: {key}, operator: {'Equal, value: ' + value if value else 'Exists'}, effect: {effect}}}")
    return "[" + ", ".join(items) + "]"


def _runtime_class(target: Target) -> Check:
    name = target.value("ollama.gpu.runtimeClassName", "")
    if not name:
        return ok("runtime class", "none named (ollama.gpu.runtimeClassName): the nodes' default runtime must expose the GPU")
    if target.cluster.read("node.k8s.io/v1", "runtimeclasses", name, namespaced=False) is None:
        return fail("runtime class", f"RuntimeClass {name!r} (ollama.gpu.runtimeClassName) does not exist",
                    f"create it (the GPU Operator makes 'nvidia'; see `kubectl get runtimeclass`), or set ollama.gpu.runtimeClassName to one that exists")
    return ok("runtime class", f"RuntimeClass {name!r} exists")


# --- Ollama pools --------------------------------------------------------------------------

def _pool_pods(target: Target, pool: str) -> list[Obj]:
    return target.cluster.items("v1", "pods", selector=_labels(**{
        "app.kubernetes.io/instance": target.release, "app.kubernetes.io/component": "ollama", "localfn.io/pool": pool}))


def _pending(target: Target, pool: str) -> bool:
    return any(not _scheduled(pod) for pod in _pool_pods(target, pool))


def _scheduled(pod: Obj) -> bool:
    scheduled = condition(pod, "PodScheduled")
    return bool(pod["spec"].get("nodeName")) and (scheduled is None or scheduled.get("status") == "True")


def _ollama_pools(target: Target) -> Iterator[Check]:
    for pool in target.pools():
        name = f"ollama-{pool}"
        statefulsets = target.cluster.items("apps/v1", "statefulsets", selector=_labels(**{
            "app.kubernetes.io/instance": target.release, "app.kubernetes.io/component": "ollama", "localfn.io/pool": pool}))
        if not statefulsets:
            yield fail(name, f"no StatefulSet of release {target.release!r} for the {pool} pool in {target.cluster.namespace}",
                       "check --release and --namespace (`helm list -A`), or `helm upgrade` the release")
            continue
        statefulset = statefulsets[0]
        pods = _pool_pods(target, pool)
        yield _pods(name, statefulset, pods)
        yield from _volumes(target, name, statefulset, pods)
        yield from _models(target, pool, statefulset, pods)


def _pods(name: str, statefulset: Obj, pods: list[Obj]) -> Check:
    wanted = statefulset["spec"].get("replicas", 1)
    if wanted == 0:
        return ok(f"{name} pods", "scaled to zero (0 replicas): nothing to check until it scales up")
    unscheduled = [p for p in pods if not _scheduled(p)]
    if unscheduled:
        why = (condition(unscheduled[0], "PodScheduled") or {}).get("message", "not scheduled")
        return fail(f"{name} pods", f"{unscheduled[0]['metadata']['name']} is not scheduled: {why}",
                    "the GPU checks above say which of nodes, free GPUs, taints or the runtime class is missing; "
                    f"`kubectl describe pod {unscheduled[0]['metadata']['name']}` shows the scheduler's reasons")
    ready = [p for p in pods if (condition(p, "Ready") or {}).get("status") == "True"]
    placed = ", ".join(f"{p['metadata']['name']} on {p['spec']['nodeName']}" for p in pods)
    if len(ready) < wanted:
        return warn(f"{name} pods", f"{len(ready)}/{wanted} ready ({placed})",
                    "a pod pulls its models before it is ready (minutes for a large model): `kubectl logs POD -c pull-models`")
    return ok(f"{name} pods", f"{len(ready)}/{wanted} ready: {placed}")


def _volumes(target: Target, name: str, statefulset: Obj, pods: list[Obj]) -> Iterator[Check]:
    templates = statefulset["spec"].get("volumeClaimTemplates") or []
    if not templates:
        yield ok(f"{name} pvc", "no model cache volume (persistence disabled): models are pulled again by every new pod")
        return
    for pod in pods:
        for template in templates:
            claim_name = f"{template['metadata']['name']}-{pod['metadata']['name']}"
            claim = target.cluster.read("v1", "persistentvolumeclaims", claim_name)
            phase = (claim or {}).get("status", {}).get("phase", "missing")
            if phase != "Bound":
                pool = name.removeprefix("ollama-")
                yield fail(f"{name} pvc", f"{claim_name} is {phase}",
                           f"no volume binds it: set ollama.{pool}.persistence.storageClass to a StorageClass that provisions "
                           f"(`kubectl get storageclass`), or ollama.{pool}.persistence.enabled=false; `kubectl describe pvc {claim_name}`")
                continue
            capacity = claim["status"].get("capacity", {}).get("storage", "?")
            yield ok(f"{name} pvc", f"{claim_name} Bound, {capacity}")


def _models(target: Target, pool: str, statefulset: Obj, pods: list[Obj]) -> Iterator[Check]:
    wanted = [full_name(m) for m in target.value(f"ollama.{pool}.models", []) or []]
    port = int(target.value("ollama.port", 11434))
    for pod in pods:
        if (condition(pod, "Ready") or {}).get("status") != "True":
            continue  # not serving yet: the pods check above says why
        pod_name = pod["metadata"]["name"]
        try:
            stored = {m["name"] for m in target.cluster.pod_proxy(pod_name, port, "api/tags").get("models", [])}
            loaded = target.cluster.pod_proxy(pod_name, port, "api/ps").get("models", [])
        except ClusterError as exc:
            yield fail(f"ollama-{pool} models", f"{pod_name}: Ollama does not answer through the API server: {exc}",
                       f"`kubectl logs {pod_name}`; proxying needs get on pods/proxy")
            continue
        missing = [m for m in wanted if m not in stored]
        if missing:
            yield fail(f"ollama-{pool} models", f"{pod_name} lacks {', '.join(missing)} (it has {', '.join(sorted(stored)) or 'none'})",
                       f"`kubectl port-forward pod/{pod_name} {port}` then `localfn models pull {missing[0]} --ollama-url http://127.0.0.1:{port}`; "
                       f"or check the names in ollama.{pool}.models and restart the pod so it pulls them")
            continue
        yield _loaded(pool, pod_name, wanted, loaded)


def _loaded(pool: str, pod_name: str, wanted: list[str], loaded: list[Obj]) -> Check:
    name = f"ollama-{pool} models"
    if not loaded:
        return ok(name, f"{pod_name} has {', '.join(wanted)}; none loaded now (loaded on first use)")
    where = ", ".join(f"{m['name']} ({'GPU' if m.get('size_vram') else 'CPU'})" for m in loaded)
    on_cpu = [m["name"] for m in loaded if not m.get("size_vram")]
    if pool == "gpu" and on_cpu:
        return warn(name, f"{pod_name} has {', '.join(wanted)}; loaded: {where}",
                    "the GPU pool runs on the CPU: the pod sees no GPU (runtime class, device plugin, driver); "
                    f"`kubectl exec {pod_name} -- nvidia-smi`")
    return ok(name, f"{pod_name} has {', '.join(wanted)}; loaded: {where}")


# --- functions -----------------------------------------------------------------------------

def _functions(target: Target) -> Iterator[Check]:
    knative = target.value("serving.mode") == "knative"
    selector = _labels(**{"app.kubernetes.io/instance": target.release, "app.kubernetes.io/component": "function"})
    workloads = (target.cluster.items("serving.knative.dev/v1", "services", selector=selector) if knative
                 else target.cluster.items("apps/v1", "deployments", selector=selector))
    by_function = {w["metadata"]["labels"].get("localfn.io/function"): w for w in workloads}
    eventing = target.value("eventing.enabled", False)
    triggers = {}
    if eventing:
        trigger_selector = _labels(**{"app.kubernetes.io/instance": target.release, "app.kubernetes.io/component": "eventing"})
        triggers = {t["metadata"]["labels"].get("localfn.io/function"): t
                    for t in target.cluster.items("eventing.knative.dev/v1", "triggers", selector=trigger_selector)}
    for function, config in (target.value("functions", {}) or {}).items():
        if not config.get("enabled"):
            continue
        workload = by_function.get(function)
        yield _knative_service(function, workload) if knative else _deployment(function, workload)
        if eventing:
            yield _trigger(target, function, triggers.get(function))


def _knative_service(function: str, service: Obj | None) -> Check:
    name = f"function {function}"
    if service is None:
        return fail(name, "no Knative Service", "`helm upgrade` the release; `kubectl get ksvc` lists what exists")
    ready = condition(service, "Ready") or {}
    revision = service.get("status", {}).get("latestReadyRevisionName", "none")
    if ready.get("status") != "True":
        return fail(name, f"Knative Service {service['metadata']['name']} not ready: {ready.get('message') or ready.get('reason') or 'no status yet'}",
                    f"`kubectl describe ksvc {service['metadata']['name']}`, then the logs of its newest revision's pod")
    return ok(name, f"Knative Service ready, revision {revision}")


def _deployment(function: str, deployment: Obj | None) -> Check:
    name = f"function {function}"
    if deployment is None:
        return fail(name, "no Deployment", "`helm upgrade` the release; `kubectl get deploy` lists what exists")
    wanted = deployment["spec"].get("replicas", 1)
    ready = deployment.get("status", {}).get("readyReplicas", 0)
    if ready < max(wanted, 1):
        return fail(name, f"Deployment {deployment['metadata']['name']}: {ready}/{wanted} ready",
                    f"`kubectl describe deploy {deployment['metadata']['name']}` and its pods' logs")
    return ok(name, f"Deployment {ready}/{wanted} ready")


def _trigger(target: Target, function: str, trigger: Obj | None) -> Check:
    name = f"trigger {function}"
    if trigger is None:
        return fail(name, "no Trigger", "`helm upgrade` the release (eventing.enabled=true renders one per function)")
    ready = condition(trigger, "Ready") or {}
    if ready.get("status") != "True":
        return fail(name, f"Trigger not ready: {ready.get('message') or ready.get('reason') or 'no status yet'}",
                    f"`kubectl describe trigger {trigger['metadata']['name']}`: is the broker ready and the subscriber addressable?")
    if not (trigger["spec"].get("delivery") or {}).get("deadLetterSink"):
        return warn(name, "ready, but no dead-letter sink: an event that fails every retry is dropped",
                    "set eventing.deadLetter.create=true (the chart's logger), or eventing.deadLetter.uri / .ref")
    return ok(name, "ready, dead-letter sink set")


# --- autoscaling ---------------------------------------------------------------------------

def _autoscaling(target: Target) -> Iterator[Check]:
    pools = [pool for pool in target.pools() if target.value(f"ollama.{pool}.autoscaling.enabled", False)]
    if not pools:
        return
    selector = _labels(**{"app.kubernetes.io/instance": target.release, "app.kubernetes.io/component": "ollama"})
    scaled = {s["metadata"]["labels"].get("localfn.io/pool"): s for s in target.cluster.items("keda.sh/v1alpha1", "scaledobjects", selector=selector)}
    for pool in pools:
        yield _scaled_object(pool, scaled.get(pool))


def _scaled_object(pool: str, scaled: Obj | None) -> Check:
    name = f"autoscaling {pool}"
    if scaled is None:
        return fail(name, "no ScaledObject", "`helm upgrade` the release with KEDA installed")
    ready = condition(scaled, "Ready") or {}
    if ready.get("status") != "True":
        return fail(name, f"ScaledObject {scaled['metadata']['name']} not Ready: {ready.get('message') or ready.get('reason') or 'no status yet'}",
                    f"KEDA cannot ask Prometheus: check ollama.{pool}.autoscaling.prometheus.serverAddress answers and its credentials "
                    f"(`kubectl describe scaledobject {scaled['metadata']['name']}`)")
    active = (condition(scaled, "Active") or {}).get("status") == "True"
    return ok(name, f"ScaledObject Ready, {'active (demand above the activation threshold)' if active else 'idle (no demand now)'}")



# --- shared state --------------------------------------------------------------------------

def _state_errors(target: Target, pods: list[str]) -> dict[str, float]:
    """Each pod's ``localfn_state_errors_total``, summed over its labels."""
    totals = {}
    for pod in pods:
        text = target.cluster.pod_proxy_text(pod, FUNCTION_PORT, "metrics")
        totals[pod] = sum(
            sample.value for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == "localfn_state_errors_total"
        )
    return totals


def _shared_state(target: Target) -> Iterator[Check]:
    store = target.value("state.redis", {}) or {}
    if not (store.get("deploy") or store.get("url") or store.get("existingSecret")):
        return
    selector = _labels(**{"app.kubernetes.io/instance": target.release, "app.kubernetes.io/component": "function"})
    pods = [p["metadata"]["name"] for p in target.cluster.items("v1", "pods", selector=selector)
            if (condition(p, "Ready") or {}).get("status") == "True"]
    if not pods:
        yield ok("shared state", "no function pod runs now (scaled to zero): nothing to ask")
        return
    first = _state_errors(target, pods)
    if not any(first.values()):
        yield ok("shared state", f"no store errors in {len(pods)} function pods")
        return
    time.sleep(STATE_PAUSE_S)
    second = _state_errors(target, [pod for pod, errors in first.items() if errors])
    growing = sorted(pod for pod, errors in second.items() if errors > first[pod])
    if growing:
        yield warn("shared state", f"store errors growing in {', '.join(growing)}: each pod answers with its own state now",
                   "check the store answers: the chart's Valkey pod (state.redis.deploy) or state.redis.url / its Secret; "
                   "`localfn_state_errors_total{op,reason}` says which operation fails and why")
        return
    yield ok("shared state", f"{sum(first.values()):.0f} store errors since the pods started, none in the last {STATE_PAUSE_S:.0f} s")
