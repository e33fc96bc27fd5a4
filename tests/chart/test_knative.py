"""What Knative's admission webhooks would reject, and how the eventing objects fit together.

The CRD schemas leave template annotations, probes, volumes and delivery open;
Knative's webhooks check them at apply time. These tests apply the same rules
(knative_webhook.knative_service_violations / delivery_violations) to the render.
"""

from __future__ import annotations

import copy

import pytest

from tests.chart import crds, eventing, knative_webhook, objects, rendering


def test_knative_services_pass_the_webhook_rules(docs: list[objects.Doc]) -> None:
    errors = []
    for ksvc in objects.knative_services(docs):
        errors += [f"{ksvc['metadata']['name']}: {e}" for e in knative_webhook.knative_service_violations(ksvc)]
    assert not errors, "\n".join(errors)


def _first_function_ksvc(docs: list[objects.Doc]) -> objects.Doc:
    return next(d for d in objects.function_workloads(docs) if objects.is_custom(d))


def _annotations(ksvc: objects.Doc) -> dict[str, str]:
    return ksvc["spec"]["template"]["metadata"]["annotations"]


def _move_min_scale_to_service_metadata(k: objects.Doc) -> None:
    k["metadata"]["annotations"] = {"autoscaling.knative.dev/min-scale": _annotations(k).pop("autoscaling.knative.dev/min-scale")}


