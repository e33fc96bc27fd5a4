"""A did:web source for tests: the product's own HTTPS fetching, sent to a loopback server instead of the DID's domain.

DNS and HTTPS to a real domain cannot run here. ``FakeDidWebSource`` is the product's
``HttpsSource`` (its timeout, status and size checks) with one change: the origin of the
https URL the resolver derived from the DID (by the did:web method's rules, which the
resolver's own tests check against the spec's examples) is swapped for a local server's.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from localfn.functions.generate_badge.signing.resolver import HttpsSource


class FakeDidWebSource(HttpsSource):
    """Fetches ``https://<any domain>/<path>`` from ``<base_url>/<path>``; records every URL it was asked for."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.asked: list[str] = []

    def get(self, url: str, timeout_s: float) -> bytes:
        self.asked.append(url)
        parts = urlsplit(url)
        assert parts.scheme == "https", f"the resolver asked for {url}: did:web documents are fetched over HTTPS only"
        return super().get(f"{self.base_url}{parts.path}", timeout_s)


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers: every request to it times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes the handshakes; nothing ever reads
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
