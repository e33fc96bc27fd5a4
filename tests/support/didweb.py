"""A did:web source for tests: the product's own HTTPS fetching, sent to a loopback server instead of the DID's domain.

DNS and HTTPS to a real domain cannot run here. ``FakeDidWebSource`` is the product's
``HttpsSource`` (its timeout, status and size checks, its messages) whose connections go to
a local server: the https URL the resolver derived from the DID (by the did:web method's
rules, which tests/unit/functions/generate_badge/signing/test_did_web.py checks against the method's own examples)
keeps its path, and only its origin is swapped.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import httpx

from localfn.functions.generate_badge.signing.resolver import HttpsSource


class _ToLoopback(httpx.HTTPTransport):
    """Sends every request to ``base_url``'s origin, path and query unchanged."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.origin = httpx.URL(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self.origin.scheme, host=self.origin.host, port=self.origin.port)
        return super().handle_request(request)


class FakeDidWebSource:
    """A DocumentSource fetching ``https://<any domain>/<path>`` from ``<base_url>/<path>``; records the URLs asked for."""

    def __init__(self, base_url: str) -> None:
        self._source = HttpsSource(transport=_ToLoopback(base_url))
        self.asked: list[str] = []

    def get(self, url: str, timeout_s: float) -> bytes:
        self.asked.append(url)
        assert url.startswith("https://"), f"the resolver asked for {url}: did:web documents are fetched over HTTPS only"
        return self._source.get(url, timeout_s)


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers: every request to it times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes the handshakes; nothing ever reads
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
