"""The GPU pool's nodes: which advertise the GPU resource, how many GPUs are free, their taints
against the pool's tolerations, and the runtime class the pool names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from localfn.operate.checks import Check, fail, ok, warn
from localfn.operate.kube import ClusterError, Obj
from localfn.operate.pool_checks import pending
from localfn.operate.target import Target

__all__ = ["gpu_checks", "tolerates"]


def gpu_checks(target: Target) -> Iterator[Check]:
    """Nodes, free GPUs, taints, runtime class; nothing when the GPU pool is off."""
    if not target.value("ollama.gpu.enabled", False):
        return
    resource = target.value("ollama.gpu.gpu.resourceName", "nvidia.com/gpu")
    nodes = [
        n for n in target.cluster.items("v1", "nodes", namespaced=False) if _quantity(n["status"].get("allocatable", {}).get(resource)) > 0
    ]
    if not nodes:
        yield fail(
            "gpu nodes",
            f"no node advertises allocatable {resource}",
            "install the NVIDIA GPU Operator (or device plugin) on the GPU nodes; for MIG set "
            "ollama.gpu.gpu.resourceName to the MIG resource (e.g. nvidia.com/mig-1g.10gb); or ollama.gpu.enabled=false",
        )
        return
    yield ok(
        "gpu nodes", ", ".join(f"{n['metadata']['name']} ({_quantity(n['status']['allocatable'][resource])} {resource})" for n in nodes)
    )
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
        for p in pods
        if p["spec"].get("nodeName") in names and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
        for c in p["spec"]["containers"]
    )
    wanted = _quantity(target.value("ollama.gpu.gpu.count", 1))
    detail = f"{total - used} of {total} free"
    if total - used <= 0 and pending(target, "gpu"):
        return fail(
            "free gpus", f"{detail}, and a GPU Ollama pod waits for {wanted}", "add GPU nodes, free a GPU, or lower ollama.gpu.replicas"
        )
    return ok("free gpus", detail)


def tolerates(tolerations: list[Obj], taint: Obj) -> bool:
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
        for n in nodes
        for t in n["spec"].get("taints", []) or []
        if t["effect"] in ("NoSchedule", "NoExecute") and not tolerates(tolerations, t)
    }
    if not untolerated:
        return ok("gpu taints", "every GPU node's taints are tolerated by ollama.gpu.tolerations")
    wanted = ", ".join(sorted(untolerated))
    if all(_node_untolerated(n, tolerations) for n in nodes):
        return fail(
            "gpu taints",
            f"no GPU node is schedulable for the GPU pool: taints {wanted} are not tolerated",
            f"add to ollama.gpu.tolerations: {_toleration_yaml(sorted(untolerated))}",
        )
    return warn(
        "gpu taints",
        f"some GPU nodes have taints the GPU pool does not tolerate: {wanted}",
        f"add to ollama.gpu.tolerations: {_toleration_yaml(sorted(untolerated))}",
    )


def _node_untolerated(node: Obj, tolerations: list[Obj]) -> bool:
    return any(t["effect"] in ("NoSchedule", "NoExecute") and not tolerates(tolerations, t) for t in node["spec"].get("taints", []) or [])


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
        return fail(
            "runtime class",
            f"RuntimeClass {name!r} (ollama.gpu.runtimeClassName) does not exist",
            "create it (the GPU Operator makes 'nvidia'; see `kubectl get runtimeclass`), "
            "or set ollama.gpu.runtimeClassName to one that exists",
        )
    return ok("runtime class", f"RuntimeClass {name!r} exists")
