"""Where Knative Eventing delivers an event sent to a reference, worked out on the rendered chart.

Follows Knative's addressable resolver (knative.dev/pkg resolver/addressable_resolver.go):
a Knative Service is its own address; a v1 Service is addressed on port 80 and reaches
the pods its selector matches on the container port its targetPort names.
"""

from __future__ import annotations

from collections.abc import Iterable

from tests.chart.objects import Doc, containers, is_knative, of_kind, pod_template, selects, workloads

# Knative Eventing resolves a reference to a v1 Service as http://<name>.<namespace>.svc/,
# with no port (knative.dev/pkg resolver/addressable_resolver.go): port 80.
EVENTING_SERVICE_PORT = 80


def resolve_ref(docs: Iterable[Doc], ref: dict[str, str]) -> Doc | None:
    """The rendered object a KReference names (apiVersion, kind and name all match), or None."""
    key = (ref.get("apiVersion"), ref.get("kind"), ref.get("name"))
    return next((d for d in docs if (d["apiVersion"], d["kind"], d["metadata"]["name"]) == key), None)


def delivery_targets(docs: list[Doc], ref: dict[str, str]) -> list[Doc]:
    """The workloads an event sent to a KReference reaches, as Knative Eventing resolves it.

    A Knative Service runs its own pods. A v1 Service is addressed on port 80 and
    forwards to the pods its selector matches, on the container port its
    targetPort names (or numbers). Anything else, or nothing rendered, reaches none;
    so does a v1 Service without a selector (its endpoints are not the chart's).
    """
    target = resolve_ref(docs, ref)
    if target is None or target["kind"] != "Service":
        return []
    if is_knative(target):
        return [target]
    selector = target["spec"].get("selector")
    ports = [p for p in target["spec"].get("ports", []) if p["port"] == EVENTING_SERVICE_PORT]
    if not selector or not ports:
        return []
    target_port = ports[0].get("targetPort", EVENTING_SERVICE_PORT)
    return [
        w
        for w in workloads(docs)
        if selects(selector, pod_template(w)[0].get("labels", {}))
        and any(
            target_port in (p.get("name"), p["containerPort"])
            for c in containers(pod_template(w)[1], init=False)
            for p in c.get("ports", [])
        )
    ]


def dead_letter_logger(docs: list[Doc]) -> Doc:
    """The workload the Triggers' dead-letter sink reaches (one for all of them)."""
    sinks = {tuple(sorted(t["spec"]["delivery"]["deadLetterSink"]["ref"].items())) for t in of_kind(docs, "Trigger")}
    assert len(sinks) == 1, sinks
    (logger,) = delivery_targets(docs, dict(next(iter(sinks))))
    return logger
