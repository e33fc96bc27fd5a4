"""Rendering the chart and judging what it renders, for the tests in tests/chart.

Everything here is a checker written from a specification: the Kubernetes
"restricted" Pod Security Standard, the Knative and KEDA CRD schemas kept verbatim
in assets/specs/knative/ and assets/specs/keda/, and the checks Knative's admission
webhook makes that those schemas do not express. Nothing compares against a stored
render.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from localfn.functions import FUNCTIONS as REGISTRY

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "localfn"
CI_VALUES = CHART / "ci"
CRD_DIRS = (REPO / "assets" / "specs" / "knative", REPO / "assets" / "specs" / "keda")
# API groups of the custom resources the chart renders (validated against CRD schemas, not kubernetes-validate).
CUSTOM_GROUPS = ("keda.sh", "monitoring.coreos.com")
MANIFESTS = REPO / "manifests"

RELEASE = "demo"
NAMESPACE = "localfn-test"
KUBE_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")

# The contract: function name -> (folder under functions/, Python target), from localfn's one list.
FUNCTIONS = {name: (function.package, function.package) for name, function in REGISTRY.items()}

Doc = dict[str, Any]


# --------------------------------------------------------------------------- helm


def find_helm() -> str | None:
    """helm on PATH, else the one scripts/install-k8s-tools.sh puts in .venv/bin."""
    on_path = shutil.which("helm")
    if on_path:
        return on_path
    venv_helm = REPO / ".venv" / "bin" / "helm"
    if venv_helm.is_file() and os.access(venv_helm, os.X_OK):
        return str(venv_helm)
    return None


class HelmFailed(Exception):
    def __init__(self, args: list[str], proc: subprocess.CompletedProcess[str]):
        self.args_ = args
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        super().__init__(f"helm {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")


def run_helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    helm = find_helm()
    if helm is None:  # pragma: no cover - the fixtures skip before this
        raise RuntimeError("helm not found")
    env = {
        **os.environ,
        # Keep helm away from the user's config, cache and repositories.
        "HELM_CONFIG_HOME": "/tmp/localfn-chart-tests/config",
        "HELM_CACHE_HOME": "/tmp/localfn-chart-tests/cache",
        "HELM_DATA_HOME": "/tmp/localfn-chart-tests/data",
    }
    proc = subprocess.run([helm, *args], capture_output=True, text=True, env=env, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise HelmFailed(list(args), proc)
    return proc


def values_args(values_files: Iterable[str | Path] = (), set_values: Iterable[str] = ()) -> list[str]:
    out: list[str] = []
    for f in values_files:
        out += ["-f", str(f)]
    for s in set_values:
        out += ["--set", s]
    return out


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _render_cached(values_files: tuple[str, ...], set_values: tuple[str, ...], kube_version: str) -> list[Doc]:
    proc = run_helm(
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--kube-version",
        kube_version,
        *values_args(values_files, set_values),
    )
    return [d for d in yaml.load_all(proc.stdout, Loader=_Loader) if d]


def render(
    values_files: Iterable[str | Path] = (), set_values: Iterable[str] = (), kube_version: str = "1.33.0"
) -> list[Doc]:
    """Render the chart (hooks and tests included) and parse every document (a fresh copy each call)."""
    return copy.deepcopy(_render_cached(tuple(map(str, values_files)), tuple(set_values), kube_version))


def render_error(values_files: Iterable[str | Path] = (), set_values: Iterable[str] = ()) -> str:
    """Render expecting failure; return helm's error output."""
    proc = run_helm(
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        *values_args(values_files, set_values),
        check=False,
    )
    assert proc.returncode != 0, f"helm template succeeded but should have failed for {list(set_values)}"
    return proc.stderr


def scenarios() -> list[str]:
    """Names of the chart's ci/<name>-values.yaml scenarios."""
    return sorted(p.name.removesuffix("-values.yaml") for p in CI_VALUES.glob("*-values.yaml"))