@pytest.mark.parametrize(
    ("mistake", "expected"),
    [
        (_move_min_scale_to_service_metadata, "on the Service's metadata"),
        (lambda k: _annotations(k).update({"autoscaling.knative.dev/min-scale": "-1"}), "min-scale"),
        (lambda k: _annotations(k).update({"autoscaling.knative.dev/initial-scale": "0"}), "initial-scale"),
        (
            lambda k: _annotations(k).update({"autoscaling.knative.dev/max-scale": "2", "autoscaling.knative.dev/min-scale": "3"}),
            "max-scale",
        ),
        (lambda k: _annotations(k).update({"autoscaling.knative.dev/scale-down-delay": "2h"}), "scale-down-delay"),
        (lambda k: _annotations(k).update({"autoscaling.knative.dev/scale-down-delay": "300"}), "scale-down-delay"),
        (lambda k: _annotations(k).update({"autoscaling.knative.dev/scale-down-delay": "1.5s"}), "second precision"),
        (lambda k: _annotations(k).update({"serving.knative.dev/progress-deadline": "0s"}), "progress-deadline"),
        (lambda k: _annotations(k).update({"autoscaling.knative.dev/metric": "cpu"}), "metric"),
        (lambda k: _annotations(k).update({"autoscaling.knative.dev/minScale": "1"}), "unknown autoscaling annotation"),
        (lambda k: k["spec"]["template"]["spec"].update({"nodeSelector": {"a": "b"}}), "nodeSelector"),
        (lambda k: k["spec"]["template"]["spec"].update({"tolerations": []}), "tolerations"),
        (lambda k: k["spec"]["template"]["spec"].update({"affinity": {}}), "affinity"),
        (
            lambda k: k["spec"]["template"]["spec"].update({"securityContext": {"runAsNonRoot": True}}),
            "securityContext",
        ),
        (
            lambda k: k["spec"]["template"]["spec"]["volumes"].append({"name": "m", "persistentVolumeClaim": {"claimName": "c"}}),
            "persistentVolumeClaim",
        ),
        (lambda k: k["spec"]["template"]["spec"].update({"containerConcurrency": 5000}), "containerConcurrency"),
        (lambda k: k["spec"]["template"]["spec"].update({"timeoutSeconds": 3600}), "timeoutSeconds"),
        (
            lambda k: k["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "PORT", "value": "9"}),
            "reserved",
        ),
        (
            lambda k: k["spec"]["template"]["spec"]["containers"][0]["ports"].append({"containerPort": 9000}),
            "more than one",
        ),
        (lambda k: k["spec"]["template"]["spec"]["containers"][0]["ports"][0].update({"name": "http"}), "port name"),
        (
            lambda k: k["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"].update({"port": "web"}),
            "serving port",
        ),
    ],
)
def test_webhook_rules_catch_mistakes(default_docs: list[objects.Doc], mistake, expected: str) -> None:
    ksvc = _first_function_ksvc(default_docs)
    assert knative_webhook.knative_service_violations(ksvc) == []
    broken = copy.deepcopy(ksvc)
    mistake(broken)
    found = knative_webhook.knative_service_violations(broken)
    assert any(expected in f for f in found), found or "the mistake was not caught"


def test_autoscaling_follows_values_per_function(helm: str) -> None:
    docs = rendering.render_scenario(
        "default",
        "functions.summarize.overrides.autoscaling.maxScale=7",
        "functions.summarize.overrides.autoscaling.minScale=0",
        "functionDefaults.autoscaling.scaleDownDelaySeconds=120",
        "functionDefaults.containerConcurrency=32",
        "functionDefaults.autoscaling.target=20",
    )
    by_fn = {objects.function_of(d): d for d in objects.function_workloads(docs)}
    summarize = _annotations(by_fn.pop("summarize"))
    assert summarize["autoscaling.knative.dev/max-scale"] == "7"
    assert summarize["autoscaling.knative.dev/min-scale"] == "0"
    assert summarize["autoscaling.knative.dev/scale-down-delay"] == "120s"
    for fn, ksvc in by_fn.items():
        ann = _annotations(ksvc)
        assert ann["autoscaling.knative.dev/max-scale"] == "10", fn
        assert ann["autoscaling.knative.dev/min-scale"] == "1", fn
        assert ann["autoscaling.knative.dev/scale-down-delay"] == "120s", fn
        assert ann["autoscaling.knative.dev/target"] == "20", fn
        assert ksvc["spec"]["template"]["spec"]["containerConcurrency"] == 32, fn


def test_concurrency_and_timeouts_agree_with_the_app_settings(docs: list[objects.Doc]) -> None:
    """containerConcurrency <= LOCALFN_MAX_IN_FLIGHT, target <= containerConcurrency,
    platform timeout > the app's engine timeout."""
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in objects.of_kind(docs, "HorizontalPodAutoscaler")}
    for wl in objects.function_workloads(docs):
        name = wl["metadata"]["name"]
        c = objects.main_container(wl)
        max_in_flight = int(objects.env_value(c, "LOCALFN_MAX_IN_FLIGHT"))
        request_timeout = float(objects.env_value(c, "LOCALFN_REQUEST_TIMEOUT_S"))
        assert objects.env_value(c, "WORKERS") == "1", f"{name}: one process per pod, or the in-flight limit multiplies"
        if objects.is_custom(wl):
            spec = wl["spec"]["template"]["spec"]
            assert 1 <= spec["containerConcurrency"] <= max_in_flight, name
            assert float(_annotations(wl)["autoscaling.knative.dev/target"]) <= spec["containerConcurrency"], name
            assert spec["timeoutSeconds"] > request_timeout, name
        else:
            spec = wl["spec"]["template"]["spec"]
            assert spec["terminationGracePeriodSeconds"] > request_timeout, name
            for metric in hpas[name]["spec"]["metrics"]:
                if metric["type"] == "Pods":
                    assert float(metric["pods"]["target"]["averageValue"]) <= max_in_flight, name


def test_one_trigger_per_function_on_its_request_type(scenario: str, docs: list[objects.Doc]) -> None:
    triggers = objects.of_kind(docs, "Trigger")
    functions = {objects.function_of(w): w for w in objects.function_workloads(docs)}
    if not rendering.scenario_values(scenario)["eventing"]["enabled"]:
        assert not triggers and not objects.of_kind(docs, "Broker") and not objects.of_kind(docs, "KafkaSource")
        return
    assert functions and triggers
    by_type = {}
    for t in triggers:
        by_type.setdefault(t["spec"]["filter"]["attributes"]["type"], []).append(t)
    for fn, wl in functions.items():
        matching = by_type.get(f"io.localfn.{fn}.request", [])
        assert len(matching) == 1, f"{fn}: {len(matching)} triggers"
        assert eventing.delivery_targets(docs, matching[0]["spec"]["subscriber"]["ref"]) == [wl], f"{fn}: wrong subscriber"
    # Replies are of another type, so no Trigger feeds a function its own reply.
    for t in triggers:
        assert not t["spec"]["filter"]["attributes"]["type"].endswith(".response"), t["metadata"]["name"]


