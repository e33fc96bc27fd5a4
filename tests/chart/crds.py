"""The chart's custom resources checked against their CRD schemas.

The Knative and KEDA CRDs are kept verbatim in assets/specs/knative/ and assets/specs/keda/
and turned into JSON Schema (Kubernetes structural-schema rules: int-or-string, nullable,
unknown fields pruned, so treated as mistakes); the Prometheus Operator's ServiceMonitor is
checked against a subset written from the operator's API reference.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import yaml

from tests.chart.objects import Doc
from tests.chart.rendering import REPO

CRD_DIRS = (REPO / "assets" / "specs" / "knative", REPO / "assets" / "specs" / "keda")


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
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(drop_nulls(doc))]
