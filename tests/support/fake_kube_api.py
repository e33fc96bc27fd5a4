"""FakeKubeApi: a named fake of the Kubernetes API server, read-only, for `localfn doctor --cluster`.

No API server can run on the test machines. This Starlette app answers the GETs a kubectl-like
client makes (discovery, /version, collections with label selectors, single objects, the pod
proxy) from objects the test adds, in the API server's own shapes: every object is checked when
added, core kinds against the Kubernetes OpenAPI schemas (kubernetes-validate, strict: an
unknown or misspelled field fails), custom resources against the Knative and KEDA CRDs kept in
assets/specs. Only what an operator's read-only role allows is served; ``forbidden`` makes a
collection answer 403 as RBAC would.

A pod's or a Service's proxy (``/api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH``, likewise
``services``) is served by the ASGI app registered in ``proxies`` as "pods/NAME" or
"services/NAME" (an OllamaPeer, a function's /metrics), as the API server forwards to the pod:
an object not added answers 404 as the API server does, one with nothing registered behind it
503 (connection refused, the answer of a pod whose process is down). The proxy alone also takes
POST (a pull, a warm-up), as the real one does.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import kubernetes_validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.chart.crds import crd_errors

Obj = dict[str, Any]
KUBE_VERSION = "1.33.4"
# Core groups every cluster serves; others come from the objects added (and `groups` edits).
BUILTIN_GROUPS = {"apps", "node.k8s.io", "policy", "networking.k8s.io", "autoscaling"}


def plural(kind: str) -> str:
    lowered = kind.lower()
    return f"{lowered}es" if lowered.endswith("s") else f"{lowered}s"


def _matches(selector: str, labels: dict[str, str]) -> bool:
    """Equality-based label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a`` (exists), comma-joined."""
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term not in labels:
            return False
    return True


def _status(code: int, reason: str, message: str) -> Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}
    return Response(json.dumps(body), code, media_type="application/json")


def validation_errors(obj: Obj) -> list[str]:
    """What the API server (its OpenAPI schema, or the CRD's) would reject in ``obj``."""
    group = obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else ""
    if group.endswith("knative.dev") or group == "keda.sh":
        return crd_errors(obj)
    try:
        kubernetes_validate.validate(obj, KUBE_VERSION.rsplit(".", 1)[0], strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
    return []


class FakeKubeApi:
    """The Kubernetes API, GET only, over the objects added with `add`."""

    def __init__(self) -> None:
        self.objects: list[Obj] = []
        self.groups: set[str] = set(BUILTIN_GROUPS)
        self.proxies: dict[str, ASGIApp] = {}  # "pods/NAME" or "services/NAME" -> what answers behind it
        self.forbidden: set[str] = set()  # plurals that answer 403
        self.requests: list[str] = []
        self.app = Starlette(routes=[Route("/{path:path}", self._get, methods=["GET", "POST"])])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def add(self, *objects: Obj) -> None:
        """Store objects after checking them as the API server would; a shape error fails the test at once."""
        for obj in objects:
            errors = validation_errors(obj)
            assert not errors, f"{obj['kind']} {obj['metadata'].get('name')}: {errors}"
            if "/" in obj["apiVersion"]:
                self.groups.add(obj["apiVersion"].rsplit("/", 1)[0])
            self.objects.append(copy.deepcopy(obj))

    def find(self, kind: str, name: str) -> Obj:
        """The stored object (to change its status in a test)."""
        return next(o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name)

    def remove(self, kind: str, name: str) -> None:
        self.objects.remove(self.find(kind, name))

    async def _get(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.requests.append(f"{path}?{request.url.query}" if request.url.query else path)
        if path == "/version":
            major, minor, _ = KUBE_VERSION.split(".")
            return self._json({"major": major, "minor": minor, "gitVersion": f"v{KUBE_VERSION}", "platform": "linux/amd64"})
        if path == "/apis":
            return self._json({"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in sorted(self.groups)]})
        if path.startswith("/api/v1/"):
            group_version, rest = "v1", path.removeprefix("/api/v1/").split("/")
        elif path.startswith("/apis/") and path.count("/") >= 4:
            _, _, group, version, *rest = path.split("/")
            if group not in self.groups:
                return _status(404, "NotFound", "the server could not find the requested resource")
            group_version = f"{group}/{version}"
        else:
            return _status(404, "NotFound", f"no route {path}")
        return await self._resource(request, group_version, rest)

    async def _resource(self, request: Request, group_version: str, parts: list[str]) -> Response:
        namespace = None
        if parts[0] == "namespaces" and len(parts) >= 3:
            namespace, parts = parts[1], parts[2:]
        resource, name, sub = parts[0], (parts[1] if len(parts) > 1 else None), parts[2:]
        if resource in self.forbidden:
            return _status(403, "Forbidden", f'{resource} is forbidden: User "operator" cannot list resource "{resource}"')
        found = [
            o
            for o in self.objects
            if o["apiVersion"] == group_version
            and plural(o["kind"]) == resource
            and (namespace is None or o["metadata"].get("namespace") == namespace)
        ]
        if resource in ("pods", "services") and name and sub[:1] == ["proxy"]:
            target = name.split(":", 1)[0]
            if not any(o["metadata"]["name"] == target for o in found):  # the API server resolves the object first
                return _status(404, "NotFound", f'{resource} "{target}" not found')
            return await self._proxy(request, f"{resource}/{target}", "/".join(sub[1:]))
        if request.method != "GET":
            return _status(405, "MethodNotAllowed", "this fake serves reads only")
        if name is None:
            selected = [o for o in found if _matches(request.query_params.get("labelSelector", ""), o["metadata"].get("labels", {}))]
            kind = selected[0]["kind"] if selected else resource.title()
            return self._json({"apiVersion": group_version, "kind": f"{kind}List", "metadata": {"resourceVersion": "1"}, "items": selected})
        match = next((o for o in found if o["metadata"]["name"] == name), None)
        if match is None:
            return _status(404, "NotFound", f'{resource} "{name}" not found')
        return self._json(match)

    async def _proxy(self, request: Request, target: str, path: str) -> Response:
        app = self.proxies.get(target)
        if app is None:
            return _status(503, "ServiceUnavailable", f"error trying to reach service: dial tcp: connect: connection refused ({target})")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend") as client:
            answer = await client.request(
                request.method,
                f"/{path}",
                content=await request.body(),
                headers={"content-type": request.headers.get("content-type", "application/json")},
            )
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))

    @staticmethod
    def _json(body: Obj) -> Response:
        return Response(json.dumps(body), media_type="application/json")


def _group(name: str) -> Obj:
    version = {"keda.sh": "v1alpha1"}.get(name, "v1")
    entry = {"groupVersion": f"{name}/{version}", "version": version}
    return {"name": name, "versions": [entry], "preferredVersion": entry}


def kubeconfig(server: str, namespace: str, context: str = "fake") -> Obj:
    """A kubeconfig naming the fake as ``context``, with ``namespace`` as its default namespace."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "operator", "user": {"token": "not-a-secret"}}],
        "contexts": [{"name": context, "context": {"cluster": "fake", "user": "operator", "namespace": namespace}}],
        "current-context": context,
    }
