"""Picking things out of the rendered chart: objects by kind, workloads, their pods, containers and env.

Plain selectors over the parsed documents (``Doc``) that tests/chart/rendering.py returns;
``pod_template`` knows where each workload kind (and a Knative Service) keeps its pod.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from localfn.functions import FUNCTIONS as REGISTRY

# API groups of the custom resources the chart renders (validated against CRD schemas, not kubernetes-validate).
CUSTOM_GROUPS = ("keda.sh", "monitoring.coreos.com")

# The contract: function name -> (folder under functions/, Python target), from localfn's one list.
FUNCTIONS = {name: (function.package, function.package) for name, function in REGISTRY.items()}

Doc = dict[str, Any]


def of_kind(docs: Iterable[Doc], kind: str, api_group: str | None = None) -> list[Doc]:
    out = []
    for d in docs:
        if d.get("kind") != kind:
            continue
        group = d["apiVersion"].rpartition("/")[0]
        if api_group is not None and group != api_group:
            continue
        out.append(d)
    return out


def knative_services(docs: Iterable[Doc]) -> list[Doc]:
    return of_kind(docs, "Service", "serving.knative.dev")


def core_services(docs: Iterable[Doc]) -> list[Doc]:
    return of_kind(docs, "Service", "")


def by_name(docs: Iterable[Doc]) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs}


def is_custom(doc: Doc) -> bool:
    """A custom resource (Knative, KEDA, Prometheus Operator), not a core Kubernetes object."""
    return ".knative.dev/" in doc["apiVersion"] or doc["apiVersion"].rpartition("/")[0] in CUSTOM_GROUPS


def is_knative(doc: Doc) -> bool:
    return ".knative.dev/" in doc["apiVersion"]


def pod_template(doc: Doc) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata, spec) of the pod a workload object runs."""
    kind = doc["kind"]
    if kind == "Pod":
        return doc["metadata"], doc["spec"]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        t = doc["spec"]["template"]
        return t.get("metadata", {}), t["spec"]
    if kind == "Service" and doc["apiVersion"].startswith("serving.knative.dev/"):
        t = doc["spec"]["template"]
        return t.get("metadata", {}), t["spec"]
    raise ValueError(f"{kind} has no pod template")


def workloads(docs: Iterable[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] in ("Pod", "Deployment", "StatefulSet") or (d["kind"] == "Service" and is_knative(d))]


def component_workloads(docs: Iterable[Doc], component: str) -> list[Doc]:
    """The workloads whose pods carry app.kubernetes.io/component=``component`` (ollama, state, ...)."""
    return [d for d in workloads(docs) if pod_template(d)[0].get("labels", {}).get("app.kubernetes.io/component") == component]


def ollama_statefulsets(docs: Iterable[Doc]) -> list[Doc]:
    """The Ollama pools' StatefulSets (not the chart's Valkey)."""
    return [d for d in component_workloads(docs, "ollama") if d["kind"] == "StatefulSet"]


def function_workloads(docs: Iterable[Doc]) -> list[Doc]:
    """Knative Services or Deployments of the five functions."""
    return component_workloads(docs, "function")


def function_of(doc: Doc) -> str:
    return pod_template(doc)[0]["labels"]["localfn.io/function"]


def containers(spec: dict[str, Any], init: bool = True) -> list[dict[str, Any]]:
    return list(spec.get("containers", [])) + (list(spec.get("initContainers", [])) if init else [])


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def env_value(container: dict[str, Any], name: str) -> str | None:
    e = env_of(container).get(name)
    return None if e is None else e.get("value")


def main_container(doc: Doc) -> dict[str, Any]:
    spec = pod_template(doc)[1]
    assert len(spec["containers"]) == 1, f"{doc['metadata']['name']}: expected one container"
    return spec["containers"][0]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def flag_value(args: list[str], name: str) -> str:
    """The value of the one `--name=value` in a container's args."""
    (value,) = [a.removeprefix(f"--{name}=") for a in args if a.startswith(f"--{name}=")]
    return value


def engines_of(container: dict[str, Any]) -> list[dict[str, Any]]:
    raw = env_value(container, "LOCALFN_ENGINES")
    assert raw is not None, "LOCALFN_ENGINES is not set"
    return json.loads(raw)