def scenario_file(name: str) -> Path:
    path = CI_VALUES / f"{name}-values.yaml"
    assert path.is_file(), path
    return path


def render_scenario(name: str, *set_values: str) -> list[Doc]:
    return render([scenario_file(name)], set_values)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over


def scenario_values(name: str) -> dict[str, Any]:
    """The chart's values.yaml with ci/<name>-values.yaml merged over it, as helm merges them."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    return _merge(defaults, yaml.safe_load(scenario_file(name).read_text()) or {})


# --------------------------------------------------------------------------- objects


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
    return [
        d
        for d in docs
        if d["kind"] in ("Pod", "Deployment", "StatefulSet") or (d["kind"] == "Service" and is_knative(d))
    ]


def component_workloads(docs: Iterable[Doc], component: str) -> list[Doc]:
    """The workloads whose pods carry app.kubernetes.io/component=``component`` (ollama, state, ...)."""
    return [
        d for d in workloads(docs) if pod_template(d)[0].get("labels", {}).get("app.kubernetes.io/component") == component
    ]


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


def flag_value(args: list[str], name: str) -> str:
    """The value of the one `--name=value` in a container's args."""
    (value,) = [a.removeprefix(f"--{name}=") for a in args if a.startswith(f"--{name}=")]
    return value


# --------------------------------------------------------------------------- restricted PSS

_RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
_SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}


def restricted_pss_violations(pod_spec: dict[str, Any], pod_annotations: dict[str, str] | None = None) -> list[str]:
    """Violations of the Kubernetes Pod Security Standard "restricted" (baseline included), v1.29+.

    Follows the policy as published (kubernetes.io/docs/concepts/security/pod-security-standards):
    every check there that a PodSpec can fail is here.
    """
    out: list[str] = []
    psc = pod_spec.get("securityContext") or {}
    all_containers = (
        list(pod_spec.get("containers", []))
        + list(pod_spec.get("initContainers", []))
        + list(pod_spec.get("ephemeralContainers", []))
    )
    # baseline: host namespaces, privileged, capabilities, hostPath, host ports
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod_spec.get(field):
            out.append(f"{field} is true")
    for v in pod_spec.get("volumes", []):
        types = set(v) - {"name"}
        bad = types - _RESTRICTED_VOLUME_TYPES
        if bad:
            out.append(f"volume {v['name']} uses {sorted(bad)}")
    for sysctl in psc.get("sysctls", []) or []:
        if sysctl.get("name") not in _SAFE_SYSCTLS:
            out.append(f"unsafe sysctl {sysctl.get('name')}")
    if (psc.get("seLinuxOptions") or {}).get("type") not in (
        None,
        "",
        "container_t",
        "container_init_t",
        "container_kvm_t",
    ):
        out.append("pod seLinuxOptions.type not allowed")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp is not None and pod_seccomp not in ("RuntimeDefault", "Localhost"):
        out.append(f"pod seccompProfile {pod_seccomp}")
    if psc.get("runAsUser") == 0:
        out.append("pod runAsUser is 0")
    for c in all_containers:
        name = c.get("name")
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            out.append(f"{name}: privileged")
        if sc.get("procMount") not in (None, "Default"):
            out.append(f"{name}: procMount {sc.get('procMount')}")
        if (sc.get("seLinuxOptions") or {}).get("type") not in (
            None,
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
        ):
            out.append(f"{name}: seLinuxOptions.type not allowed")
        for port in c.get("ports", []) or []:
            if port.get("hostPort"):
                out.append(f"{name}: hostPort {port['hostPort']}")
        # restricted
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}: allowPrivilegeEscalation is not false")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"{name}: capabilities do not drop ALL")
        extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if extra:
            out.append(f"{name}: adds capabilities {sorted(extra)}")
        run_as_non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if run_as_non_root is not True:
            out.append(f"{name}: runAsNonRoot is not true (pod or container)")
        if sc.get("runAsUser") == 0:
            out.append(f"{name}: runAsUser is 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile is {seccomp!r} (pod or container must be RuntimeDefault or Localhost)")
    for key, value in (pod_annotations or {}).items():
        if (
            key.startswith("container.apparmor.security.beta.kubernetes.io/")
            and value not in ("runtime/default",)
            and not value.startswith("localhost/")
        ):
            out.append(f"AppArmor {key}={value}")
    return out


