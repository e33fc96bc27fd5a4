"""Resolving a verification method to its public key: did:key offline, did:web over HTTPS from an allow-list.

A did:web is resolved only when its domain (host, with ``:port`` when it has one) is in the
allow-list (``LOCALFN_ISSUER__DID_WEB_ALLOW``): fetching whatever a credential names would
let anyone make the verifier call any address. The document is fetched through a
``DocumentSource``: ``HttpsSource`` in the product (HTTPS, certificate checked, no redirect,
a timeout, a size limit); tests pass a source of their own. Every failure is a
``KeyNotResolved`` whose message says why, for the verifier's report.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Protocol

import httpx

from localfn.functions.generate_badge.signing import didkey, didweb
from localfn.functions.generate_badge.signing.diddocument import DidDocumentError, read_method
from localfn.settings import IssuerSettings

__all__ = ["DocumentSource", "HttpsSource", "KeyNotResolved", "KeyResolver", "SourceError"]

# A DID document lists a few keys; anything far larger is not one.
MAX_DOCUMENT_BYTES = 256 * 1024


class KeyNotResolved(ValueError):
    """The verification method does not resolve to a key; the message says why."""


class SourceError(Exception):
    """A document could not be fetched; the message says why (never a response body)."""


class DocumentSource(Protocol):
    def get(self, url: str, timeout_s: float) -> bytes:
        """The body served at ``url`` (an https URL), within ``timeout_s``; SourceError otherwise."""


class HttpsSource:
    """GET over HTTPS with httpx: the certificate checked, no redirect followed, at most MAX_DOCUMENT_BYTES.

    ``transport`` is httpx's (default: its own HTTPS connection pool).
    """

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self._transport = transport

    def get(self, url: str, timeout_s: float) -> bytes:
        try:
            with httpx.Client(timeout=timeout_s, follow_redirects=False, transport=self._transport) as client:
                return _read(client, url)
        except httpx.TimeoutException:
            raise SourceError(f"{url} did not answer within {timeout_s:g} s (LOCALFN_ISSUER__DID_WEB_TIMEOUT_S)") from None
        except httpx.HTTPError as exc:
            raise SourceError(f"{url} cannot be fetched ({type(exc).__name__}: {exc})") from None


def _read(client: httpx.Client, url: str) -> bytes:
    """The body at ``url``, refused when not a 200 or over MAX_DOCUMENT_BYTES (read no further)."""
    with client.stream("GET", url, headers={"Accept": "application/did+json, application/json"}) as response:
        if response.status_code != 200:
            raise SourceError(f"{url} answered HTTP {response.status_code}, not the DID document")
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise SourceError(f"{url} serves over {MAX_DOCUMENT_BYTES} bytes: not a DID document")
        return body


class KeyResolver:
    """Resolves did:key verification methods offline and did:web ones from allowed domains."""

    def __init__(self, allow: Iterable[str] = (), timeout_s: float = 5.0, source: DocumentSource | None = None) -> None:
        self.allow = frozenset(domain.strip().lower() for domain in allow if domain.strip())
        self.timeout_s = timeout_s
        self.source = source or HttpsSource()

    @classmethod
    def from_settings(cls, settings: IssuerSettings, source: DocumentSource | None = None) -> KeyResolver:
        return cls(settings.did_web_allow, settings.did_web_timeout_s, source)

    def resolve(self, url: str) -> didkey.ResolvedKey:
        """The key ``url`` (a verification method: a DID URL with a fragment) names."""
        if url.startswith("did:key:"):
            try:
                return didkey.resolve(url)
            except didkey.DidKeyError as exc:
                raise KeyNotResolved(str(exc)) from None
        if url.startswith(didweb.PREFIX):
            return self._resolve_web(url)
        raise KeyNotResolved(f"{url!r} is neither a did:key (resolved offline) nor a did:web (resolved over HTTPS)")

    def _resolve_web(self, url: str) -> didkey.ResolvedKey:
        did, _, fragment = url.partition("#")
        try:
            web = didweb.parse(did)
        except didweb.DidWebError as exc:
            raise KeyNotResolved(str(exc)) from None
        if not fragment:
            raise KeyNotResolved(f"{url} names a DID, not one of its verification methods (<did>#<key>)")
        if web.origin not in self.allow:
            raise KeyNotResolved(
                f"{web.origin} is not in the allow-list of did:web domains (LOCALFN_ISSUER__DID_WEB_ALLOW), so {did} was not resolved"
            )
        try:
            document = json.loads(self.source.get(web.document_url, self.timeout_s))
            resolved = read_method(document, did, url)
        except SourceError as exc:
            raise KeyNotResolved(str(exc)) from None
        except ValueError as exc:  # not JSON, or a document that does not vouch for the key (DidDocumentError)
            reason = str(exc) if isinstance(exc, DidDocumentError) else f"{web.document_url} does not serve JSON"
            raise KeyNotResolved(reason) from None
        return dataclasses.replace(resolved, source=f"from {web.document_url}")
