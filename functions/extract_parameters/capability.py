"""extract-parameters: a user message and function schemas in, a schema-true function call out.

With several functions the model first picks one, or none; then it fills that function's
arguments under a schema where every value is optional and nullable, so a value the
message does not give comes back as null instead of invented. The reply is read (nulls
dropped, light normalisation), then judged by the caller's own schema: absent required
values are reported as missing, any other fault goes back to the model to repair, so the
arguments returned always validate.

Unless the request turns grounding off, every value is then checked against the message
(grounding.py): one the message does not support is quoted back to the model once, with
the reason; what is still unsupported is dropped (a required one becomes missing) and
listed in ``ungrounded``. Dates and times are the product's reading of the message's words.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace

from localfn import limits
from localfn.capability import Capability
from localfn.engine.base import ChatRequest, ChatResult, Message
from localfn.errors import StructuredOutputError
from localfn.functions.extract_parameters.arguments import judge
from localfn.functions.extract_parameters.evidence import Evidence
from localfn.functions.extract_parameters.grounding import Finding, Grounded, Mode, ground
from localfn.functions.extract_parameters.models import (
    Call,
    Choice,
    ExtractParametersRequest,
    ExtractParametersResponse,
    FunctionSchema,
    Ungrounded,
)
from localfn.functions.extract_parameters.normalize import read_call
from localfn.functions.extract_parameters.schemas import call_schema, choice_schema
from localfn.limits import Limit
from localfn.prompts import Prompt, load_prompts
from localfn.runtime import Runtime
from localfn.structured import Structured
from localfn.tokens import estimate_tokens

__all__ = ["ExtractParameters", "call_token_cap"]

# Generation caps: a runaway model stops here and is asked again, instead of filling the context.
_CHOICE_TOKENS = 256
_CALL_TOKENS_MIN = 128  # room for a no_call_reason sentence
_CALL_TOKENS_MAX = 1024
_NO_REASON = "the message does not ask for any of the functions"
# Copying the message's words is the task: a repeat penalty (LOCALFN_REPEAT_PENALTY, there to stop
# looping prose) makes the model avoid the very names and values it must copy. At 1.1 SmolLM2 wrote
# "function": null next to arguments it had filled, under some llama.cpp thread counts.
_NO_PENALTY = 1.0


class ExtractParameters(Capability[ExtractParametersRequest, ExtractParametersResponse]):
    name = "extract-parameters"
    summary = "Fill a function call's arguments from a user message and the function's JSON Schema."
    request_model = ExtractParametersRequest
    response_model = ExtractParametersResponse

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._prompts: dict[str, Prompt] = load_prompts("localfn.functions.extract_parameters")

    async def run(self, request: ExtractParametersRequest) -> ExtractParametersResponse:
        functions = request.candidates()
        self._check_size(request, functions)
        function = functions[0]
        if len(functions) > 1:
            choice, result = await self._choose(request.user_message, functions)
            if choice.function is None:
                return _no_call(choice.no_call_reason, result)
            function = next(f for f in functions if f.name == choice.function)
        return await self._call(request, function)

    async def _choose(self, message: str, functions: list[FunctionSchema]) -> tuple[Choice, ChatResult]:
        listing = "\n".join(f"- {f.name}: {f.description or '(no description)'}" for f in functions)
        system, user = self._prompts["choose"].render(functions=listing, message=message)
        request = self.runtime.chat_request((system, user), max_tokens=_CHOICE_TOKENS, repeat_penalty=_NO_PENALTY)
        chosen = await self.runtime.structured(request, Choice, schema=choice_schema([f.name for f in functions]))
        return chosen.value, chosen.last

    async def _call(self, request: ExtractParametersRequest, function: FunctionSchema) -> ExtractParametersResponse:
        parameters = function.parameters
        parameters_json = json.dumps(parameters, ensure_ascii=False)
        system, user = self._prompts["call"].render(
            name=function.name,
            description=function.description or "(no description)",
            parameters=parameters_json,
            message=request.user_message,
        )
        max_tokens = call_token_cap(request.user_message, parameters_json)
        asked = self.runtime.chat_request((system, user), max_tokens=max_tokens, repeat_penalty=_NO_PENALTY)
        evidence, clock, mode = Evidence(request.user_message), request.clock(), request.grounding

        def grounded(call: Call) -> Grounded:
            return ground(call.arguments, parameters, evidence, clock, mode) if mode != "off" else Grounded(call.arguments, [])

        def faults(call: Call) -> list[str]:
            return judge(grounded(call).arguments, parameters).problems if call.function else []

        async def ask(chat: ChatRequest) -> Structured[Call]:
            return await self.runtime.structured(
                chat,
                Call,
                checks=[faults],
                schema=call_schema(function.name, parameters, phrases=mode != "off"),
                prepare=lambda data: read_call(data, parameters),
            )

        called = await ask(asked)
        if called.value.function is None:
            return _no_call(called.value.no_call_reason, called.last)
        result = grounded(called.value)
        if result.dropped(mode):
            called, result = await self._reask(asked, called, result, ask, grounded, mode)
        return ExtractParametersResponse(
            function=called.value.function,
            arguments=result.arguments,
            missing_required=judge(result.arguments, parameters).missing,
            no_call_reason=None,
            ungrounded=[_ungrounded(finding, mode) for finding in result.findings],
            model=called.last.model,
            backend=called.last.backend,
        )

    async def _reask(
        self,
        asked: ChatRequest,
        called: Structured[Call],
        result: Grounded,
        ask: Callable[[ChatRequest], Awaitable[Structured[Call]]],
        grounded: Callable[[Call], Grounded],
        mode: Mode,
    ) -> tuple[Structured[Call], Grounded]:
        """Once, the values the message does not support quoted back with the reasons; the answer is
        grounded in turn. A reply that declines the call or breaks its schema leaves the first one standing."""
        reasons = self._prompts["reground"].render(problems=_listing(result.dropped(mode)))[1]
        again = replace(asked, messages=(*asked.messages, Message("assistant", called.last.content), reasons))
        try:
            second = await ask(again)
        except StructuredOutputError:
            return called, result
        if second.value.function != called.value.function:
            return called, result
        return second, grounded(second.value)

    def _check_size(self, request: ExtractParametersRequest, functions: list[FunctionSchema]) -> None:
        size = len(json.dumps([f.model_dump(mode="json") for f in functions], ensure_ascii=False).encode())
        limit = self.runtime.settings.extract_parameters.max_schema_bytes
        path = "function_schema" if request.function_schema is not None else "functions"
        setting = "LOCALFN_EXTRACT_PARAMETERS__MAX_SCHEMA_BYTES"
        limits.check(Limit(path, size, limit, setting, unit="bytes", counted="as JSON"), advice="send fewer or smaller functions")


def call_token_cap(message: str, parameters_json: str) -> int:
    """The most tokens a call's JSON can need: its names and enum values come from the schema
    (twice over, for quotes, braces and commas), its values from the message (four times over:
    an array of objects repeats its keys for every item the message lists).

    A small model that loops inside its JSON stops there, not at the hard cap, which on a
    135M model on CPU is the difference between seconds and half a minute per failed attempt.
    """
    estimate = 2 * estimate_tokens(parameters_json) + 4 * estimate_tokens(message)
    return max(_CALL_TOKENS_MIN, min(_CALL_TOKENS_MAX, estimate))


def _no_call(reason: str | None, result: ChatResult) -> ExtractParametersResponse:
    return ExtractParametersResponse(
        function=None,
        arguments={},
        missing_required=[],
        no_call_reason=(reason or "").strip() or _NO_REASON,
        model=result.model,
        backend=result.backend,
    )


def _listing(findings: list[Finding]) -> str:
    return "\n".join(f"- {finding.field}: {json.dumps(finding.value, ensure_ascii=False)}: {finding.reason}" for finding in findings)


def _ungrounded(finding: Finding, mode: Mode) -> Ungrounded:
    return Ungrounded(field=finding.field, value=finding.value, reason=finding.reason, kept=finding.kept(mode))
