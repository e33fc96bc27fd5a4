"""Each Ollama pool: its pods scheduled and where, their model caches bound, the values' models
present in each pod and which are loaded, on the GPU or not (through the API server's pod proxy)."""

from __future__ import annotations

from collections.abc import Iterator

from localfn.engine.ollama import full_name
from localfn.operate.checks import Check, fail, ok, warn
from localfn.operate.kube import ClusterError, Obj, condition
from localfn.operate.ollama import LoadedModel, loaded_models, runs_on
from localfn.operate.target import Target, not_ready, replicas

__all__ = ["pending", "pool_checks", "pool_pods"]


def pool_pods(target: Target, pool: str) -> list[Obj]:
    return target.cluster.items("v1", "pods", selector=target.selector("ollama", pool=pool))


def pending(target: Target, pool: str) -> bool:
    return any(not _scheduled(pod) for pod in pool_pods(target, pool))


def _scheduled(pod: Obj) -> bool:
    scheduled = condition(pod, "PodScheduled")
    return bool(pod["spec"].get("nodeName")) and (scheduled is None or scheduled.get("status") == "True")


def pool_checks(target: Target) -> Iterator[Check]:
    """Pods, volumes and models of each enabled pool."""
    for pool in target.pools():
        name = f"ollama-{pool}"
        statefulsets = target.cluster.items("apps/v1", "statefulsets", selector=target.selector("ollama", pool=pool))
        if not statefulsets:
            yield fail(
                name,
                f"no StatefulSet of release {target.release!r} for the {pool} pool in {target.cluster.namespace}",
                "check --release and --namespace (`helm list -A`), or `helm upgrade` the release",
            )
            continue
        statefulset = statefulsets[0]
        pods = pool_pods(target, pool)
        yield _pods(name, statefulset, pods)
        yield from _volumes(target, name, statefulset, pods)
        yield from _models(target, pool, statefulset, pods)


def _pods(name: str, statefulset: Obj, pods: list[Obj]) -> Check:
    _, wanted = replicas(statefulset)
    if wanted == 0:
        return ok(f"{name} pods", "scaled to zero (0 replicas): nothing to check until it scales up")
    unscheduled = [p for p in pods if not _scheduled(p)]
    if unscheduled:
        why = (condition(unscheduled[0], "PodScheduled") or {}).get("message", "not scheduled")
        return fail(
            f"{name} pods",
            f"{unscheduled[0]['metadata']['name']} is not scheduled: {why}",
            "the GPU checks above say which of nodes, free GPUs, taints or the runtime class is missing; "
            f"`kubectl describe pod {unscheduled[0]['metadata']['name']}` shows the scheduler's reasons",
        )
    ready = [p for p in pods if not_ready(p) is None]
    placed = ", ".join(f"{p['metadata']['name']} on {p['spec']['nodeName']}" for p in pods)
    if len(ready) < wanted:
        return warn(
            f"{name} pods",
            f"{len(ready)}/{wanted} ready ({placed})",
            "a pod pulls its models before it is ready (minutes for a large model): `kubectl logs POD -c pull-models`",
        )
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
            if claim is None or phase != "Bound":
                pool = name.removeprefix("ollama-")
                yield fail(
                    f"{name} pvc",
                    f"{claim_name} is {phase}",
                    f"no volume binds it: set ollama.{pool}.persistence.storageClass to a StorageClass that provisions "
                    f"(`kubectl get storageclass`), or ollama.{pool}.persistence.enabled=false; `kubectl describe pvc {claim_name}`",
                )
                continue
            capacity = claim["status"].get("capacity", {}).get("storage", "?")
            yield ok(f"{name} pvc", f"{claim_name} Bound, {capacity}")


def _models(target: Target, pool: str, statefulset: Obj, pods: list[Obj]) -> Iterator[Check]:
    wanted = [full_name(m) for m in target.value(f"ollama.{pool}.models", []) or []]
    port = int(target.value("ollama.port", 11434))
    for pod in pods:
        if not_ready(pod) is not None:
            continue  # not serving yet: the pods check above says why
        pod_name = pod["metadata"]["name"]
        try:
            stored = {m["name"] for m in target.cluster.pod_proxy(pod_name, port, "api/tags").get("models", [])}
            loaded = loaded_models(target.cluster.pod_proxy(pod_name, port, "api/ps"))
        except ClusterError as exc:
            yield fail(
                f"ollama-{pool} models",
                f"{pod_name}: Ollama does not answer through the API server: {exc}",
                f"`kubectl logs {pod_name}`; proxying needs get on pods/proxy",
            )
            continue
        missing = [m for m in wanted if m not in stored]
        if missing:
            yield fail(
                f"ollama-{pool} models",
                f"{pod_name} lacks {', '.join(missing)} (it has {', '.join(sorted(stored)) or 'none'})",
                f"`kubectl port-forward pod/{pod_name} {port}` then "
                f"`localfn models pull {missing[0]} --ollama-url http://127.0.0.1:{port}`; "
                f"or check the names in ollama.{pool}.models and restart the pod so it pulls them",
            )
            continue
        yield _loaded(pool, pod_name, wanted, loaded)


def _loaded(pool: str, pod_name: str, wanted: list[str], loaded: list[LoadedModel]) -> Check:
    name = f"ollama-{pool} models"
    if not loaded:
        return ok(name, f"{pod_name} has {', '.join(wanted)}; none loaded now (loaded on first use)")
    where = ", ".join(f"{m.name} ({runs_on([m])})" for m in loaded)
    on_cpu = [m.name for m in loaded if runs_on([m]) == "CPU"]
    if pool == "gpu" and on_cpu:
        return warn(
            name,
            f"{pod_name} has {', '.join(wanted)}; loaded: {where}",
            "the GPU pool runs on the CPU: the pod sees no GPU (runtime class, device plugin, driver); "
            f"`kubectl exec {pod_name} -- nvidia-smi`",
        )
    return ok(name, f"{pod_name} has {', '.join(wanted)}; loaded: {where}")
