"""The release a doctor examines: its cluster, its name, its values; and the shapes its checks share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localfn.operate.kube import Cluster, Obj, condition

__all__ = ["FUNCTION_PORT", "POOLS", "Target", "not_ready", "release_selector", "replicas"]

POOLS = ("gpu", "cpu")
FUNCTION_PORT = 8080  # the functions' container port (charts/localfn: localfn.function.container)


def release_selector(release: str, component: str, pool: str | None = None) -> str:
    """The label selector of a release's objects of one component (and pool), as the chart labels them.

    Knative copies a Service template's labels onto its revisions, their Deployments and pods,
    so ``function`` also selects those.
    """
    labels = {"app.kubernetes.io/instance": release, "app.kubernetes.io/component": component}
    if pool:
        labels["localfn.io/pool"] = pool
    return ",".join(f"{key}={value}" for key, value in labels.items())


@dataclass(frozen=True)
class Target:
    """The release under examination: the cluster, the release's name and its values."""

    cluster: Cluster
    release: str
    values: dict[str, Any]

    def value(self, dotted: str, default: Any = None) -> Any:
        """The value at ``dotted`` ("ollama.gpu.enabled"), or ``default`` where the values have none."""
        node: Any = self.values
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def pools(self) -> list[str]:
        """The Ollama pools the values enable."""
        return [pool for pool in POOLS if self.value(f"ollama.{pool}.enabled", False)]

    def selector(self, component: str, pool: str | None = None) -> str:
        """`release_selector` of this release."""
        return release_selector(self.release, component, pool)


def not_ready(obj: Obj) -> str | None:
    """Why ``obj``'s Ready condition is not True (its message, else its reason), or None when it is."""
    ready = condition(obj, "Ready") or {}
    if ready.get("status") == "True":
        return None
    return str(ready.get("message") or ready.get("reason") or "no status yet")


def replicas(workload: Obj | None) -> tuple[int, int]:
    """A Deployment's or StatefulSet's ready and desired replicas (the API leaves readyReplicas out at 0)."""
    if workload is None:
        return 0, 0
    return int(workload.get("status", {}).get("readyReplicas", 0)), int(workload["spec"].get("replicas", 1))
