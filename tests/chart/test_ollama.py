"""Ollama pools: GPU scheduling on the GPU StatefulSet only, the model cache,
models pulled before the server starts, and the engine order the functions get."""

from __future__ import annotations

import stat
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.chart import objects, rendering


def _pool(sts: objects.Doc) -> str:
    return objects.pod_template(sts)[0]["labels"]["localfn.io/pool"]


def _gpu_traits(spec: dict) -> list[str]:
    """Every GPU scheduling field found in a pod spec."""
    traits = []
    for c in objects.containers(spec):
        for section in ("limits", "requests"):
            for resource in (c.get("resources") or {}).get(section) or {}:
                if resource.startswith(("nvidia.com/", "amd.com/")):
                    traits.append(f"{c['name']}.{section}.{resource}")
    if spec.get("runtimeClassName"):
        traits.append("runtimeClassName")
    for t in spec.get("tolerations") or []:
        if "gpu" in (t.get("key") or ""):
            traits.append(f"toleration {t['key']}")
    for key in spec.get("nodeSelector") or {}:
        if key.startswith("nvidia.com/"):
            traits.append(f"nodeSelector {key}")
    return traits


def test_gpu_scheduling_is_on_the_gpu_statefulset_only(scenario: str, docs: list[objects.Doc]) -> None:
    values = rendering.scenario_values(scenario)["ollama"]["gpu"]
    seen_gpu = False
    for wl in objects.workloads(docs):
        _, spec = objects.pod_template(wl)
        traits = _gpu_traits(spec)
        if wl in objects.ollama_statefulsets(docs) and _pool(wl) == "gpu":
            seen_gpu = True
            (main,) = spec["containers"]
            assert main["resources"]["limits"][values["gpu"]["resourceName"]] == values["gpu"]["count"]
            assert spec["tolerations"] == values["tolerations"]
            assert spec["nodeSelector"] == values["nodeSelector"]
            assert spec.get("runtimeClassName", "") == values["runtimeClassName"]
            # the init container pulls models; it needs no GPU
            assert not [t for t in traits if t.startswith("pull-models.")]
        else:
            assert traits == [], f"{wl['kind']}/{wl['metadata']['name']} carries GPU scheduling: {traits}"
    assert seen_gpu == values["enabled"]


