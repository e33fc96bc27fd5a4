"""The functions and what keeps them going: each function's Knative Service (or Deployment) and
Trigger, each autoscaled pool's ScaledObject, and the shared-state store as the function pods see it."""

from __future__ import annotations

import time
from collections.abc import Iterator

from localfn.operate.checks import Check, fail, ok, warn
from localfn.operate.kube import Obj, condition
from localfn.operate.status import parse_samples
from localfn.operate.target import FUNCTION_PORT, Target, not_ready, replicas

__all__ = ["autoscaling_checks", "function_checks", "shared_state_checks"]

STATE_PAUSE_S = 2.0  # between two reads of a pod's state errors: growing means failing now


def function_checks(target: Target) -> Iterator[Check]:
    """Each enabled function's Knative Service (or Deployment), and its Trigger when eventing is on."""
    knative = target.value("serving.mode") == "knative"
    selector = target.selector("function")
    workloads = (
        target.cluster.items("serving.knative.dev/v1", "services", selector=selector)
        if knative
        else target.cluster.items("apps/v1", "deployments", selector=selector)
    )
    by_function = {w["metadata"]["labels"].get("localfn.io/function"): w for w in workloads}
    eventing = target.value("eventing.enabled", False)
    triggers = {}
    if eventing:
        trigger_selector = target.selector("eventing")
        triggers = {
            t["metadata"]["labels"].get("localfn.io/function"): t
            for t in target.cluster.items("eventing.knative.dev/v1", "triggers", selector=trigger_selector)
        }
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
    revision = service.get("status", {}).get("latestReadyRevisionName", "none")
    if why := not_ready(service):
        return fail(
            name,
            f"Knative Service {service['metadata']['name']} not ready: {why}",
            f"`kubectl describe ksvc {service['metadata']['name']}`, then the logs of its newest revision's pod",
        )
    return ok(name, f"Knative Service ready, revision {revision}")


def _deployment(function: str, deployment: Obj | None) -> Check:
    name = f"function {function}"
    if deployment is None:
        return fail(name, "no Deployment", "`helm upgrade` the release; `kubectl get deploy` lists what exists")
    ready, wanted = replicas(deployment)
    if ready < max(wanted, 1):
        return fail(
            name,
            f"Deployment {deployment['metadata']['name']}: {ready}/{wanted} ready",
            f"`kubectl describe deploy {deployment['metadata']['name']}` and its pods' logs",
        )
    return ok(name, f"Deployment {ready}/{wanted} ready")


def _trigger(target: Target, function: str, trigger: Obj | None) -> Check:
    name = f"trigger {function}"
    if trigger is None:
        return fail(name, "no Trigger", "`helm upgrade` the release (eventing.enabled=true renders one per function)")
    if why := not_ready(trigger):
        return fail(
            name,
            f"Trigger not ready: {why}",
            f"`kubectl describe trigger {trigger['metadata']['name']}`: is the broker ready and the subscriber addressable?",
        )
    if not (trigger["spec"].get("delivery") or {}).get("deadLetterSink"):
        return warn(
            name,
            "ready, but no dead-letter sink: an event that fails every retry is dropped",
            "set eventing.deadLetter.create=true (the chart's logger), or eventing.deadLetter.uri / .ref",
        )
    return ok(name, "ready, dead-letter sink set")


def autoscaling_checks(target: Target) -> Iterator[Check]:
    """Each autoscaled pool's ScaledObject: present, Ready, active or idle."""
    pools = [pool for pool in target.pools() if target.value(f"ollama.{pool}.autoscaling.enabled", False)]
    if not pools:
        return
    selector = target.selector("ollama")
    scaled = {
        s["metadata"]["labels"].get("localfn.io/pool"): s
        for s in target.cluster.items("keda.sh/v1alpha1", "scaledobjects", selector=selector)
    }
    for pool in pools:
        yield _scaled_object(pool, scaled.get(pool))


def _scaled_object(pool: str, scaled: Obj | None) -> Check:
    name = f"autoscaling {pool}"
    if scaled is None:
        return fail(name, "no ScaledObject", "`helm upgrade` the release with KEDA installed")
    if why := not_ready(scaled):
        return fail(
            name,
            f"ScaledObject {scaled['metadata']['name']} not Ready: {why}",
            f"KEDA cannot ask Prometheus: check ollama.{pool}.autoscaling.prometheus.serverAddress answers and its credentials "
            f"(`kubectl describe scaledobject {scaled['metadata']['name']}`)",
        )
    active = (condition(scaled, "Active") or {}).get("status") == "True"
    return ok(name, f"ScaledObject Ready, {'active (demand above the activation threshold)' if active else 'idle (no demand now)'}")


def _state_errors(target: Target, pods: list[str]) -> dict[str, float]:
    """Each pod's ``localfn_state_errors_total``, summed over its labels."""
    totals = {}
    for pod in pods:
        samples = parse_samples(target.cluster.pod_proxy_text(pod, FUNCTION_PORT, "metrics"))
        totals[pod] = sum(value for _, value in samples.get("localfn_state_errors_total", []))
    return totals


def shared_state_checks(target: Target) -> Iterator[Check]:
    """Store errors in the running function pods (only with a store configured), read twice when not zero."""
    store = target.value("state.redis", {}) or {}
    if not (store.get("deploy") or store.get("url") or store.get("existingSecret")):
        return
    selector = target.selector("function")
    pods = [p["metadata"]["name"] for p in target.cluster.items("v1", "pods", selector=selector) if not_ready(p) is None]
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
        yield warn(
            "shared state",
            f"store errors growing in {', '.join(growing)}: each pod answers with its own state now",
            "check the store answers: the chart's Valkey pod (state.redis.deploy) or state.redis.url / its Secret; "
            "`localfn_state_errors_total{op,reason}` says which operation fails and why",
        )
        return
    yield ok("shared state", f"{sum(first.values()):.0f} store errors since the pods started, none in the last {STATE_PAUSE_S:.0f} s")
