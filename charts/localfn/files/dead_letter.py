"""Dead-letter sink of the localfn chart: log every undeliverable CloudEvent.

Knative sends an event here once a Trigger has used up its retries. Each event is
written to stdout as one JSON line (read them with `kubectl logs`); the 200 reply
tells the broker the event is taken, so nothing loops. A body that is not a
CloudEvent gets 400 and is not logged.

It is an HTTP function (not a `cloud_event` one, which functions-framework
serves for POST only) so that GET can answer the kubelet: the chart gives this
container the functions' readiness and liveness probes, and a GET on any path
answers 200 once the process serves, the only thing the sink waits for.
"""

import json
import sys

import flask
import functions_framework
from cloudevents.exceptions import GenericException
from cloudevents.http import from_http


@functions_framework.http
def dead_letter(request: flask.Request) -> tuple[str, int]:
    if request.method in ("GET", "HEAD"):
        return "", 200
    try:
        event = from_http(request.headers, request.get_data())
    except GenericException as exc:
        return f"not a CloudEvent: {exc}\n", 400
    record = {"dead_letter": True, "attributes": dict(event.get_attributes())}
    data = event.get_data()
    record["data"] = data if isinstance(data, (dict, list, str, int, float, bool, type(None))) else repr(data)
    print(json.dumps(record, default=str), file=sys.stdout, flush=True)
    return "", 200
