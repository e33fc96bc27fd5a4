"""The JSON-LD contexts credentials are canonicalized with: copies shipped in the package, never the network.

A document loader that fetched contexts would let whoever serves a context URL change what a
signature covers (and would make every verification a network call), so ``document_loader``
answers only from the copies under assets/specs (see SOURCES.md there for their provenance)
and refuses every other URL.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

__all__ = ["ContextRefused", "DocumentLoader", "document_loader", "shipped_contexts"]

# Context URL -> its copy under localfn.assets.
_SHIPPED = {
    "https://www.w3.org/ns/credentials/v2": "specs/w3c/credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "specs/openbadges-3.0/context-3.0.3.json",
}

DocumentLoader = Callable[..., dict[str, Any]]


class ContextRefused(ValueError):
    """A document named a context localfn does not ship."""


@functools.cache
def shipped_contexts() -> Mapping[str, Any]:
    assets = resources.files("localfn.assets")
    return {url: json.loads(assets.joinpath(path).read_text()) for url, path in _SHIPPED.items()}


def document_loader(contexts: Mapping[str, Any] | None = None) -> DocumentLoader:
    """A pyld document loader answering from ``contexts`` (default: the shipped ones) and refusing any other URL."""
    known = shipped_contexts() if contexts is None else contexts

    def load(url: str, options: object = None) -> dict[str, Any]:
        if url not in known:
            raise ContextRefused(f"the context {url!r} is not one localfn ships ({', '.join(known)}); contexts are never fetched")
        return {"contextUrl": None, "documentUrl": url, "document": known[url]}

    return load
