"""The library floor: the bare function plus the libraries every localfn function loads before it answers.

    functions-framework --asgi --target libraries --source bench/perf/hello/libraries.py

No localfn code: a localfn function's start minus this one's is what localfn's own code
costs (settings, routes, engine clients, the first readiness check), apart from the
libraries it cannot start without. It answers every request with a fixed text.
"""

import functions_framework.aio
import httpcore  # noqa: F401  (httpx imports it with its first client, which readiness makes)
import httpx  # noqa: F401
import prometheus_client  # noqa: F401
import pydantic  # noqa: F401
import pydantic_settings  # noqa: F401


@functions_framework.aio.http
async def libraries(request: object) -> str:
    return "libraries"