def test_triggers_have_retrying_delivery_with_a_dead_letter_sink(docs: list[objects.Doc]) -> None:
    brokers = objects.by_name(objects.of_kind(docs, "Broker"))
    errors = []
    for t in objects.of_kind(docs, "Trigger"):
        name = t["metadata"]["name"]
        delivery = t["spec"].get("delivery")
        errors += knative_webhook.delivery_violations(delivery, name)
        assert delivery["retry"] >= 1, name
        assert delivery["backoffPolicy"] in ("exponential", "linear"), name
        sink = delivery["deadLetterSink"]
        if "ref" in sink and sink["ref"]["kind"] == "Service":
            assert eventing.delivery_targets(docs, sink["ref"]), f"{name}: dead-letter sink {sink['ref']} reaches no pod"
        assert eventing.delivery_targets(docs, t["spec"]["subscriber"]["ref"]), f"{name}: subscriber reaches no pod"
        assert t["spec"]["broker"] in brokers, f"{name}: broker {t['spec']['broker']} is not rendered"
    for b in brokers.values():
        errors += knative_webhook.delivery_violations(b["spec"].get("delivery"), b["metadata"]["name"])
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"backoffPolicy": "fibonacci"}, "backoffPolicy"),
        ({"backoffDelay": "1s"}, "ISO-8601"),
        ({"backoffDelay": "PT"}, "ISO-8601"),
        ({"timeout": "30"}, "ISO-8601"),
        ({"retry": -1}, "retry"),
        ({"deadLetterSink": {}}, "neither ref nor uri"),
    ],
)
def test_delivery_rules_catch_mistakes(default_docs: list[objects.Doc], change: dict, expected: str) -> None:
    delivery = copy.deepcopy(objects.of_kind(default_docs, "Trigger")[0]["spec"]["delivery"])
    assert knative_webhook.delivery_violations(delivery, "t") == []
    delivery.update(change)
    assert any(expected in e for e in knative_webhook.delivery_violations(delivery, "t"))


def test_eventing_off_renders_no_eventing(helm: str) -> None:
    docs = rendering.render_scenario("eventing-off")
    assert not [d for d in docs if d["apiVersion"].startswith(("eventing.knative.dev", "sources.knative.dev"))]
    assert not [d for d in docs if d["metadata"]["name"].endswith("dead-letter")]


def test_existing_broker_is_used_by_name(helm: str) -> None:
    docs = rendering.render_scenario("default", "eventing.broker.create=false", "eventing.broker.name=shared")
    assert not objects.of_kind(docs, "Broker")
    assert {t["spec"]["broker"] for t in objects.of_kind(docs, "Trigger")} == {"shared"}


