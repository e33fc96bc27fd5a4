"""A read-only view of one namespace of a Kubernetes cluster, through the kubernetes client.

The client does what kubectl does to reach a cluster (kubeconfig files, contexts, exec
credential plugins, client certificates, in-cluster service account); localfn then only GETs
paths and reads the JSON, the same shapes for core objects and custom resources, so
nothing here needs more than ``get`` and ``list`` rights. The client's exceptions (and
urllib3's, under it) become `ClusterError` here, once.

Imported by `localfn doctor --cluster` only: the kubernetes package takes ~0.3 s to import.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

__all__ = ["Cluster", "ClusterError", "Obj", "condition"]

Obj = dict[str, Any]
TIMEOUT_S = 10.0


class ClusterError(Exception):
    """A request the cluster refused or never answered; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def condition(obj: Obj, kind: str) -> Obj | None:
    """The ``status.conditions`` entry of type ``kind`` (Ready, Active, PodScheduled...), if any."""
    return next((c for c in obj.get("status", {}).get("conditions") or [] if c.get("type") == kind), None)


@dataclass
class Cluster:
    """GETs against one cluster, relative to ``namespace`` where a resource is namespaced."""

    api: client.ApiClient
    namespace: str
    context: str

    @classmethod
    def connect(cls, kubeconfig: str | None, context: str | None, namespace: str | None) -> Cluster:
        """Load credentials as kubectl does: ``kubeconfig`` (KUBECONFIG's paths) or ~/.kube/config, else in-cluster.

        The namespace is ``namespace``, else the context's, else "default".
        """
        configuration = client.Configuration()
        try:
            contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
            chosen = next((c for c in contexts if c["name"] == context), None) if context else active
            if chosen is None:
                names = ", ".join(c["name"] for c in contexts)
                raise ClusterError(f"no context {context!r} in the kubeconfig; it has: {names}")
            config.load_kube_config(config_file=kubeconfig, context=chosen["name"], client_configuration=configuration)
            namespace = namespace or chosen.get("context", {}).get("namespace") or "default"
            name = chosen["name"]
        except ConfigException as exc:
            if kubeconfig or context or not Path("/var/run/secrets/kubernetes.io/serviceaccount/token").exists():
                raise ClusterError(f"cannot load the kube config: {exc}; set KUBECONFIG or --kubeconfig") from exc
            config.load_incluster_config(client_configuration=configuration)
            name = "in-cluster"
            namespace = namespace or Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read_text().strip()
        configuration.retries = 0  # a doctor reports an unreachable cluster at once; it does not retry for minutes
        return cls(client.ApiClient(configuration), namespace, name)

    @property
    def host(self) -> str:
        return str(self.api.configuration.host)

    def close(self) -> None:
        self.api.close()

    def get(self, path: str, **query: str) -> Obj:
        """GET ``path`` (e.g. /api/v1/nodes) and its JSON; `ClusterError` when it fails."""
        text = self._get(path, query, accept="application/json")
        try:
            return dict(json.loads(text))
        except ValueError as exc:
            raise ClusterError(f"GET {path}: not JSON") from exc

    def version(self) -> str:
        return str(self.get("/version").get("gitVersion", "unknown"))

    def api_groups(self) -> set[str]:
        """The API groups the cluster serves (discovery; every authenticated user may read it)."""
        return {group["name"] for group in self.get("/apis").get("groups", [])}

    def items(self, group_version: str, plural: str, *, namespaced: bool = True, selector: str = "") -> list[Obj]:
        """``kubectl get <plural> -l <selector>``: the objects of a collection (core group: group_version "v1")."""
        query = {"labelSelector": selector} if selector else {}
        return list(self.get(self._collection(group_version, plural, namespaced), **query).get("items", []))

    def read(self, group_version: str, plural: str, name: str, *, namespaced: bool = True) -> Obj | None:
        """One object, or None when there is none of that name."""
        try:
            return self.get(f"{self._collection(group_version, plural, namespaced)}/{quote(name)}")
        except ClusterError as exc:
            if exc.status == 404:
                return None
            raise

    def pod_proxy(self, pod: str, port: int, path: str) -> Obj:
        """GET ``path`` on a pod's port through the API server (`kubectl get --raw .../proxy/...`), as JSON."""
        return self.get(self._pod_proxy_path(pod, port, path))

    def pod_proxy_text(self, pod: str, port: int, path: str) -> str:
        """The same, as text (a Prometheus /metrics page)."""
        return self._get(self._pod_proxy_path(pod, port, path), {}, accept="*/*")

    def _pod_proxy_path(self, pod: str, port: int, path: str) -> str:
        return f"/api/v1/namespaces/{self.namespace}/pods/{quote(pod)}:{port}/proxy/{path.lstrip('/')}"

    def service_proxy(self, service: str, port: int) -> tuple[str, httpx.Client]:
        """The base URL of a Service's port through the API server, and an httpx client authenticated as this user.

        For what the client's GETs do not cover: POSTs and streamed answers (an Ollama pull). Needs
        get and create on ``services/proxy``. The caller closes the client.
        """
        config = self.api.configuration
        # Unverified only when the kubeconfig says so (insecure-skip-tls-verify), as kubectl does.
        context = ssl.create_default_context(cafile=config.ssl_ca_cert) if config.verify_ssl else ssl._create_unverified_context()
        if config.cert_file:
            context.load_cert_chain(config.cert_file, config.key_file)
        token = config.auth_settings().get("BearerToken")  # refreshed by exec credential plugins
        headers = {"Authorization": str(token["value"])} if token else {}
        url = f"{self.host}/api/v1/namespaces/{self.namespace}/services/{quote(service)}:{port}/proxy"
        return url, httpx.Client(verify=context, headers=headers)

    def _collection(self, group_version: str, plural: str, namespaced: bool) -> str:
        root = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        return f"{root}/namespaces/{self.namespace}/{plural}" if namespaced else f"{root}/{plural}"

    def _get(self, path: str, query: dict[str, str], accept: str) -> str:
        try:
            method, url, headers, _, _ = self.api.param_serialize(
                "GET", path, query_params=list(query.items()), header_params={"Accept": accept}, auth_settings=["BearerToken"]
            )
            response = self.api.call_api(method, url, header_params=headers, _request_timeout=TIMEOUT_S)
            response.read()
        except ApiException as exc:
            raise ClusterError(f"GET {path}: {exc.reason or exc}", exc.status or 0) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterError(f"GET {path}: no answer from {self.host}: {exc}") from exc
        text = (response.data or b"").decode(errors="replace")
        if not 200 <= response.status < 300:
            raise ClusterError(f"GET {path}: HTTP {response.status}: {_status_message(text)}", response.status)
        return text


def _status_message(text: str) -> str:
    """The message of a Kubernetes Status object, else the body."""
    try:
        return str(json.loads(text).get("message") or text)
    except (ValueError, AttributeError):
        return text[:200]
