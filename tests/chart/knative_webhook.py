"""What Knative's admission webhooks reject beyond the CRD schemas: a Service's, and a DeliverySpec's.

A re-implementation, written from Knative's validation rules rather than run against its
webhook: the checks Knative Serving 1.23 makes on a Service with its default feature flags
and config-autoscaler/config-defaults, and Knative Eventing's DeliverySpec validation
(eventing/pkg/apis/duck/v1/delivery_types.go).
"""

from __future__ import annotations

import re
from typing import Any

from tests.chart.go_duration import go_duration_seconds
from tests.chart.objects import Doc, pod_template

ISO_8601_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


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
    initial = _int_annotation(ann, "autoscaling.knative.dev/initial-scale", errors, 1)  # 0 needs allow-zero-initial-scale
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
            too_low = probe.get("timeoutSeconds", 1) < 1 or probe.get("failureThreshold", 1) < 1
            if probe_key == "readinessProbe" and probe.get("periodSeconds", 1) != 0 and too_low:
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