def hardening_gaps(container: dict[str, Any]) -> list[str]:
    """What the brief asks beyond the standard: a read-only root filesystem with /tmp writable."""
    out = []
    sc = container.get("securityContext") or {}
    if sc.get("readOnlyRootFilesystem") is not True:
        out.append("readOnlyRootFilesystem is not true")
    if not any(m.get("mountPath") == "/tmp" for m in container.get("volumeMounts", [])):
        out.append("/tmp is not a writable mount")
    return out


# --------------------------------------------------------------------------- CRD schemas


def _to_json_schema(node: Any) -> Any:
    """An OpenAPI v3 (Kubernetes structural) schema as JSON Schema.

    - x-kubernetes-int-or-string: integer or string
    - nullable: adds "null" to the type
    - objects that list properties and do not preserve unknown fields get
      additionalProperties: false (the API server prunes unknown fields; the
      tests treat a pruned field as a mistake)
    """
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        out.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    # OpenAPI formats such as int32 or quantity are not JSON Schema formats.
    out.pop("format", None)
    return out


def drop_nulls(obj: Any) -> Any:
    """Remove `key: null` as the API server does (Helm renders empty keys as null)."""
    if isinstance(obj, dict):
        return {k: drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [drop_nulls(v) for v in obj]
    return obj


# No Prometheus Operator CRD is kept (assets/specs/SOURCES.md): the fields of a
# monitoring.coreos.com/v1 ServiceMonitor the chart renders, written from the operator's
# API reference (ServiceMonitorSpec, Endpoint, NamespaceSelector); closed like the CRDs
# above, so a misspelled field is caught. Duration is the operator's pattern for it.
_PROMETHEUS_DURATION = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
SERVICE_MONITOR_SUBSET: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "matchExpressions": {"type": "array"},
                    },
                },
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "any": {"type": "boolean"},
                        "matchNames": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "endpoints": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "targetPort": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                            "path": {"type": "string"},
                            "scheme": {"enum": ["http", "https"]},
                            "interval": {"type": "string", "pattern": _PROMETHEUS_DURATION},
                            "scrapeTimeout": {"type": "string", "pattern": _PROMETHEUS_DURATION},
                        },
                    },
                },
            },
        },
    },
}