def test_kafka_source_feeds_the_broker_for_analyze_photo(helm: str) -> None:
    docs = rendering.render_scenario("kafka")
    (source,) = objects.of_kind(docs, "KafkaSource")
    (broker,) = objects.of_kind(docs, "Broker")
    assert source["spec"]["sink"]["ref"] == {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Broker",
        "name": broker["metadata"]["name"],
    }
    assert source["spec"]["topics"] and source["spec"]["bootstrapServers"]
    kafka_triggers = [t for t in objects.of_kind(docs, "Trigger") if t["spec"]["filter"]["attributes"]["type"] == "dev.knative.kafka.event"]
    assert len(kafka_triggers) == 1
    (target,) = eventing.delivery_targets(docs, kafka_triggers[0]["spec"]["subscriber"]["ref"])
    assert objects.function_of(target) == "analyze-photo"
    assert broker["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == "Kafka"
    assert broker["spec"]["config"]["kind"] == "ConfigMap"


@pytest.mark.parametrize(("scenario_name", "kind"), [("default", "Service"), ("deployment-eventing", "Deployment")])
def test_dead_letter_logger_is_the_localfn_image(helm: str, scenario_name: str, kind: str) -> None:
    docs = rendering.render_scenario(scenario_name)
    workload = eventing.dead_letter_logger(docs)
    assert workload["kind"] == kind
    logger = objects.main_container(workload)
    assert logger["image"] == objects.main_container(objects.function_workloads(docs)[0])["image"]
    source = objects.flag_value(logger["args"], "source")
    (mount,) = [m for m in logger["volumeMounts"] if source.startswith(m["mountPath"] + "/")]
    volume = next(v for v in objects.pod_template(workload)[1]["volumes"] if v["name"] == mount["name"])
    configmap = objects.by_name(objects.of_kind(docs, "ConfigMap"))[volume["configMap"]["name"]]
    assert configmap["data"][source.rpartition("/")[2]] == (rendering.CHART / "files" / "dead_letter.py").read_text()


def test_dead_letter_logger_is_probed_like_the_functions(scenario: str, docs: list[objects.Doc]) -> None:
    values = rendering.scenario_values(scenario)
    if not (values["eventing"]["enabled"] and values["eventing"]["deadLetter"]["create"]):
        return
    logger = objects.main_container(eventing.dead_letter_logger(docs))
    port_name = logger["ports"][0]["name"]
    for kind in ("readiness", "liveness"):
        probe = logger[f"{kind}Probe"]
        expected = values["functionDefaults"]["probes"][kind]
        assert probe["httpGet"]["path"] == expected["path"], kind
        assert {k: probe[k] for k in ("periodSeconds", "timeoutSeconds", "failureThreshold")} == {
            k: expected[k] for k in ("periodSeconds", "timeoutSeconds", "failureThreshold")
        }, kind
        # Knative fills in the serving port; a Deployment's probe must name it.
        assert probe["httpGet"].get("port") == (None if values["serving"]["mode"] == "knative" else port_name), kind


@pytest.mark.parametrize("scenario_name", ["default", "deployment-eventing"])
def test_triggers_match_the_trigger_crd_in_both_modes(helm: str, scenario_name: str) -> None:
    docs = rendering.render_scenario(scenario_name)
    triggers = objects.of_kind(docs, "Trigger")
    assert len(triggers) >= len(objects.FUNCTIONS)
    for t in triggers:
        assert crds.crd_errors(t) == [], t["metadata"]["name"]
        for ref in (t["spec"]["subscriber"]["ref"], t["spec"]["delivery"]["deadLetterSink"]["ref"]):
            assert set(ref) == {"apiVersion", "kind", "name"}, ref
    broken = copy.deepcopy(triggers[0])
    broken["spec"]["delivery"]["deadLetterSink"]["ref"]["nmae"] = "typo"
    assert crds.crd_errors(broken), "the CRD schema did not catch an unknown field in the dead-letter ref"


def test_deployment_mode_with_eventing_renders_triggers_on_plain_services(helm: str) -> None:
    """Formerly refused: Knative Eventing delivers to a v1 Service, no Knative Serving needed."""
    docs = rendering.render_scenario("deployment", "eventing.enabled=true")
    assert not objects.knative_services(docs)
    triggers = objects.of_kind(docs, "Trigger")
    assert triggers and objects.of_kind(docs, "Broker")
    refs = [t["spec"]["subscriber"]["ref"] for t in triggers]
    refs += [t["spec"]["delivery"]["deadLetterSink"]["ref"] for t in triggers]
    assert {(r["apiVersion"], r["kind"]) for r in refs} == {("v1", "Service")}
    reached = [w for t in triggers for w in eventing.delivery_targets(docs, t["spec"]["subscriber"]["ref"])]
    assert sorted(objects.function_of(w) for w in reached) == sorted(objects.FUNCTIONS)
    assert eventing.dead_letter_logger(docs)["kind"] == "Deployment"


def test_delivery_targets_catch_a_wrong_reference(helm: str) -> None:
    docs = rendering.render_scenario("deployment-eventing")
    ref = objects.of_kind(docs, "Trigger")[0]["spec"]["subscriber"]["ref"]
    assert eventing.delivery_targets(docs, ref)
    assert eventing.delivery_targets(docs, {**ref, "apiVersion": "serving.knative.dev/v1"}) == []
    assert eventing.delivery_targets(docs, {**ref, "name": "nobody"}) == []
    service = eventing.resolve_ref(docs, ref)
    service["spec"]["ports"][0]["port"] = 8080
    assert eventing.delivery_targets(docs, ref) == [], "Eventing addresses a v1 Service on port 80 only"
