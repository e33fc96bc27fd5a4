"""localfn.jsonschemas: every validator offline, formats checked only when asked."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import jsonschema_rs
import pytest

from localfn.jsonschemas import validator


@pytest.fixture
def schema_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that serves a schema and logs every path asked of it."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b'{"type": "integer"}'
            self.send_response(200)
            self.send_header("content-type", "application/schema+json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_remote_reference_is_never_fetched(schema_server: tuple[str, list[str]]) -> None:
    url, asked = schema_server
    # The same schema does compile when fetching is allowed: the server is there to be fetched from.
    assert jsonschema_rs.Draft202012Validator({"$ref": f"{url}/n.json"}).is_valid(3)
    assert asked == ["/n.json"]
    with pytest.raises(jsonschema_rs.ValidationError, match="Retrieval is disabled"):
        validator({"$ref": f"{url}/m.json"})
    assert asked == ["/n.json"]


def test_a_local_reference_resolves() -> None:
    checks = validator({"$defs": {"n": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/n"}}})
    assert checks.is_valid({"a": 1})
    assert not checks.is_valid({"a": "1"})


def test_formats_are_assertions_only_when_asked() -> None:
    schema = {"type": "string", "format": "date-time"}
    assert validator(schema).is_valid("2025-13-45T99:99")
    assert not validator(schema, formats=True).is_valid("2025-13-45T99:99")
    assert validator(schema, formats=True).is_valid("2025-11-05T14:30:00Z")


def test_the_draft_is_the_callers() -> None:
    # "dependentRequired" is 2019-09 and later; draft 7 ignores it.
    schema = {"dependentRequired": {"a": ["b"]}}
    assert not validator(schema).is_valid({"a": 1})
    assert validator(schema, draft=jsonschema_rs.Draft7Validator).is_valid({"a": 1})
