"""Fixtures shared by the integration tests: Ollama in front of the tiny model, a clean environment for processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localfn.engine.embedded import LlamaServer
from tests.support import processes
from tests.support.asgi_server import serve_in_thread
from tests.support.ollama_peer import OllamaPeer


@pytest.fixture
def ollama_peer(tiny_server: LlamaServer) -> Iterator[tuple[OllamaPeer, str]]:
    """OllamaPeer in front of the session's tiny llama-server, and its URL.

    It serves ``tiny`` (a text model) and ``eyes`` (the same weights, listing ``vision`` among
    its capabilities). The test fails if anything crossed it off Ollama's spec.
    """
    peer = OllamaPeer(
        tiny_server.url.removesuffix("/v1"),
        {"tiny:latest": "tiny", "eyes:latest": "tiny"},
        capabilities={"eyes:latest": ["completion", "vision"]},
    )
    with serve_in_thread(peer) as url:
        yield peer, url
    assert peer.violations == [], "localfn sent or received something off Ollama's spec"


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a localfn process: no LOCALFN_* settings, a fresh HOME."""
    return processes.clean_env(tmp_path)
