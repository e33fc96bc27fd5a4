"""The OpenAPI documents: every route a function answers, each described by the models its handler uses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from localfn.capability import Call, Capability, ExtraRoute, Operation, RouteDoc
from localfn.functions.generate_badge.capability import GenerateBadge
from localfn.functions.route_query.capability import RouteQuery
from localfn.openapi import openapi_document
from localfn.serve import load_capabilities
from tests.support.probe import Other, Page, Probe

CAPABILITIES = list(load_capabilities().values())
# Written out, not read from the capabilities: a route dropped from a declaration must fail here.
BADGE_ROUTES = {
    "/": {"post"},
    "/options": {"get"},
    "/regenerate": {"post"},
    "/verify": {"post"},
    "/history": {"get", "delete"},
    "/history/{badge_id}": {"get", "delete"},
    "/image/{badge_id}": {"get"},
    "/{path}/did.json": {"get"},
}
BADGE_ROOT_ROUTES = {
    "/api/v1/generate-badge-suggestions": {"post"},
    "/api/v1/regenerate_badge": {"post"},
    "/api/v1/badge_history": {"get", "delete"},
    "/api/v1/styles": {"get"},
    "/{path}/did.json": {"get"},
}


def template(path: str) -> str:
    """A route's path as OpenAPI writes it: ``{path:path}`` is ``{path}``."""
    return re.sub(r"{(\w+):\w+}", r"{\1}", path)


def methods(document: dict[str, Any]) -> dict[str, set[str]]:
    return {path: set(item) for path, item in document["paths"].items()}


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for item in document["paths"].values() for operation in item.values()]


@pytest.mark.parametrize("capability", CAPABILITIES, ids=lambda cls: cls.name)
def test_each_function_document_is_valid_openapi_3_1(capability: type[Capability[Any, Any]]) -> None:
    document = openapi_document([capability])
    validate(document)
    assert document["openapi"] == "3.1.0"
    ids = [operation["operationId"] for operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_the_merged_document_is_valid_with_unique_operation_ids() -> None:
    document = openapi_document(CAPABILITIES, prefixed=True)
    validate(document)
    ids = [operation["operationId"] for operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_generate_badge_lists_every_extra_route_and_method_but_not_the_root_routes() -> None:
    assert methods(openapi_document([GenerateBadge])) == BADGE_ROUTES


def test_route_query_lists_its_stats() -> None:
    document = openapi_document([RouteQuery])
    assert methods(document) == {"/": {"post"}, "/stats": {"get"}}
    stats = document["paths"]["/stats"]["get"]
    assert stats["operationId"] == "route_query_stats"
    assert stats["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RouteStats"}


def test_serve_lists_root_routes_at_the_root_and_extra_routes_under_the_function() -> None:
    listed = methods(openapi_document(CAPABILITIES, prefixed=True))
    for path, expected in BADGE_ROUTES.items():
        assert listed[f"/generate-badge{path}".rstrip("/")] == expected
    for path, expected in BADGE_ROOT_ROUTES.items():
        assert listed[path] == expected
    assert listed["/route-query/stats"] == {"get"}


def test_every_declared_route_and_method_is_documented() -> None:
    listed = methods(openapi_document(CAPABILITIES, prefixed=True))
    for cls in CAPABILITIES:
        for route in cls.extra_routes:
            assert listed[f"/{cls.name}{template(route.path)}"] == {m.lower() for m in route.methods}, route
        for route in cls.root_routes:
            assert listed[template(route.path)] == {m.lower() for m in route.methods}, route


def test_extra_operations_describe_parameters_bodies_and_answers() -> None:
    paths = openapi_document([GenerateBadge])["paths"]
    history, item, image = paths["/history"], paths["/history/{badge_id}"], paths["/image/{badge_id}"]
    assert history["get"]["summary"].startswith("A page of the stored badges")
    assert [p["name"] for p in history["get"]["parameters"]] == ["limit", "offset"]
    assert [(p["name"], p["in"]) for p in history["delete"]["parameters"]] == [("confirm", "query")]
    assert history["delete"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ClearResult")
    assert item["get"]["parameters"][0] | {"schema": None} == {
        "name": "badge_id",
        "in": "path",
        "required": True,
        "schema": None,
        "description": "The id of a stored badge version; GET /history lists them.",
    }
    assert "content" not in item["delete"]["responses"]["204"]
    assert set(item["delete"]["responses"]) == {"204", "404", "503"}
    assert image["get"]["responses"]["200"]["content"] == {"image/svg+xml": {}, "image/png": {}}  # raw bytes
    image_query = [(p["name"], p["in"], p["schema"]["enum"]) for p in image["get"]["parameters"][1:]]
    assert image_query == [("format", "query", ["svg", "png"])]
    verify = paths["/verify"]["post"]["requestBody"]["content"]
    assert list(verify) == ["application/json", "image/svg+xml", "image/png"]
    assert verify["image/png"] == verify["image/svg+xml"] == {}
    regenerate = paths["/regenerate"]["post"]
    assert regenerate["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RegenerateRequest")
    assert {"400", "404", "413", "422", "502", "503", "504"} == set(regenerate["responses"]) - {"200"}
    for operation in (regenerate, history["get"], item["get"]):
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                assert response["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


class _Probe(Probe):
    async def one(self, call: Call) -> Any:
        """Get one."""


def test_summaries_come_from_the_handler_docstring_and_path_models_must_match_the_path() -> None:
    _Probe.extra_routes = (ExtraRoute("/one/{n}", (Operation("GET", _Probe.one, RouteDoc(path_params=Page, response=Page)),)),)
    operation = openapi_document([_Probe])["paths"]["/one/{n}"]["get"]
    assert (operation["summary"], operation["operationId"]) == ("Get one.", "probe_one")
    assert operation["parameters"][0]["schema"]["type"] == "integer"
    _Probe.extra_routes = (ExtraRoute("/one/{n}", (Operation("GET", _Probe.one, RouteDoc(path_params=Other)),)),)
    with pytest.raises(ValueError, match="path parameters"):
        openapi_document([_Probe])
