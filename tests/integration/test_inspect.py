"""`localfn doctor` and `localfn models` as a user runs them: real processes, an 80-column terminal.

With `localfn serve` up (on its embedded engine, while the configured Ollama is down) both
report what serve uses; with nothing running they say what `localfn serve` would start.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import BIN, embedded_serve, free_port


def localfn(command: str, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    """One `localfn` command at 80 columns, the width of a small terminal (and rich's default for pipes)."""
    return subprocess.run(
        [str(BIN / "localfn"), command, *options], env={**env, "COLUMNS": "80"}, capture_output=True, text=True, timeout=60, check=False
    )


def configured_url(env: dict[str, str]) -> str:
    return json.loads(env["LOCALFN_ENGINES"])[0]["url"]


@pytest.fixture
def serve_env(tiny_model: Path, clean_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a running `localfn serve` on the embedded engine (the configured Ollama does not answer)."""
    serve = embedded_serve(clean_env, tiny_model, tmp_path / "serve.log")
    try:
        yield clean_env
    finally:
        serve.terminate()
        serve.wait(timeout=30)


@pytest.fixture
def idle_env(tiny_model: Path, clean_env: dict[str, str]) -> dict[str, str]:
    """Nothing runs: no `localfn serve` at LOCALFN_URL, no engine at LOCALFN_ENGINES."""
    clean_env.update(
        {
            "LOCALFN_URL": f"http://127.0.0.1:{free_port()}",
            # A URL as long as a proxied one: more than its share of 80 columns, so it must not be cut.
            "LOCALFN_ENGINES": json.dumps(
                [{"name": "ollama", "kind": "ollama", "url": f"http://127.0.0.1:{free_port()}/behind/a/proxy/ollama", "model": "x"}]
            ),
            "LOCALFN_EMBEDDED_MODEL_PATH": str(tiny_model),
        }
    )
    return clean_env


def test_doctor_reports_ok_from_the_running_serve(serve_env: dict[str, str]) -> None:
    doctor = localfn("doctor", serve_env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert f"localfn serve at {serve_env['LOCALFN_URL']}: ready" in doctor.stdout
    assert "embedded" in doctor.stdout and "tiny" in doctor.stdout
    assert f"OK: localfn serve at {serve_env['LOCALFN_URL']} is ready." in doctor.stdout
    # The configured engines are still shown, their URLs whole at 80 columns.
    assert configured_url(serve_env) in doctor.stdout
    assert "…" not in doctor.stdout


def test_models_lists_what_the_running_serve_uses(serve_env: dict[str, str]) -> None:
    models = localfn("models", serve_env)
    assert models.returncode == 0, models.stdout + models.stderr
    assert "embedded (used by localfn serve)" in models.stdout
    assert re.search(r"│ tiny +│ yes +│", models.stdout), models.stdout  # the model it serves, marked


def test_doctor_with_nothing_running_says_what_serve_would_start(idle_env: dict[str, str]) -> None:
    doctor = localfn("doctor", idle_env)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert f"No localfn serve answers at {idle_env['LOCALFN_URL']}" in doctor.stdout
    assert configured_url(idle_env) in doctor.stdout and "…" not in doctor.stdout
    assert "No engine is ready. `make serve` (or `localfn serve`) would start the embedded llama.cpp engine with tiny.gguf." in " ".join(
        doctor.stdout.split()
    )


def test_doctor_json_with_nothing_running(idle_env: dict[str, str], tiny_model: Path) -> None:
    doctor = localfn("doctor", idle_env, "--json")
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["ok"] is False and report["verdict"].startswith("No engine is ready.")
    assert report["serve"]["url"] == idle_env["LOCALFN_URL"] and report["serve"]["problem"]
    assert [(e["url"], e["reachable"]) for e in report["configured"]] == [(configured_url(idle_env), False)]
    assert report["embedded"]["embedded model"] == str(tiny_model)
    assert isinstance(report["gpus"], list) and "driver" in report  # NVML's view: empty and null without an NVIDIA driver


def test_models_with_nothing_running_asks_the_configured_engines(idle_env: dict[str, str]) -> None:
    models = localfn("models", idle_env)
    assert models.returncode == 0, models.stdout + models.stderr
    text = " ".join(models.stdout.split())
    assert f"No localfn serve answers at {idle_env['LOCALFN_URL']}" in text
    assert "the configured engines (LOCALFN_ENGINES)" in text
    assert configured_url(idle_env) in text  # the engine's "cannot connect" detail names it