@functools.lru_cache(maxsize=1)
def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> validator, for every served version of every CRD kept in CRD_DIRS, and the ServiceMonitor subset."""
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {
        ("monitoring.coreos.com/v1", "ServiceMonitor"): jsonschema.Draft7Validator(SERVICE_MONITOR_SUBSET)
    }
    for path in sorted(p for crd_dir in CRD_DIRS for p in crd_dir.rglob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group = crd["spec"]["group"]
            kind = crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served"):
                    continue
                schema = _to_json_schema(version["schema"]["openAPIV3Schema"])
                # The API server always admits these at the root, listed or not.
                props = schema.setdefault("properties", {})
                props.setdefault("apiVersion", {"type": "string"})
                props.setdefault("kind", {"type": "string"})
                props.setdefault("metadata", {"type": "object"})
                jsonschema.Draft7Validator.check_schema(schema)
                validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return validators


def crd_errors(doc: Doc) -> list[str]:
    key = (doc["apiVersion"], doc["kind"])
    validator = crd_validators().get(key)
    if validator is None:
        return [f"no CRD schema for {key}"]
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(drop_nulls(doc))
    ]


# --------------------------------------------------------------------------- Knative webhook rules

ISO_8601_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration_seconds(text: str) -> float:
    if not GO_DURATION.match(text):
        raise ValueError(f"not a Go duration: {text!r}")
    return sum(float(n) * _GO_UNITS[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)", text))


# Knative Serving 1.23 defaults (config-autoscaler, config-defaults) the webhook checks against.
KNATIVE_MAX_CONTAINER_CONCURRENCY = 1000
KNATIVE_MAX_REVISION_TIMEOUT_S = 600
_RESERVED_ENV = {"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
_RESERVED_PORTS = {8012, 8013, 8022, 9090, 9091, 8008}
_RESERVED_MOUNTS = {"/", "/dev", "/dev/log"}
_KNATIVE_VOLUME_TYPES = {"secret", "configMap", "projected", "emptyDir"}
# PodSpec fields Knative admits only behind a feature flag that is off by default.
_FLAGGED_POD_FIELDS = {
    "affinity",
    "nodeSelector",
    "tolerations",
    "runtimeClassName",
    "securityContext",
    "initContainers",
    "hostAliases",
    "dnsPolicy",
    "dnsConfig",
    "priorityClassName",
    "schedulerName",
    "topologySpreadConstraints",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "shareProcessNamespace",
}


def _int_annotation(annotations: dict[str, str], key: str, errors: list[str], minimum: int) -> int | None:
    if key not in annotations:
        return None
    value = annotations[key]
    if not isinstance(value, str) or not re.fullmatch(r"\d+", value) or int(value) < minimum:
        errors.append(f"{key}={value!r} is not an integer >= {minimum}")
        return None
    return int(value)


def knative_service_violations(ksvc: Doc) -> list[str]:
    """What Knative Serving's webhook (default feature flags) would reject, beyond the CRD schema."""
    errors: list[str] = []
    own = ksvc["metadata"].get("annotations") or {}
    for key in own:
        if key.startswith("autoscaling.knative.dev/"):
            errors.append(f"{key} on the Service's metadata (must be on spec.template.metadata)")
    meta, spec = pod_template(ksvc)
    ann = meta.get("annotations") or {}
    for key, value in ann.items():
        if not isinstance(value, str):
            errors.append(f"annotation {key} is not a string")
    known = {
        "autoscaling.knative.dev/" + k
        for k in (
            "class",
            "metric",
            "target",
            "target-utilization-percentage",
            "min-scale",
            "max-scale",
            "initial-scale",
            "scale-down-delay",
            "window",
            "panic-window-percentage",
            "panic-threshold-percentage",
            "target-burst-capacity",
            "activation-scale",
            "scale-to-zero-pod-retention-period",
            "metric-aggregation-algorithm",
        )
    }
    for key in ann:
        if key.startswith("autoscaling.knative.dev/") and key not in known:
            errors.append(f"unknown autoscaling annotation {key}")
    cls = ann.get("autoscaling.knative.dev/class", "kpa.autoscaling.knative.dev")
    if cls not in ("kpa.autoscaling.knative.dev", "hpa.autoscaling.knative.dev"):
        errors.append(f"autoscaling class {cls!r}")
    metric = ann.get("autoscaling.knative.dev/metric")
    # KPA scales on concurrency or rps; the HPA class takes any metric name.
    if metric is not None and ((cls.startswith("kpa") and metric not in ("concurrency", "rps")) or not metric):
            errors.append(f"metric {metric!r} is not valid for class {cls}")
    min_scale = _int_annotation(ann, "autoscaling.knative.dev/min-scale", errors, 0)
    max_scale = _int_annotation(ann, "autoscaling.knative.dev/max-scale", errors, 0)
    initial = _int_annotation(
        ann, "autoscaling.knative.dev/initial-scale", errors, 1
    )  # 0 needs allow-zero-initial-scale
    if min_scale is not None and max_scale not in (None, 0) and max_scale < min_scale:
        errors.append(f"max-scale {max_scale} < min-scale {min_scale}")
    if initial is not None and max_scale not in (None, 0) and initial > max_scale:
        errors.append(f"initial-scale {initial} > max-scale {max_scale}")
    if "autoscaling.knative.dev/target" in ann:
        try:
            if float(ann["autoscaling.knative.dev/target"]) < 0.01:
                errors.append("target below 0.01")
        except ValueError:
            errors.append(f"target {ann['autoscaling.knative.dev/target']!r} is not a number")
    if "autoscaling.knative.dev/target-utilization-percentage" in ann:
        try:
            tu = float(ann["autoscaling.knative.dev/target-utilization-percentage"])
            if not 1 <= tu <= 100:
                errors.append("target-utilization-percentage outside 1..100")
        except ValueError:
            errors.append("target-utilization-percentage is not a number")
    for key, limit in (
        ("autoscaling.knative.dev/scale-down-delay", 3600.0),
        ("serving.knative.dev/progress-deadline", None),
    ):
        if key in ann:
            try:
                seconds = go_duration_seconds(ann[key])
                if seconds != int(seconds):
                    errors.append(f"{key} must have at most second precision")
                if limit is not None and not 0 <= seconds <= limit:
                    errors.append(f"{key} outside 0..{limit}s")
                if limit is None and seconds <= 0:
                    errors.append(f"{key} must be positive")
            except ValueError as exc:
                errors.append(f"{key}: {exc}")
    for field in sorted(_FLAGGED_POD_FIELDS & set(spec)):
        errors.append(f"template.spec.{field} needs a Knative feature flag (off by default)")
    if "automountServiceAccountToken" in spec and spec["automountServiceAccountToken"] is not False:
        errors.append("automountServiceAccountToken may only be false")
    cc = spec.get("containerConcurrency")
    if cc is not None and not 0 <= cc <= KNATIVE_MAX_CONTAINER_CONCURRENCY:
        errors.append(f"containerConcurrency {cc} outside 0..{KNATIVE_MAX_CONTAINER_CONCURRENCY}")
    ts = spec.get("timeoutSeconds")
    if ts is not None and not 0 <= ts <= KNATIVE_MAX_REVISION_TIMEOUT_S:
        errors.append(f"timeoutSeconds {ts} outside 0..{KNATIVE_MAX_REVISION_TIMEOUT_S}")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for v in volumes.values():
        bad = set(v) - {"name"} - _KNATIVE_VOLUME_TYPES
        if bad:
            errors.append(f"volume {v['name']} uses {sorted(bad)} (not allowed by default)")
    mounted = set()
    ports = [p for c in spec["containers"] for p in c.get("ports", [])]
    if len(ports) > 1:
        errors.append("more than one container port")
    for c in spec["containers"]:
        name = c.get("name", "?")
        if name == "queue-proxy":
            errors.append("container name queue-proxy is reserved")
        for key in ("lifecycle", "stdin", "tty", "volumeDevices"):
            if key in c:
                errors.append(f"{name}: {key} is not allowed")
        for env in c.get("env", []):
            if env["name"] in _RESERVED_ENV:
                errors.append(f"{name}: env {env['name']} is reserved")
            if "fieldRef" in (env.get("valueFrom") or {}) or "resourceFieldRef" in (env.get("valueFrom") or {}):
                errors.append(f"{name}: env {env['name']} uses fieldRef (feature flag)")
        for p in c.get("ports", []):
            if p.get("containerPort") in _RESERVED_PORTS:
                errors.append(f"{name}: port {p['containerPort']} is reserved")
            if p.get("name", "") not in ("", "h2c", "http1"):
                errors.append(f"{name}: port name {p['name']!r} (must be empty, h2c or http1)")
            if p.get("protocol", "TCP") != "TCP":
                errors.append(f"{name}: port protocol {p['protocol']}")
            if "hostPort" in p or "hostIP" in p:
                errors.append(f"{name}: hostPort/hostIP")
        port_name = (ports[0].get("name") if ports else None) or "http"
        for probe_key in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = c.get(probe_key)
            if not probe:
                continue
            handlers = [h for h in ("httpGet", "tcpSocket", "exec", "grpc") if h in probe]
            if len(handlers) != 1:
                errors.append(f"{name}: {probe_key} needs exactly one handler")
            http = probe.get("httpGet") or {}
            if isinstance(http.get("port"), str) and http["port"] != port_name:
                errors.append(f"{name}: {probe_key} port {http['port']!r} is not the serving port")
            if (
                probe_key == "readinessProbe"
                and probe.get("periodSeconds", 1) != 0
                and (probe.get("timeoutSeconds", 1) < 1 or probe.get("failureThreshold", 1) < 1)
            ):
                errors.append(f"{name}: readinessProbe timeout/failureThreshold below 1")
        for m in c.get("volumeMounts", []):
            if m["mountPath"] in _RESERVED_MOUNTS:
                errors.append(f"{name}: mount path {m['mountPath']} is reserved")
            if m["name"] not in volumes:
                errors.append(f"{name}: volumeMount {m['name']} has no volume")
            if "mountPropagation" in m:
                errors.append(f"{name}: mountPropagation")
            mounted.add(m["name"])
        sc = c.get("securityContext") or {}
        if sc.get("privileged") is True:
            errors.append(f"{name}: privileged")
        if (sc.get("capabilities") or {}).get("add"):
            errors.append(f"{name}: capabilities.add needs a feature flag")
        for key in ("procMount", "seLinuxOptions", "windowsOptions"):
            if key in sc:
                errors.append(f"{name}: securityContext.{key}")
    for unused in set(volumes) - mounted:
        errors.append(f"volume {unused} is not mounted (Knative requires every volume to be mounted)")
    return errors


