"""values.yaml is documented, values.schema.json rejects wrong values, and
validateValues rejects combinations that cannot work, listing every problem."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from tests.chart import objects, rendering

VALUES_TEXT = (rendering.CHART / "values.yaml").read_text()
VALUES = yaml.safe_load(VALUES_TEXT)
SCHEMA = json.loads((rendering.CHART / "values.schema.json").read_text())

# Keys whose value is a free-form map or list (Kubernetes objects, label maps):
# documenting the key itself documents its content.
OPAQUE = re.compile(
    r"(^|\.)(resources|nodeSelector|tolerations|affinity|podSecurityContext|containerSecurityContext|"
    r"commonLabels|commonAnnotations|annotations|env|podLabels|podAnnotations|overrides|config|ref|"
    r"extraEnv|extraEngines|extraOllamaIngress|imagePullSecrets|accessModes|models|allowedUsers|"
    r"bootstrapServers|topics|pullResources)$"
)


def _documented() -> set[str]:
    return set(re.findall(r"^\s*## @param ([\w.-]+)\s", VALUES_TEXT, flags=re.M))


def _keys(tree: object, prefix: str = "") -> list[str]:
    """Every values key that needs its own @param line."""
    out = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            path = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict) and v and not OPAQUE.search(path):
                out += _keys(v, path)
            else:
                out.append(path)
    return out


def test_every_values_key_is_documented() -> None:
    missing = sorted(set(_keys(VALUES)) - _documented())
    assert not missing, f"keys without a `## @param` line: {missing}"


def test_every_param_line_names_a_real_key() -> None:
    def exists(path: str) -> bool:
        node = VALUES
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    stale = sorted(p for p in _documented() if not exists(p))
    assert not stale, f"@param lines for keys that do not exist: {stale}"


def test_defaults_and_scenarios_satisfy_the_schema() -> None:
    validator = jsonschema.Draft7Validator(SCHEMA)
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    for name in ["<defaults>", *rendering.scenarios()]:
        values = VALUES if name == "<defaults>" else rendering.scenario_values(name)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(values)]
        assert not errors, f"{name}: {errors}"


def test_schema_closes_every_object_it_describes() -> None:
    """additionalProperties: false wherever the schema lists properties."""
    open_objects = []

    def visit(node: object, path: str) -> None:
        if isinstance(node, dict):
            if "properties" in node and node.get("additionalProperties") is not False:
                open_objects.append(path)
            for k, v in node.items():
                visit(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                visit(v, f"{path}/{i}")

    visit(dict(SCHEMA), "#")
    allowed_open = {"#/properties/extraEngines/items"}  # engines may carry backend options the app knows
    assert set(open_objects) <= allowed_open, open_objects


# Each wrong value must make `helm template` (and `helm lint`) fail on the schema.
WRONG_VALUES = [
    ("serving.mode=lambda", "/serving/mode"),
    ("replicaCount=2", "replicaCount"),
    ("functions.summarize.enbled=true", "enbled"),
    ("functions.translate.enabled=true", "translate"),
    ("functions.summarize.overrides.containerConcurrency=many", "containerConcurrency"),
    ("functions.summarize.overrides.containerConcurrency=5000", "containerConcurrency"),
    ("functionDefaults.autoscaling.minScale=-1", "minScale"),
    ("functionDefaults.autoscaling.initialScale=0", "initialScale"),
    ("functionDefaults.timeoutSeconds=7200", "timeoutSeconds"),
    ("functionDefaults.resources.limits.memory=lots", "memory"),
    ("functions.summarize.source=functions/summarize/main.py", "source"),
    ("functions.summarize.target=generate-badge", "target"),
    ("image.pullPolicy=Sometimes", "pullPolicy"),
    ("image.digest=latest", "digest"),
    ("settings.logLevel=LOUD", "logLevel"),
    ("settings.maxInFlight=0", "maxInFlight"),
    ("settings.keepAlive=forever", "keepAlive"),
    ("ollama.gpu.gpu.count=-1", "count"),
    ("ollama.gpu.replicas=two", "replicas"),
    ("ollama.cpu.persistence.size=fifty", "size"),
    ("ollama.cpu.persistence.accessModes={ReadWriteSometimes}", "accessModes"),
    ("ollama.gpu.settings.flashAttention=maybe", "flashAttention"),
    ("ollama.modelPullPolicy=Sometimes", "modelPullPolicy"),
    ("ollama.gpu.tolerations[0].operator=Maybe", "operator"),
    ("eventing.delivery.backoffPolicy=fibonacci", "backoffPolicy"),
    ("eventing.delivery.backoffDelay=1s", "backoffDelay"),
    ("eventing.delivery.retry=-1", "retry"),
    ("eventing.kafkaSource.initialOffset=middle", "initialOffset"),
    ("eventing.kafkaSource.function=translate", "function"),
    ("serving.knative.progressDeadline=15 minutes", "progressDeadline"),
    ("serving.knative.visibility=private", "visibility"),
    ("functions.route-query.cloud.url=ftp://x", "url"),
    ("networkPolicy.enabled=yes", "networkPolicy"),
]


@pytest.mark.parametrize(("setting", "where"), WRONG_VALUES, ids=[w[0] for w in WRONG_VALUES])
def test_schema_rejects_wrong_values(helm: str, setting: str, where: str) -> None:
    err = rendering.render_error(set_values=[setting])
    assert "values don't meet the specifications of the schema" in err, err
    assert where in err, err
    lint = rendering.run_helm("lint", str(rendering.CHART), "--set", setting, check=False)
    assert lint.returncode != 0


# Each combination must make the validateValues helper fail, naming the problem.
BAD_COMBINATIONS = [
    (["serving.mode=deployment", "serving.deployment.servicePort=8080"], "delivers to a v1 Service on port 80"),
    (["serving.mode=deployment", "eventing.enabled=false", "functionDefaults.autoscaling.minScale=0"], "scale to zero"),
    (
        ["serving.mode=deployment", "eventing.enabled=false", "functions.summarize.overrides.autoscaling.maxScale=0"],
        "maxScale=0",
    ),
    (["functionDefaults.nodeSelector.pool=cpu"], "nodeSelector is rejected by Knative"),
    (["serving.knative.metric=cpu"], "needs autoscalingClass=hpa"),
    (["serving.knative.autoscalingClass=hpa.autoscaling.knative.dev"], "needs autoscalingClass=kpa"),
    (["functions.summarize.overrides.tolerations[0].operator=Exists"], "tolerations is rejected by Knative"),
    (["ollama.gpu.gpu.resourceName="], "resourceName is empty"),
    (["ollama.gpu.gpu.resourceName=gpu"], "not an extended resource name"),
    (["ollama.gpu.gpu.count=0"], "count must be at least 1"),
    (["functionDefaults.containerConcurrency=100"], "settings.maxInFlight=64"),
    (
        ["functionDefaults.autoscaling.target=60", "functionDefaults.containerConcurrency=50"],
        "must not exceed containerConcurrency",
    ),
    (["functionDefaults.timeoutSeconds=100"], "must exceed settings.requestTimeoutSeconds"),
    (["functionDefaults.autoscaling.maxScale=1", "functionDefaults.autoscaling.minScale=2"], "is below minScale"),
    (["functionDefaults.env.PORT=9000"], "env PORT is reserved by Knative"),
    (["ollama.gpu.enabled=false", "ollama.cpu.enabled=false"], "no engine"),
    (["ollama.cpu.model=phi3:mini"], "is not in ollama.cpu.models"),
    (
        [
            "functions.route-query.cloud.apiKey=k",
            "functions.route-query.cloud.existingSecret=s",
            "functions.route-query.cloud.url=https://x",
        ],
        "not both",
    ),
    (["functions.route-query.cloud.apiKey=k"], "cloud.url is empty"),
    (["secretsDir.enabled=true"], "needs secretsDir.secretName"),
    (["eventing.broker.create=false"], "needs eventing.broker.name"),
    (["eventing.deadLetter.create=false"], "undeliverable events must go somewhere"),
    (["eventing.kafkaSource.enabled=true", "functions.analyze-photo.enabled=false"], "is not an enabled function"),
    (["eventing.enabled=false", "eventing.kafkaSource.enabled=true"], "needs eventing.enabled=true"),
    ([f"functions.{f}.enabled=false" for f in objects.FUNCTIONS], "no function is enabled"),
    (["serving.mode=deployment", "eventing.enabled=false", "serving.deployment.hpa.cpuUtilization=0"], "has no metric"),
]


@pytest.mark.parametrize(("settings", "message"), BAD_COMBINATIONS, ids=[m for _, m in BAD_COMBINATIONS])
def test_validate_values_rejects_impossible_combinations(helm: str, settings: list[str], message: str) -> None:
    err = rendering.render_error(set_values=settings)
    assert "VALUES VALIDATION" in err, err
    assert message in err, err


def test_validate_values_lists_every_problem_at_once(helm: str) -> None:
    err = rendering.render_error(
        set_values=[
            "serving.mode=deployment",
            "serving.deployment.servicePort=8080",
            "functionDefaults.autoscaling.minScale=0",
            "ollama.gpu.gpu.resourceName=",
            "eventing.broker.create=false",
        ]
    )
    problems = [line for line in err.splitlines() if line.startswith("localfn: ")]
    assert any("servicePort=8080" in p for p in problems)
    assert any("scale to zero" in p for p in problems)
    assert any("resourceName is empty" in p for p in problems)
    assert any("broker.name" in p for p in problems)
    assert len([p for p in problems if "scale to zero" in p]) == len(objects.FUNCTIONS), "one line per function"
    assert err.count("VALUES VALIDATION") == 1, "one failure, not one per problem"
