"""The capabilities, one package each; installed as ``localfn.functions``.

``FUNCTIONS`` is the one list of them: ``localfn serve``, the benchmarks, the chart's tests
and the packaging test read it. A function named ``generate-badge`` lives in the package
``generate_badge`` (its folder under ``functions/``), whose ``main.py`` exposes the
functions-framework target ``generate_badge`` and whose ``capability.py`` holds its class.
Nothing is imported until ``Function.load`` is called.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localfn.capability import Capability

__all__ = ["FUNCTIONS", "Function"]


@dataclass(frozen=True)
class Function:
    name: str  # its route, event types and Knative Service
    capability: str  # the class in <package>.capability

    @property
    def package(self) -> str:
        """Its folder under functions/, and its FUNCTION_TARGET."""
        return self.name.replace("-", "_")

    def load(self) -> type[Capability[Any, Any]]:
        module = importlib.import_module(f"localfn.functions.{self.package}.capability")
        cls: type[Capability[Any, Any]] = getattr(module, self.capability)
        return cls


FUNCTIONS: dict[str, Function] = {
    function.name: function
    for function in (
        Function("summarize", "Summarize"),
        Function("generate-badge", "GenerateBadge"),
        Function("extract-parameters", "ExtractParameters"),
        Function("analyze-photo", "AnalyzePhoto"),
        Function("route-query", "RouteQuery"),
    )
}
