"""Shared state in the chart: the user's Redis from a Secret, or the chart's own Valkey, and what every function gets."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.chart import objects, rendering
from tests.support.processes import free_port

PREFIX = f"{rendering.NAMESPACE}:{rendering.RELEASE}"
STATE_ENV = ("LOCALFN_STATE_URL", "LOCALFN_STATE_PASSWORD", "LOCALFN_STATE_PREFIX")


def _secret_ref(container: dict, name: str) -> dict:
    env = objects.env_of(container)[name]
    assert "value" not in env, f"{name} is a plain value"
    return env["valueFrom"]["secretKeyRef"]


def _notes(*args: str) -> str:
    proc = rendering.run_helm(
        "install", rendering.RELEASE, str(rendering.CHART), "--dry-run=client", "--namespace", rendering.NAMESPACE, *args
    )
    return proc.stdout.split("NOTES:", 1)[1]


def _valkey(docs: list[objects.Doc]) -> objects.Doc:
    (valkey,) = objects.component_workloads(docs, "state")
    return valkey


def test_without_a_redis_each_pod_keeps_its_own_state(default_docs: list[objects.Doc]) -> None:
    assert not objects.component_workloads(default_docs, "state")
    for wl in objects.function_workloads(default_docs):
        assert not set(STATE_ENV) & set(objects.env_of(objects.main_container(wl))), wl["metadata"]["name"]
    assert "off: each pod keeps its own" in _notes("-f", str(rendering.scenario_file("default")))


def test_every_function_reaches_the_charts_valkey_with_its_password(helm: str) -> None:
    docs = rendering.render_scenario("state-deploy")
    valkey = _valkey(docs)
    _, spec = objects.pod_template(valkey)
    (container,) = spec["containers"]
    (service,) = [s for s in objects.of_kind(docs, "Service") if s["metadata"]["name"] == valkey["metadata"]["name"]]
    assert objects.selects(service["spec"]["selector"], objects.pod_template(valkey)[0]["labels"])
    port = service["spec"]["ports"][0]["port"]
    password_ref = _secret_ref(container, "VALKEY_PASSWORD")
    (secret,) = [s for s in objects.of_kind(docs, "Secret") if s["metadata"]["name"] == password_ref["name"]]
    assert len(base64.b64decode(secret["data"][password_ref["key"]])) == 32
    functions = objects.function_workloads(docs)
    assert {objects.function_of(f) for f in functions} == set(objects.FUNCTIONS)
    for wl in functions:
        main = objects.main_container(wl)
        assert objects.env_value(main, "LOCALFN_STATE_URL") == (
            f"redis://{service['metadata']['name']}.{rendering.NAMESPACE}.svc.cluster.local:{port}/0"
        )
        assert _secret_ref(main, "LOCALFN_STATE_PASSWORD") == password_ref
        assert objects.env_value(main, "LOCALFN_STATE_PREFIX") == PREFIX


def test_the_charts_valkey_is_small_pinned_and_keeps_nothing(helm: str) -> None:
    values = rendering.scenario_values("state-deploy")["state"]["redis"]
    valkey = _valkey(rendering.render_scenario("state-deploy"))
    _, spec = objects.pod_template(valkey)
    (container,) = spec["containers"]
    assert valkey["kind"] == "StatefulSet" and valkey["spec"]["replicas"] == 1
    repository, tag = container["image"].rsplit(":", 1)
    assert repository == values["image"]["repository"] and tag[0].isdigit()  # a version, never "latest"
    assert "volumeClaimTemplates" not in valkey["spec"]
    assert all(set(volume) == {"name", "emptyDir"} for volume in spec["volumes"])
    assert container["resources"]["limits"]["memory"]


def test_the_rendered_valkey_command_starts_a_server_with_the_password_and_an_lru_limit(helm: str, tmp_path: Path) -> None:
    """The container's script, run by a real redis-server (Valkey's command line and config are Redis's)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: run `bash scripts/setup.sh test` (installs the 'redis-server' package)")
    port = free_port()
    docs = rendering.render([rendering.scenario_file("state-deploy")], [f"state.redis.port={port}"])
    valkey = _valkey(docs)
    (container,) = objects.pod_template(valkey)[1]["containers"]
    ref = _secret_ref(container, "VALKEY_PASSWORD")
    (secret,) = [s for s in objects.of_kind(docs, "Secret") if s["metadata"]["name"] == ref["name"]]
    password = base64.b64decode(secret["data"][ref["key"]]).decode()
    (script,) = container["args"]
    assert password not in script  # the config comes on stdin, so `ps` never shows the password
    script = script.replace("valkey-server", binary).replace("--dir /data", f"--dir {tmp_path}")
    server = subprocess.Popen(
        [*container["command"], script], env={"VALKEY_PASSWORD": password}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        client = redis.Redis(port=port, password=password, decode_responses=True)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        with redis.Redis(port=port, password="wrong") as stranger, pytest.raises(redis.AuthenticationError):
            stranger.ping()
        config = client.config_get("*")
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    maxmemory = rendering.scenario_values("state-deploy")["state"]["redis"]["maxMemory"]
    assert int(config["maxmemory"]) == int(maxmemory.removesuffix("mb")) * 1024 * 1024
    assert (config["maxmemory-policy"], config["save"], config["appendonly"]) == ("allkeys-lru", "", "no")


def test_only_function_pods_may_reach_the_charts_valkey(helm: str) -> None:
    docs = rendering.render_scenario("state-deploy")
    valkey_labels = objects.pod_template(_valkey(docs))[0]["labels"]
    (policy,) = [
        p for p in objects.of_kind(docs, "NetworkPolicy") if objects.selects(p["spec"]["podSelector"]["matchLabels"], valkey_labels)
    ]
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert [p["port"] for p in rule["ports"]] == [rendering.scenario_values("state-deploy")["state"]["redis"]["port"]]
    for wl in objects.workloads(docs):
        labels = objects.pod_template(wl)[0]["labels"]
        admitted = objects.selects(peer["podSelector"]["matchLabels"], labels)
        assert admitted == (wl in objects.function_workloads(docs)), wl["metadata"]["name"]


def test_an_existing_password_secret_is_referenced_not_generated(helm: str) -> None:
    docs = rendering.render_scenario("state-deploy", "state.redis.auth.existingSecret=my-valkey", "state.redis.auth.existingSecretKey=pw")
    assert not objects.of_kind(docs, "Secret")
    (container,) = objects.pod_template(_valkey(docs))[1]["containers"]
    assert _secret_ref(container, "VALKEY_PASSWORD") == {"name": "my-valkey", "key": "pw"}
    for wl in objects.function_workloads(docs):
        assert _secret_ref(objects.main_container(wl), "LOCALFN_STATE_PASSWORD") == {"name": "my-valkey", "key": "pw"}


def test_the_users_redis_url_comes_from_their_secret(helm: str) -> None:
    docs = rendering.render_scenario("state-external")
    values = rendering.scenario_values("state-external")["state"]["redis"]
    assert not objects.component_workloads(docs, "state") and not objects.of_kind(docs, "Secret")
    for wl in objects.function_workloads(docs):
        main = objects.main_container(wl)
        assert _secret_ref(main, "LOCALFN_STATE_URL") == {"name": values["existingSecret"], "key": values["existingSecretKey"]}
        assert "LOCALFN_STATE_PASSWORD" not in objects.env_of(main)
        assert objects.env_value(main, "LOCALFN_STATE_PREFIX") == PREFIX
    assert f"your Redis, its URL from Secret {values['existingSecret']}" in _notes("-f", str(rendering.scenario_file("state-external")))


def test_a_redis_url_in_values_goes_through_the_charts_secret(helm: str) -> None:
    url = "rediss://:s3cret@redis.example.com:6380/0"
    docs = rendering.render_scenario("default", f"state.redis.url={url}")
    (secret,) = objects.of_kind(docs, "Secret")
    for wl in objects.function_workloads(docs):
        ref = _secret_ref(objects.main_container(wl), "LOCALFN_STATE_URL")
        assert ref["name"] == secret["metadata"]["name"]
        assert base64.b64decode(secret["data"][ref["key"]]).decode() == url
        assert "checksum/secret" in objects.pod_template(wl)[0]["annotations"]  # a new URL rolls the functions
    assert all(url not in repr(d) for d in docs if d["kind"] != "Secret")


@pytest.mark.parametrize(
    ("set_values", "expected"),
    [
        (["state.redis.url=redis://a:6379/0", "state.redis.existingSecret=s"], "set url or existingSecret, not both"),
        (["state.redis.deploy=true", "state.redis.url=redis://a:6379/0"], "leave state.redis.url and state.redis.existingSecret empty"),
    ],
)
def test_one_redis_is_named_once(helm: str, set_values: list[str], expected: str) -> None:
    assert expected in rendering.render_error(set_values=set_values)


def test_a_redis_url_of_another_scheme_is_refused(helm: str) -> None:
    assert "/state/redis/url" in rendering.render_error(set_values=["state.redis.url=http://redis:6379"])


@pytest.mark.parametrize(
    ("set_values", "warned"),
    [
        ([], True),  # SQLite and up to 10 pods
        (["functions.generate-badge.overrides.autoscaling.maxScale=1", "functions.generate-badge.overrides.autoscaling.minScale=1"], False),
        (["functions.generate-badge.database.existingSecret=pg"], False),
        (["functions.generate-badge.enabled=false"], False),
    ],
)
def test_notes_warn_that_badge_history_is_per_pod_when_several_pods_have_no_database(
    helm: str, set_values: list[str], warned: bool
) -> None:
    notes = _notes("-f", str(rendering.scenario_file("state-deploy")), *[arg for s in set_values for arg in ("--set", s)])
    assert ("history is per pod" in notes) is warned
    assert "the chart's Valkey: redis://" in notes
