"""The dead-letter logger (charts/localfn/files/dead_letter.py) as its container runs it:
functions-framework's app built from the rendered args, called in-process with
real CloudEvents from the SDK and with the probes the chart renders for it."""

from __future__ import annotations

import json

import flask.testing
import functions_framework
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from tests.chart import eventing, objects, rendering

SOURCE = rendering.CHART / "files" / "dead_letter.py"


@pytest.fixture(params=["default", "deployment-eventing"])
def logger(request: pytest.FixtureRequest, helm: str) -> dict:
    return objects.main_container(eventing.dead_letter_logger(rendering.render_scenario(request.param)))


@pytest.fixture
def client(logger: dict) -> flask.testing.FlaskClient:
    """The app the container's args ask functions-framework for, with the source the ConfigMap carries."""
    app = functions_framework.create_app(
        target=objects.flag_value(logger["args"], "target"),
        source=str(SOURCE),
        signature_type=objects.flag_value(logger["args"], "signature-type"),
    )
    return app.test_client()


def _event() -> CloudEvent:
    return CloudEvent(
        {"type": "io.localfn.summarize.request", "source": "/tests/dead-letter", "id": "dl-1"},
        {"text": "undeliverable"},
    )


def test_the_rendered_probes_are_answered(logger: dict, client: flask.testing.FlaskClient) -> None:
    for kind in ("readinessProbe", "livenessProbe"):
        path = logger[kind]["httpGet"]["path"]
        assert client.get(path).status_code == 200, f"{kind} {path}"


@pytest.mark.parametrize("encode", [to_binary, to_structured], ids=["binary", "structured"])
def test_a_dead_letter_is_logged_as_one_json_line(client: flask.testing.FlaskClient, capsys: pytest.CaptureFixture[str], encode) -> None:
    headers, body = encode(_event())
    reply = client.post("/", headers=headers, data=body)
    assert reply.status_code == 200
    (line,) = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert record["dead_letter"] is True
    assert record["attributes"]["id"] == "dl-1"
    assert record["attributes"]["type"] == "io.localfn.summarize.request"
    assert record["data"] == {"text": "undeliverable"}


def test_a_body_that_is_not_a_cloudevent_is_refused_and_not_logged(
    client: flask.testing.FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = client.post("/", headers={"Content-Type": "application/json"}, data=b'{"text": "no attributes"}')
    assert reply.status_code == 400
    assert "not a CloudEvent" in reply.get_data(as_text=True)
    assert capsys.readouterr().out == ""
