"""The embedded llama-server: started, supervised (restarted when it dies) and stopped."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from localfn.engine.embedded import EmbeddedEngineError, LlamaServer, from_settings
from localfn.settings import Settings


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def healthy(server: LlamaServer) -> bool:
    async with httpx.AsyncClient(timeout=2) as client:
        return (await client.get(f"http://127.0.0.1:{server.port}/health")).status_code == 200


async def test_a_killed_server_is_restarted(tiny_model: Path) -> None:
    async with LlamaServer(tiny_model, name="tiny", max_restarts=2) as server:
        first_pid = server.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        for _ in range(100):
            if server.restarts == 1 and server.pid != first_pid and await healthy(server):
                break
            await asyncio.sleep(0.1)
        assert server.restarts == 1
        assert server.pid != first_pid
        assert await healthy(server)


async def test_stop_ends_the_process(tiny_model: Path) -> None:
    server = LlamaServer(tiny_model, name="tiny")
    await server.start()
    pid = server.pid
    assert pid is not None and alive(pid)
    await server.stop()
    assert not alive(pid)


async def test_a_model_that_does_not_load_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF not really")
    with pytest.raises(EmbeddedEngineError, match="exited"):
        await LlamaServer(broken, name="broken", start_timeout_s=20).start()


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedEngineError, match="does not exist"):
        LlamaServer(tmp_path / "none.gguf", name="none")


def test_settings_choose_model_slots_and_cpu_layers(tiny_model: Path) -> None:
    server = from_settings(Settings(embedded_model_path=tiny_model, embedded_parallel=3, embedded_model_name="mine"))
    assert server.model_path == tiny_model
    assert server.backend().model == "mine" and server.backend().kind == "openai"
    args = server._args
    assert args[args.index("--parallel") + 1] == "3"
    assert args[args.index("-ngl") + 1] == "0"  # no GPU on this machine: every layer on the CPU
