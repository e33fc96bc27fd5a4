"""FunctionApp's one wrapper for extra routes: the RouteDoc's models validate the call and the answer."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from localfn.app import FunctionApp
from localfn.capability import Call, ExtraRoute, Operation, RouteDoc
from localfn.runtime import RuntimeHolder
from localfn.settings import Settings
from tests.support.probe import Other, Page, Probe


class _Probe(Probe):
    async def echo(self, call: Call) -> Page:
        """Echo the body, doubled by the query."""
        return Page(n=call.body.n * call.query.n)

    async def wrong(self, call: Call) -> Any:
        """Answer a model the RouteDoc does not name."""
        return Other(name="x")

    async def document(self, call: Call) -> Page:
        """Take a PNG."""
        return Page(n=len(call.body))

    extra_routes = (
        ExtraRoute("/echo", (Operation("POST", echo, RouteDoc(body=Page, query=Page, response=Page)),)),
        ExtraRoute("/wrong", (Operation("GET", wrong, RouteDoc(response=Page)),)),
        ExtraRoute("/document", (Operation("POST", document, RouteDoc(body_media_types=("image/png",), response=Page)),)),
    )


async def _client_calls(*calls: tuple[str, str, dict[str, Any]]) -> list[httpx.Response]:
    holder = RuntimeHolder(lambda: Settings(max_body_bytes=64))
    app = Starlette(routes=FunctionApp(_Probe, holder).routes)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe.test") as client:
        try:
            return [await client.request(method, url, **kwargs) for method, url, kwargs in calls]
        finally:
            await holder.aclose()


async def test_body_and_query_are_validated_against_the_route_doc() -> None:
    ok, bad_query, bad_body, too_large = await _client_calls(
        ("POST", "/echo?n=3", {"json": {"n": 2}}),
        ("POST", "/echo?n=many", {"json": {"n": 2}}),
        ("POST", "/echo?n=3", {"json": {"n": "two"}}),
        ("POST", "/echo?n=3", {"json": {"n": 2, "pad": "x" * 100}}),
    )
    assert ok.json() == {"n": 6}
    assert (bad_query.status_code, bad_query.json()["errors"][0]["path"]) == (422, "n")
    assert "query" in bad_query.json()["detail"]
    assert (bad_body.status_code, bad_body.json()["errors"][0]["path"]) == (422, "n")
    assert too_large.status_code == 413


async def test_an_answer_other_than_the_declared_response_is_a_logged_500() -> None:
    (response,) = await _client_calls(("GET", "/wrong", {}))
    assert response.status_code == 500


async def test_a_document_route_takes_its_media_types_only() -> None:
    png, text = await _client_calls(
        ("POST", "/document", {"content": b"\x89PNG", "headers": {"content-type": "image/png"}}),
        ("POST", "/document", {"content": b"hi", "headers": {"content-type": "text/plain"}}),
    )
    assert png.json() == {"n": 4}
    assert text.status_code == 400 and "image/png" in text.json()["detail"]
