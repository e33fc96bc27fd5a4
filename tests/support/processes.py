"""Starting localfn's own processes in tests: a free loopback port, and waiting until one answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["BIN", "clean_env", "embedded_serve", "free_port", "start_serve", "wait_ready"]

BIN = Path(sys.executable).parent  # the venv's commands: localfn, functions-framework


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without LOCALFN_* settings, with ``home`` as HOME (generate-badge's history goes under it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALFN_")}
    env["HOME"] = str(home)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Poll ``url`` until it answers 200; fail with the process's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode}: {log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready after {timeout} s")


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`localfn serve` on a free loopback port, once ready; ``env`` gains LOCALFN_URL for the CLI's other commands."""
    port = free_port()
    env.update({"LOCALFN_PORT": str(port), "LOCALFN_URL": f"http://127.0.0.1:{port}"})
    with log.open("w") as output:
        serve = subprocess.Popen([str(BIN / "localfn"), "serve"], env=env, stdout=output, stderr=output)
    try:
        wait_ready(f"{env['LOCALFN_URL']}/health/ready", serve, log)
    except AssertionError:
        serve.kill()  # not left running (nor reported by Popen.__del__) when it never got ready
        serve.wait()
        raise
    return serve


def embedded_serve(env: dict[str, str], tiny_model: Path, log: Path) -> subprocess.Popen[bytes]:
    """`localfn serve` with an engine nobody answers at, so `auto` must start the embedded one (the tiny model)."""
    env.update(
        {
            "LOCALFN_ENGINES": json.dumps([{"name": "ollama", "kind": "ollama", "url": f"http://127.0.0.1:{free_port()}", "model": "x"}]),
            "LOCALFN_EMBEDDED_MODEL_PATH": str(tiny_model),
            "LOCALFN_EMBEDDED_MODEL_NAME": "tiny",
        }
    )
    return start_serve(env, log)
