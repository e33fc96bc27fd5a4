"""The deployed forms, as real processes: functions-framework --asgi, and `localfn serve` with its CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localfn.engine.embedded import LlamaServer
from tests.support.processes import BIN, embedded_serve, free_port, wait_ready

ROOT = Path(__file__).parents[2]
REQUEST = {"mode": "context", "context": "Plants turn light into sugar in their leaves. " * 40, "max_summary_tokens": 30}


@pytest.fixture
def function_process(tiny_server: LlamaServer, clean_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    engines = json.dumps([tiny_server.backend().model_dump(mode="json")])
    log = tmp_path / "function.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(BIN / "functions-framework"),
                "--asgi",
                "--target",
                "summarize",
                "--source",
                str(ROOT / "functions/summarize/main.py"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env={**clean_env, "LOCALFN_ENGINES": engines},
            stdout=output,
            stderr=output,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/health/ready", process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_functions_framework_serves_the_function_at_its_root(function_process: str) -> None:
    response = httpx.post(function_process, json=REQUEST, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["tokens_after"] <= 30
    assert httpx.get(f"{function_process}/health/live").json()["function"] == "summarize"
    assert "localfn_requests_total" in httpx.get(f"{function_process}/metrics").text
    assert httpx.get(f"{function_process}/openapi.json").json()["paths"]["/"]["post"]["operationId"] == "summarize"
    missing = httpx.get(f"{function_process}/nope")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


def test_localfn_serve_on_the_embedded_engine_with_invoke_and_send_event(
    tiny_model: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    serve = embedded_serve(clean_env, tiny_model, log)
    try:
        invoked = subprocess.run(
            [str(BIN / "localfn"), "invoke", "summarize", "--data", json.dumps(REQUEST)],
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert invoked.returncode == 0, invoked.stderr
        answer = json.loads(invoked.stdout)
        assert answer["backend"] == "embedded" and answer["model"] == "tiny"
        sent = subprocess.run(
            [
                str(BIN / "localfn"),
                "send-event",
                "--type",
                "io.localfn.summarize.request",
                "--subject",
                "s-1",
                "--data",
                json.dumps(REQUEST),
            ],
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
        reply = json.loads(sent.stdout)
        assert reply["type"] == "io.localfn.summarize.response" and reply["subject"] == "s-1"
        assert reply["data"]["tokens_after"] <= 30
        failed = subprocess.run(
            [str(BIN / "localfn"), "invoke", "summarize", "--data", "{}"],
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert failed.returncode == 1 and "invalid-input" in failed.stdout
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    assert "starting the embedded llama.cpp engine" in log.read_text()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_shuts_down_cleanly_with_the_embedded_engine(
    stop: signal.Signals, tiny_model: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    """SIGTERM is what Kubernetes and systemd send, SIGINT is Ctrl-C: both exit 0 and stop llama-server."""
    log = tmp_path / "serve.log"
    serve = embedded_serve(clean_env, tiny_model, log)
    try:
        children = subprocess.run(["pgrep", "-P", str(serve.pid)], capture_output=True, text=True, check=False).stdout.split()
        assert children, "the embedded llama-server should be a child of `localfn serve`"
    finally:
        serve.send_signal(stop)
        serve.wait(timeout=30)
    assert serve.returncode == 0, log.read_text()
    time.sleep(0.5)
    for pid in children:
        assert not Path(f"/proc/{pid}").exists(), "llama-server outlived `localfn serve`"