def test_cpu_pool_keeps_off_gpu_nodes_unless_told_otherwise(helm: str) -> None:
    def cpu_affinity(*sets: str) -> dict:
        docs = rendering.render_scenario("default", *sets)
        cpu = next(s for s in objects.ollama_statefulsets(docs) if _pool(s) == "cpu")
        return objects.pod_template(cpu)[1].get("affinity", {})

    terms = cpu_affinity()["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert {"key": "nvidia.com/gpu.present", "operator": "DoesNotExist"} in terms[0]["matchExpressions"]
    assert cpu_affinity("ollama.cpu.affinity=null") == {}


def test_mig_profile_is_the_requested_resource(helm: str) -> None:
    docs = rendering.render_scenario("gpu-mig")
    gpu = next(s for s in objects.ollama_statefulsets(docs) if _pool(s) == "gpu")
    limits = objects.main_container(gpu)["resources"]["limits"]
    assert limits["nvidia.com/mig-1g.10gb"] == 1
    assert "nvidia.com/gpu" not in limits
    assert objects.pod_template(gpu)[1]["runtimeClassName"] == "nvidia"
    assert gpu["spec"]["replicas"] == 2


def test_cpu_only_runs_no_gpu_pool(helm: str) -> None:
    docs = rendering.render_scenario("cpu-only")
    assert [_pool(s) for s in objects.ollama_statefulsets(docs)] == ["cpu"]
    for wl in objects.function_workloads(docs):
        assert [e["name"] for e in objects.engines_of(objects.main_container(wl))] == ["cpu"]


def _service_for(url: str, docs: list[objects.Doc]) -> objects.Doc:
    parsed = urlparse(url)
    name, namespace, *_ = parsed.hostname.split(".")
    assert namespace == rendering.NAMESPACE
    service = objects.by_name(objects.core_services(docs))[name]
    assert parsed.port in [p["port"] for p in service["spec"]["ports"]]
    return service


def test_engines_name_the_gpu_service_before_the_cpu_service(scenario: str, docs: list[objects.Doc]) -> None:
    values = rendering.scenario_values(scenario)["ollama"]
    statefulsets = {_pool(s): s for s in objects.ollama_statefulsets(docs)}
    expected = [p for p in ("gpu", "cpu") if values[p]["enabled"]]
    for wl in objects.function_workloads(docs):
        engines = objects.engines_of(objects.main_container(wl))
        assert [e["name"] for e in engines] == expected, wl["metadata"]["name"]
        for engine in engines:
            pool = engine["name"]
            assert engine["kind"] == "ollama"
            assert engine["model"] == values[pool]["model"]
            assert engine["model"] in values[pool]["models"], "the engine's model is never pulled"
            if values[pool]["visionModel"]:
                assert engine["vision_model"] in values[pool]["models"]
            else:
                assert "vision_model" not in engine
            service = _service_for(engine["url"], docs)
            if engine.get("balance", "service") == "service":
                assert service["spec"].get("clusterIP") != "None", "the engine must call the client Service"
            else:  # the functions call each pod: the name must list ready pods only (tests/chart/test_balance.py)
                assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"] is False
            pod_labels = objects.pod_template(statefulsets[pool])[0]["labels"]
            assert objects.selects(service["spec"]["selector"], pod_labels), f"{engine['url']} does not reach the {pool} pool"


def test_cpu_engine_stays_listed_at_zero_replicas_and_goes_when_disabled(helm: str) -> None:
    docs = rendering.render_scenario("gpu-mig")
    cpu = next(s for s in objects.ollama_statefulsets(docs) if _pool(s) == "cpu")
    assert cpu["spec"]["replicas"] == 0
    assert not [
        p for p in objects.of_kind(docs, "PodDisruptionBudget") if p["spec"]["selector"]["matchLabels"].get("localfn.io/pool") == "cpu"
    ]
    for wl in objects.function_workloads(docs):
        assert [e["name"] for e in objects.engines_of(objects.main_container(wl))] == ["gpu", "cpu"]
    docs = rendering.render_scenario("gpu-mig", "ollama.cpu.enabled=false")
    for wl in objects.function_workloads(docs):
        assert [e["name"] for e in objects.engines_of(objects.main_container(wl))] == ["gpu"]


def test_statefulsets_keep_models_on_their_own_claims(scenario: str, docs: list[objects.Doc]) -> None:
    values = rendering.scenario_values(scenario)["ollama"]
    headless = {s["metadata"]["name"]: s for s in objects.core_services(docs) if s["spec"].get("clusterIP") == "None"}
    for sts in objects.ollama_statefulsets(docs):
        pool = _pool(sts)
        persistence = values[pool]["persistence"]
        (claim,) = sts["spec"]["volumeClaimTemplates"]
        assert claim["spec"]["resources"]["requests"]["storage"] == persistence["size"]
        assert claim["spec"].get("storageClassName", "") == persistence["storageClass"]
        main = objects.main_container(sts)
        mounts = {m["name"]: m["mountPath"] for m in main["volumeMounts"]}
        assert mounts[claim["metadata"]["name"]] == objects.env_value(main, "OLLAMA_MODELS")
        service = headless[sts["spec"]["serviceName"]]
        assert objects.selects(service["spec"]["selector"], objects.pod_template(sts)[0]["labels"])


def test_models_are_pulled_by_an_init_container_before_the_server(scenario: str, docs: list[objects.Doc]) -> None:
    values = rendering.scenario_values(scenario)["ollama"]
    scripts = {k: v for c in objects.of_kind(docs, "ConfigMap") for k, v in c.get("data", {}).items()}
    for sts in objects.ollama_statefulsets(docs):
        _, spec = objects.pod_template(sts)
        assert "lifecycle" not in spec["containers"][0], "no postStart hook racing the server"
        (init,) = spec["initContainers"]
        assert init["image"] == spec["containers"][0]["image"]
        assert objects.env_value(init, "OLLAMA_PULL_MODELS").split() == values[_pool(sts)]["models"]
        assert objects.env_value(init, "OLLAMA_MODELS") == objects.env_value(spec["containers"][0], "OLLAMA_MODELS")
        script_name = Path(init["command"][-1]).name
        assert script_name in scripts
        assert {m["name"] for m in init["volumeMounts"]} >= {"models"}


def test_ollama_server_settings_and_probes(scenario: str, docs: list[objects.Doc]) -> None:
    values = rendering.scenario_values(scenario)["ollama"]
    for sts in objects.ollama_statefulsets(docs):
        pool = values[_pool(sts)]
        main = objects.main_container(sts)
        env = {name: e.get("value") for name, e in objects.env_of(main).items()}
        assert env["OLLAMA_HOST"] == f"0.0.0.0:{values['port']}"
        assert env["OLLAMA_KEEP_ALIVE"] == pool["settings"]["keepAlive"]
        assert env["OLLAMA_NUM_PARALLEL"] == str(pool["settings"]["numParallel"])
        assert env["OLLAMA_MAX_LOADED_MODELS"] == str(pool["settings"]["maxLoadedModels"])
        assert env["OLLAMA_MAX_QUEUE"] == str(pool["settings"]["maxQueue"])
        assert env["OLLAMA_CONTEXT_LENGTH"] == str(pool["settings"]["contextLength"])
        assert env.get("OLLAMA_FLASH_ATTENTION", "") == str(pool["settings"]["flashAttention"]).lower()
        startup = main["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 600, "a cold start needs at least 10 minutes"
        assert main["readinessProbe"]["httpGet"]["path"] in ("/", "/api/tags")
        assert main["livenessProbe"]["httpGet"]["path"] == "/"


def test_pdbs_cover_the_running_pools(docs: list[objects.Doc]) -> None:
    pdbs = objects.of_kind(docs, "PodDisruptionBudget")
    for sts in objects.ollama_statefulsets(docs):
        labels = objects.pod_template(sts)[0]["labels"]
        covering = [p for p in pdbs if objects.selects(p["spec"]["selector"]["matchLabels"], labels)]
        # Unset replicas: KEDA scales the pool (the API server's default is 1).
        if sts["spec"].get("replicas", 1) > 0:
            assert len(covering) == 1, sts["metadata"]["name"]
            assert "maxUnavailable" in covering[0]["spec"], "minAvailable would block drains of a single replica"


# ---------------------------------------------------------------- the pull script, run for real

FAKE_OLLAMA = """#!/bin/sh
# A stand-in for the ollama CLI: records calls; `list` works once `serve` runs;
# `show` knows only $FAKE_PRESENT.
echo "$*" >> "$FAKE_LOG"
case "$1" in
  serve)
    echo "serving on $OLLAMA_HOST with models in $OLLAMA_MODELS" >> "$FAKE_LOG"
    echo $$ > "$FAKE_LOG.pid"
    exec sleep 30 ;;
  list) [ -f "$FAKE_LOG.pid" ] || exit 1; exit 0 ;;
  show) for m in $FAKE_PRESENT; do [ "$m" = "$2" ] && exit 0; done; exit 1 ;;
  pull) exit 0 ;;
esac
exit 3
"""


@pytest.fixture
def pull_script(tmp_path: Path) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ollama"
    fake.write_text(FAKE_OLLAMA)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return rendering.CHART / "files" / "pull-models.sh", bin_dir


@pytest.mark.parametrize(
    ("policy", "present", "pulled"),
    [
        ("IfNotPresent", "llama3.2:1b", ["moondream:1.8b"]),
        ("Always", "llama3.2:1b", ["llama3.2:1b", "moondream:1.8b"]),
        ("Never", "", []),
    ],
)
def test_pull_script_pulls_what_the_policy_says(pull_script, tmp_path: Path, policy: str, present: str, pulled: list[str]) -> None:
    script, bin_dir = pull_script
    log = tmp_path / "calls.log"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_LOG": str(log),
        "FAKE_PRESENT": present,
        "OLLAMA_PULL_MODELS": "llama3.2:1b moondream:1.8b",
        "OLLAMA_PULL_POLICY": policy,
        "OLLAMA_MODELS": str(tmp_path / "models"),
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(["/bin/sh", str(script)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines() if log.exists() else []
    assert [c.split()[1] for c in calls if c.startswith("pull ")] == pulled
    assert "pull-models:" in proc.stdout, "progress is visible in the container log"
    if policy == "Never":
        assert calls == []
        return
    serve = calls.index("serve")
    first_use = min(i for i, c in enumerate(calls) if c.split()[0] in ("show", "pull"))
    assert serve < first_use, "the server starts before any model is looked at"
    assert [c for c in calls if c.startswith("serving on ")] == [f"serving on 127.0.0.1:11434 with models in {tmp_path / 'models'}"], (
        "one pull server, on loopback only, writing to the model cache"
    )
    server = int(Path(f"{log}.pid").read_text())
    assert _gone(server), "the background server outlives the script"


def _gone(pid: int, within_s: float = 3.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_pull_script_fails_when_a_pull_fails(pull_script, tmp_path: Path) -> None:
    script, bin_dir = pull_script
    (bin_dir / "ollama").write_text(FAKE_OLLAMA.replace("pull) exit 0", "pull) echo 'pull failed' >&2; exit 1"))
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_LOG": str(tmp_path / "log"),
        "FAKE_PRESENT": "",
        "OLLAMA_PULL_MODELS": "llama3.2:1b",
        "OLLAMA_PULL_POLICY": "IfNotPresent",
        "OLLAMA_MODELS": str(tmp_path),
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(["/bin/sh", str(script)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode != 0, "a failed pull must fail the init container, or the pod starts without its model"
