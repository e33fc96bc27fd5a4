"""did:web identifiers (W3C CCG did:web method): a DID named by a web domain, its document served over HTTPS.

``did:web:<host>[%3A<port>][:<segment>...]``: the host is a domain name, a port is written
percent-encoded (``%3A``), and each further ``:`` separates a path segment. The document is
at ``https://<host>[:<port>]/.well-known/did.json`` without a path, else at
``https://<host>[:<port>]/<segment>/.../did.json``. This module reads and writes only the
identifiers (no cryptography), so settings can check one when they load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DidWeb", "DidWebError", "parse"]

PREFIX = "did:web:"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?:%3a[0-9]{{1,5}})?", re.IGNORECASE)
# Unreserved URL characters only: a segment needs no escaping to become part of a path.
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


class DidWebError(ValueError):
    """Not a did:web localfn can serve or resolve; the message says why."""


@dataclass(frozen=True)
class DidWeb:
    """One did:web, split into where its document lives."""

    did: str
    origin: str  # host[:port], lower case: what the allow-list of resolvable domains names
    document_path: str  # /.well-known/did.json, or /<segments>/did.json

    @property
    def document_url(self) -> str:
        return f"https://{self.origin}{self.document_path}"


def parse(identifier: str) -> DidWeb:
    """A did:web (``did:web:example.edu:badges``) or its method-specific part (``example.edu:badges``), checked.

    Raises DidWebError naming the fault: a host that is not a domain name, an empty segment,
    a segment with characters a URL path would need escaped, or '.' and '..'.
    """
    specific = identifier.removeprefix(PREFIX)
    host, *segments = specific.split(":")
    if not _HOST.fullmatch(host):
        raise DidWebError(f"{identifier!r} does not start with a domain name (a port is written %3A, e.g. example.edu%3A8443)")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise DidWebError(
                f"{identifier!r} has the path segment {segment!r}; use letters, digits and . _ ~ - (segments are ':'-separated)"
            )
    origin = host.lower().replace("%3a", ":")
    path = "/" + "/".join(segments) if segments else "/.well-known"
    return DidWeb(did=PREFIX + specific, origin=origin, document_path=f"{path}/did.json")
