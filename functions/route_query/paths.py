"""The three ways to answer, one per tier: local, hybrid (summarize locally, then the cloud), cloud.

``Paths.table()`` maps each tier to its path, so the capability dispatches without a chain of
ifs. A cloud path whose cloud is away (not configured, failing, timing out, cooling down)
is answered by the local engine instead and says why: nothing fails only because the cloud
is away.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import cast

from localfn.cache import Memo, Reuse
from localfn.engine.base import ChatRequest, ChatResult, Message, Role
from localfn.errors import EngineError
from localfn.functions.route_query.cloud import CloudModel
from localfn.functions.route_query.cost import Spend, Usage
from localfn.functions.route_query.models import RoutePath, RouteQueryRequest, Tier
from localfn.functions.summarize.capability import Summarize
from localfn.functions.summarize.models import ChatTurn, SummarizeRequest, SummarizeResponse
from localfn.prompts import load_prompts
from localfn.runtime import Runtime
from localfn.sentences import reply_text
from localfn.tasks import gather_or_cancel

__all__ = ["NO_CLOUD", "Answer", "Paths"]

log = logging.getLogger("localfn.route_query")

NO_CLOUD = "no-cloud"  # degraded reason when LOCALFN_CLOUD__URL is not set

# summarize's `focus` is capped at 2000 characters; a long query's start says what it asks.
_FOCUS_CHARS = 2000


@dataclass(frozen=True)
class Answer:
    text: str
    model: str
    backend: str
    path: RoutePath
    spend: Spend
    degraded_reason: str | None = None  # why the local engine answered a cloud tier
    cached: bool = False


@dataclass(frozen=True)
class _Material:
    """What the answering model reads besides the query: context and history, verbatim or compressed."""

    context: str
    history: tuple[Message, ...]
    compressed: bool = False
    removed_tokens: int = 0  # taken out by compression: the cloud alone would have read them
    spent: Usage = field(default_factory=Usage)  # local tokens the compression used


class Paths:
    def __init__(self, runtime: Runtime, cloud: CloudModel | None) -> None:
        self._runtime = runtime
        self._cloud = cloud
        self._prompt = load_prompts("localfn.functions.route_query")["answer"]
        settings = runtime.settings
        self._simple_answers: Memo[ChatResult] = Memo(ttl_s=settings.cache_ttl_s, max_entries=settings.cache_max_entries)

    def table(self) -> dict[Tier, Callable[[RouteQueryRequest], Awaitable[Answer]]]:
        return {"simple": self.local, "moderate": self.hybrid, "complex": self.cloud}

    async def local(self, request: RouteQueryRequest) -> Answer:
        """The local engine answers; the same normalised query (same context, same engines) is answered once."""
        material = _verbatim(request)
        key: Hashable = (_normalise(request.query), material.context, material.history, self._runtime.pool.models())
        chat = self._chat(request.query, material)
        result, reuse = await self._simple_answers.get_or_run(key, lambda: self._runtime.pool.chat(chat))
        cached = reuse is not Reuse.MISS
        if cached:
            metrics = self._runtime.metrics
            metrics.series(metrics.reused, "route-query", reuse.value).inc()
        usage = Usage.of(result)
        spend = Spend(local=Usage() if cached else usage, cloud=Usage(), cloud_only=usage)
        return Answer(reply_text(result), result.model, result.backend, "local", spend, cached=cached)

    async def hybrid(self, request: RouteQueryRequest) -> Answer:
        return await self._cloud_first("hybrid", request, await self._compress(request))

    async def cloud(self, request: RouteQueryRequest) -> Answer:
        return await self._cloud_first("cloud", request, _verbatim(request))

    async def _cloud_first(self, path: RoutePath, request: RouteQueryRequest, material: _Material) -> Answer:
        reason = NO_CLOUD
        if self._cloud is not None:
            try:
                result = await self._cloud.chat(self._chat(request.query, material))
            except EngineError as exc:
                log.warning("the cloud model failed (%s), the local engine answers: %s", exc.slug, exc.detail)
                reason = exc.slug
            else:
                spend = Spend(local=material.spent, cloud=Usage.of(result), cloud_only=_cloud_only(result, material))
                return Answer(reply_text(result), result.model, result.backend, path, spend)
        # The local model's window is smaller than a cloud model's: it reads the context compressed.
        if not material.compressed:
            material = await self._compress(request)
        result = await self._runtime.pool.chat(self._chat(request.query, material))
        spend = Spend(local=material.spent + Usage.of(result), cloud=Usage(), cloud_only=_cloud_only(result, material))
        return Answer(reply_text(result), result.model, result.backend, "local", spend, degraded_reason=reason)

    async def _compress(self, request: RouteQueryRequest) -> _Material:
        """Context and history, each compressed by summarize (in process) to LOCALFN_ROUTE_QUERY__SUMMARY_TOKENS."""
        context, history = await gather_or_cancel(self._summarise_context(request), self._summarise_history(request))
        done = [response for response in (context, history) if response is not None and response.compressed]
        turns = history.messages if history is not None and history.messages is not None else []
        return _Material(
            context=context.summary if context is not None else "",
            # summarize hands back the roles it was given, plus "system" for the summary turn.
            history=tuple(Message(cast(Role, turn.role), turn.content) for turn in turns),
            compressed=True,
            removed_tokens=sum(response.tokens_before - response.tokens_after for response in done),
            # summarize reports what it read and wrote; its prompt's own instructions are not counted.
            spent=sum((Usage(response.tokens_before, response.tokens_after) for response in done), Usage()),
        )

    async def _summarise_context(self, request: RouteQueryRequest) -> SummarizeResponse | None:
        chunks = request.context_chunks()
        if not chunks:
            return None
        summary = SummarizeRequest(
            mode="context",
            context=chunks,
            max_summary_tokens=self._runtime.settings.route_query.summary_tokens,
            focus=request.query[:_FOCUS_CHARS],
        )
        return await self._runtime.capability(Summarize).run(summary)

    async def _summarise_history(self, request: RouteQueryRequest) -> SummarizeResponse | None:
        if not request.history:
            return None
        turns = [ChatTurn(role=message.role, content=message.content) for message in request.history]
        budget = self._runtime.settings.route_query.summary_tokens
        summary = SummarizeRequest(mode="conversation", messages=turns, max_summary_tokens=budget)
        return await self._runtime.capability(Summarize).run(summary)

    def _chat(self, query: str, material: _Material) -> ChatRequest:
        context = f"\n\nReference material (it may be a summary):\n{material.context}" if material.context else ""
        system, user = self._prompt.render(query=query, context=context)
        # Several chat templates take one system message, first: the history's join the prompt's.
        instructions = [system.content, *(turn.content for turn in material.history if turn.role == "system")]
        turns = [turn for turn in material.history if turn.role != "system"]
        messages = (Message("system", "\n\n".join(instructions)), *turns, user)
        return self._runtime.chat_request(messages, max_tokens=self._runtime.settings.route_query.max_answer_tokens)


def _verbatim(request: RouteQueryRequest) -> _Material:
    history = tuple(Message(message.role, message.content) for message in request.history or [])
    return _Material(context="\n\n".join(request.context_chunks()), history=history)


def _cloud_only(result: ChatResult, material: _Material) -> Usage:
    return Usage(result.prompt_tokens + material.removed_tokens, result.completion_tokens)


def _normalise(query: str) -> str:
    """Case, spacing and closing punctuation do not change a simple question."""
    return " ".join(query.casefold().split()).rstrip("?!. ")
