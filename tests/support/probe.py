"""A minimal capability, for testing the adapter and the OpenAPI document apart from any function.

Subclass ``Probe`` and add the handlers and ``extra_routes`` a test needs.
"""

from __future__ import annotations

from pydantic import BaseModel

from localfn.capability import Capability


class Page(BaseModel):
    n: int


class Other(BaseModel):
    name: str


class Probe(Capability[Page, Page]):
    name = "probe"
    summary = "A probe."
    request_model = response_model = Page

    async def run(self, request: Page) -> Page:
        return request
