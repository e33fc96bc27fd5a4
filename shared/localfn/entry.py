"""What a function's main.py imports first: ``entrypoint``, with the cyclic garbage collector paused while the function loads.

Loading a function creates a few hundred thousand objects that live as long as the process
(modules, classes, pydantic validators, prompts). On the way, CPython's cyclic collector runs
about 150 times over them and frees nothing: some 35-45 ms of a 300 ms import on two cores,
paid by every cold start (bench/README.md, "cold_start"). So importing this module pauses the
collector, and ``entrypoint`` resumes it once the function exists, after ``gc.freeze()`` has
moved everything loading made out of the collector's sight for good: later collections would
only scan it again, for nothing.

Only main.py files import this module, and each calls ``entrypoint`` right after: nothing else
may import it, or its process would run without the collector until it does.
"""

from __future__ import annotations

import gc

gc.disable()  # before the imports below: they are most of what a function loads

from typing import Any  # noqa: E402

from localfn import app  # noqa: E402
from localfn.capability import Capability  # noqa: E402
from localfn.problems import Endpoint  # noqa: E402

__all__ = ["entrypoint"]


def entrypoint(capability: type[Capability[Any, Any]]) -> Endpoint:
    """The function's target for functions-framework (``app.entrypoint``), then the collector back on."""
    try:
        return app.entrypoint(capability)
    finally:
        gc.freeze()
        gc.enable()
