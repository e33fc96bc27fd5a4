"""The chart renders, lints clean, and every object it renders is valid.

Core objects are validated with kubernetes-validate (strict: unknown fields are
errors) for every Kubernetes minor from 1.29 to 1.33; Knative, Kafka and KEDA objects
against the CRD schemas kept verbatim in assets/specs/knative/ and assets/specs/keda/,
the ServiceMonitor against crds.py's subset of its API.
"""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.chart import crds, objects, rendering

BRIEF_SCENARIOS = {
    "default",
    "deployment",
    "deployment-eventing",
    "cpu-only",
    "gpu-mig",
    "eventing-off",
    "existing-secret",
    "state-deploy",
    "state-external",
    "autoscaling",
}


def test_ci_scenarios_cover_the_brief() -> None:
    assert set(rendering.scenarios()) >= BRIEF_SCENARIOS


def test_helm_lint_strict_is_clean(helm: str, scenario: str) -> None:
    proc = rendering.run_helm("lint", "--strict", str(rendering.CHART), "-f", str(rendering.scenario_file(scenario)), check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "[WARNING]" not in output and "[ERROR]" not in output, output


def test_chart_refuses_kubernetes_older_than_1_29(helm: str) -> None:
    proc = rendering.run_helm("template", "x", str(rendering.CHART), "--kube-version", "1.28.9", check=False)
    assert proc.returncode != 0
    assert "kubeVersion" in proc.stderr or "Kubernetes version" in proc.stderr, proc.stderr
    rendering.run_helm("template", "x", str(rendering.CHART), "--kube-version", "1.29.0")


@pytest.mark.parametrize("version", rendering.KUBE_VERSIONS)
def test_core_objects_are_valid_kubernetes(docs: list[objects.Doc], version: str) -> None:
    core = [d for d in docs if not objects.is_custom(d)]
    assert core, "nothing rendered"
    errors = []
    for d in core:
        try:
            kubernetes_validate.validate(d, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{d['kind']}/{d['metadata']['name']}: {'/'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{d['kind']}/{d['metadata']['name']}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_kubernetes_validate_catches_an_unknown_field(default_docs: list[objects.Doc]) -> None:
    """The strict validation above can fail: a misspelled field is reported."""
    sts = copy.deepcopy(objects.of_kind(default_docs, "StatefulSet")[0])
    sts["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(sts, "1.29", strict=True)


def test_custom_objects_match_the_crd_schemas(docs: list[objects.Doc]) -> None:
    errors = []
    for d in docs:
        if objects.is_custom(d):
            errors += [f"{d['kind']}/{d['metadata']['name']}: {e}" for e in crds.crd_errors(d)]
    assert not errors, "\n".join(errors)


def test_every_custom_kind_rendered_has_a_schema(helm: str) -> None:
    """No Knative, Kafka, KEDA or Prometheus Operator object escapes validation for lack of a schema."""
    kinds = {(d["apiVersion"], d["kind"]) for s in rendering.scenarios() for d in rendering.render_scenario(s) if objects.is_custom(d)}
    assert {
        ("serving.knative.dev/v1", "Service"),
        ("eventing.knative.dev/v1", "Broker"),
        ("eventing.knative.dev/v1", "Trigger"),
        ("sources.knative.dev/v1", "KafkaSource"),
        ("keda.sh/v1alpha1", "ScaledObject"),
        ("keda.sh/v1alpha1", "TriggerAuthentication"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
    } <= kinds
    assert kinds <= set(crds.crd_validators())


def _mutate(doc: objects.Doc, path: str, value: object) -> objects.Doc:
    out = copy.deepcopy(doc)
    node = out
    *parents, last = path.split(".")
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    node[last] = value
    return out


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("Service", "spec.template.spec.containerConcurrency", "64"),
        ("Service", "spec.template.spec.containers.0.imagePulPolicy", "Always"),
        ("Service", "spec.template.spec.containers.0.ports.0.containerPort", "8080"),
        ("Service", "spec.template.metadata.annotations.autoscaling.knative.dev/min-scale", 0),
        ("Service", "spec.template.spec.containers.0.resources.limits.memory", "lots"),
        ("Service", "spec.trafic", []),
        ("Trigger", "spec.subscriber.ref.nme", "x"),
        ("Trigger", "spec.delivery.retry", "5"),
        ("Broker", "spec.deliveri", {}),
    ],
)
def test_crd_validation_catches_mistakes(default_docs: list[objects.Doc], kind: str, path: str, value: object) -> None:
    doc = next(d for d in default_docs if d["kind"] == kind and objects.is_custom(d))
    if path.startswith("spec.template.metadata.annotations."):
        mutated = copy.deepcopy(doc)
        mutated["spec"]["template"]["metadata"]["annotations"][path.removeprefix("spec.template.metadata.annotations.")] = value
    else:
        mutated = _mutate(doc, path, value)
    assert crds.crd_errors(doc) == []
    assert crds.crd_errors(mutated), f"{kind} {path}={value!r} was not caught"


def test_kafka_source_without_topics_is_caught(helm: str) -> None:
    source = objects.of_kind(rendering.render_scenario("kafka"), "KafkaSource")[0]
    broken = copy.deepcopy(source)
    del broken["spec"]["topics"]
    assert crds.crd_errors(source) == []
    assert any("topics" in e for e in crds.crd_errors(broken))
