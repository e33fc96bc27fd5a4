"""The bare functions-framework function the cold start of each localfn function is compared with.

    functions-framework --asgi --target hello --source bench/perf/hello/main.py

It imports nothing but functions-framework and answers every request with a fixed text.
"""

import functions_framework.aio


@functions_framework.aio.http
async def hello(request: object) -> str:
    return "hello"
