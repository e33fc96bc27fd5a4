"""The app the fuzz tests hit: `localfn serve` on a loopback port, every function on the tiny model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localfn.runtime import RuntimeHolder
from localfn.serve import build_app
from localfn.settings import BackendSettings
from tests.support.asgi_server import serve_in_thread
from tests.support.localfn_app import make_settings


@pytest.fixture(scope="package")
def served(tiny_backend: BackendSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Its base URL. A real socket, not an ASGI client: the fuzzers are synchronous, and the
    runtime's one shared httpx client must stay on the event loop it was made on."""
    settings = make_settings(tiny_backend, generate_badge={"history_path": tmp_path_factory.mktemp("fuzz") / "history.sqlite3"})
    with serve_in_thread(build_app(RuntimeHolder(lambda: settings))) as url:
        yield url
