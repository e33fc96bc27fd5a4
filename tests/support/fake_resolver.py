"""FakeResolver: a named fake of cluster DNS for a headless Service, for localfn.engine.pods.

No Kubernetes runs here. Cluster DNS answers a headless Service's name with one A/AAAA record
per ready pod, and NXDOMAIN when there is none; the real ``DnsResolver`` turns that into a
sorted list of distinct addresses, or [] (tests/unit/engine/test_pods.py checks it on /etc/hosts
and on a ``.invalid`` name, RFC 6761). This fake gives the same shape from a list the test
edits: ``addresses`` (pods, e.g. 127.0.0.2 and 127.0.0.3, where real test servers listen),
or ``failure`` (an OSError, as when DNS itself is down). It counts its look-ups.
"""

from __future__ import annotations

__all__ = ["FakeResolver"]


class FakeResolver:
    def __init__(self, *addresses: str) -> None:
        self.addresses_now = list(addresses)
        self.failure: OSError | None = None
        self.lookups: list[tuple[str, int]] = []

    async def addresses(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        if self.failure is not None:
            raise self.failure
        return sorted(set(self.addresses_now))