def delivery_violations(delivery: dict[str, Any] | None, where: str) -> list[str]:
    """Knative Eventing's DeliverySpec checks (eventing/pkg/apis/duck/v1/delivery_types.go)."""
    if delivery is None:
        return [f"{where}: no delivery"]
    errors = []
    if delivery.get("backoffPolicy") not in (None, "linear", "exponential"):
        errors.append(f"{where}: backoffPolicy {delivery.get('backoffPolicy')!r}")
    for key in ("backoffDelay", "timeout", "retryAfterMax"):
        value = delivery.get(key)
        if value is not None and not (isinstance(value, str) and ISO_8601_DURATION.match(value)):
            errors.append(f"{where}: {key} {value!r} is not an ISO-8601 duration")
    retry = delivery.get("retry")
    if retry is not None and (not isinstance(retry, int) or retry < 0):
        errors.append(f"{where}: retry {retry!r}")
    dls = delivery.get("deadLetterSink")
    if dls is not None:
        if not (dls.get("ref") or dls.get("uri")):
            errors.append(f"{where}: deadLetterSink has neither ref nor uri")
        ref = dls.get("ref") or {}
        if ref and not all(ref.get(k) for k in ("apiVersion", "kind", "name")):
            errors.append(f"{where}: deadLetterSink.ref lacks apiVersion, kind or name")
    return errors


# --------------------------------------------------------------------------- misc


def walk_leaves(tree: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every leaf (or empty map/list) of a values tree; lists are leaves."""
    if isinstance(tree, dict) and tree:
        for k, v in tree.items():
            yield from walk_leaves(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix


def deep_set(tree: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(tree)
    node = out
    *parents, last = dotted.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    return out


def engines_of(container: dict[str, Any]) -> list[dict[str, Any]]:
    raw = env_value(container, "LOCALFN_ENGINES")
    assert raw is not None, "LOCALFN_ENGINES is not set"
    return json.loads(raw)
