"""Dead-letter sink of the localfn chart: log every undeliverable CloudEvent.

Knative sends an event here once a Trigger has used up its retries. Each event is
written to stdout as one JSON line (read them with `kubectl logs`); the 200 reply
tells the broker the event is taken, so nothing loops.
"""

import json
import sys

import functions_framework


@functions_framework.cloud_event
def dead_letter(event):
    record = {"dead_letter": True, "attributes": dict(event.get_attributes())}
    data = event.get_data()
    record["data"] = data if isinstance(data, (dict, list, str, int, float, bool, type(None))) else repr(data)
    print(json.dumps(record, default=str), file=sys.stdout, flush=True)
    return ""
