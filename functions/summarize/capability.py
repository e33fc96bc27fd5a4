"""summarize: fit a long context or an old conversation into a token budget.

The budget holds by construction: the engine is told to stop at ``max_summary_tokens``
(counted by the model's own tokenizer as it generates), and the result is counted again
and cut at sentence ends if it still does not fit (``localfn.sentences.cut``: a sentence
said twice keeps one copy, a cut falls at a sentence end, else a word end). Inputs longer than
``LOCALFN_SUMMARIZE__CHUNK_TOKENS`` are summarised chunk by chunk, then the partial
summaries are merged (map-reduce), so no single call outgrows the model's context.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from localfn import limits
from localfn.capability import Capability
from localfn.engine.base import ChatResult
from localfn.functions.summarize.chunks import split_text
from localfn.functions.summarize.models import ChatTurn, SummarizeRequest, SummarizeResponse
from localfn.limits import Limit
from localfn.prompts import Prompt, load_prompts
from localfn.runtime import Runtime
from localfn.sentences import reply_text
from localfn.tasks import gather_or_cancel
from localfn.tokens import TokenCounter, TokenMethod

__all__ = ["Summarize"]

# Models overshoot a word limit; asking for fewer words than the budget allows leaves room.
_WORDS_PER_TOKEN = 0.6


@dataclass
class _Draft:
    text: str
    passes: int
    last: ChatResult


class Summarize(Capability[SummarizeRequest, SummarizeResponse]):
    name = "summarize"
    summary = "Compress RAG context or a conversation history to a token budget."
    request_model = SummarizeRequest
    response_model = SummarizeResponse

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._prompts: dict[str, Prompt] = load_prompts("localfn.functions.summarize")

    async def run(self, request: SummarizeRequest) -> SummarizeResponse:
        self._check_size(request)
        if request.mode == "context":
            return await self._context(request)
        return await self._conversation(request)

    async def _context(self, request: SummarizeRequest) -> SummarizeResponse:
        counter = TokenCounter(self.runtime.pool)
        text = request.context_text()
        before = await counter.count(text)
        if before <= request.max_summary_tokens:
            # Already fits: hand it back without spending a model call.
            return _response(request, text, before, before, counter.method, messages=None, draft=None)
        focus = f"\nKeep above all what helps answer this question: {request.focus}" if request.focus else ""
        draft = await self._summarize(self._prompts["context"], text, request.max_summary_tokens, focus=focus, ratio=len(text) / before)
        summary, after = await counter.fit(draft.text, request.max_summary_tokens)
        return _response(request, summary, before, after, counter.method, messages=None, draft=draft)

    async def _conversation(self, request: SummarizeRequest) -> SummarizeResponse:
        messages = request.messages or []
        split = max(len(messages) - request.keep_last, 0)
        older, kept = messages[:split], messages[split:]
        # Leading system turns are instructions, not history: they stay verbatim.
        leading = [turn for turn in older if turn.role == "system"]
        transcript = "\n".join(f"{turn.role}: {turn.content}" for turn in older if turn.role != "system")
        counter = TokenCounter(self.runtime.pool)
        before = await counter.count(transcript) if transcript else 0
        if before <= request.max_summary_tokens:
            return _response(request, "", before, 0, counter.method, messages=list(messages), draft=None)
        ratio = len(transcript) / before
        draft = await self._summarize(self._prompts["conversation"], transcript, request.max_summary_tokens, focus="", ratio=ratio)
        summary, after = await counter.fit(draft.text, request.max_summary_tokens)
        turn = ChatTurn(role="system", content=f"Summary of the earlier conversation: {summary}")
        return _response(request, summary, before, after, counter.method, messages=[*leading, turn, *kept], draft=draft)

    async def _summarize(self, prompt: Prompt, text: str, budget: int, *, focus: str, ratio: float) -> _Draft:
        """One call when the text fits a chunk; otherwise map-reduce: each chunk, then merge the partials.

        ``ratio`` is the characters per token measured on the input, so chunks are sized in
        the engine's own tokens rather than by a guess.
        """
        chunk_tokens = self.runtime.settings.summarize.chunk_tokens
        chunks = split_text(text, chunk_tokens, ratio)
        if len(chunks) == 1:
            return await self._call(prompt, budget, text=text, focus=focus)
        # Each partial gets an equal share of one chunk, so merging them fits a single call.
        share = max(64, min(budget, chunk_tokens // len(chunks)))
        # The bound is per request (LOCALFN_SUMMARIZE__PARALLEL_CHUNKS), so concurrent requests still fill the engine's slots.
        limit = asyncio.Semaphore(self.runtime.settings.summarize.parallel_chunks)

        async def bounded(chunk: str) -> _Draft:
            async with limit:
                return await self._call(prompt, share, text=chunk, focus=focus)

        parts = await gather_or_cancel(*(bounded(chunk) for chunk in chunks))
        merged = "\n\n".join(part.text for part in parts)
        passes = sum(part.passes for part in parts)
        final = await self._summarize(self._prompts["merge"], merged, budget, focus=focus, ratio=ratio)
        return _Draft(final.text, passes + final.passes, final.last)

    async def _call(self, prompt: Prompt, budget: int, *, text: str, focus: str) -> _Draft:
        values = {"text": text, "words": max(8, int(budget * _WORDS_PER_TOKEN)), "focus": focus}
        system, user = prompt.render(**{name: values[name] for name in prompt.variables})
        result = await self.runtime.pool.chat(self.runtime.chat_request((system, user), max_tokens=budget))
        # Repeated sentences go; a reply stopped at the budget ends on its last finished sentence.
        return _Draft(reply_text(result), 1, result)

    def _check_size(self, request: SummarizeRequest) -> None:
        size = len(request.context_text()) + sum(len(turn.content) for turn in request.messages or [])
        limit = self.runtime.settings.summarize.max_input_chars
        path = "context" if request.mode == "context" else "messages"
        limits.check(Limit(path, size, limit, "LOCALFN_SUMMARIZE__MAX_INPUT_CHARS"), advice="send less, or summarise it in parts")


def _response(
    request: SummarizeRequest,
    summary: str,
    before: int,
    after: int,
    method: TokenMethod,
    *,
    messages: list[ChatTurn] | None,
    draft: _Draft | None,
) -> SummarizeResponse:
    """The answer; ``draft`` is None when the input already fitted and no model was called."""
    return SummarizeResponse(
        mode=request.mode,
        summary=summary,
        messages=messages,
        tokens_before=before,
        tokens_after=after,
        max_summary_tokens=request.max_summary_tokens,
        token_count=method,
        compressed=draft is not None,
        passes=draft.passes if draft else 0,
        model=draft.last.model if draft else None,
        backend=draft.last.backend if draft else None,
    )
