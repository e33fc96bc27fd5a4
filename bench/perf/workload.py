"""The requests the benchmarks send: summarize calls that always reach the engine, and their direct equivalents.

A context-mode summarize request whose text is over its token budget makes exactly one
engine call (the text fits one chunk), so the function and the engine can be timed on the
same work. ``direct_messages`` renders the very prompt summarize sends, for calling the
engine without the function.
"""

from __future__ import annotations

from typing import Any

from localfn.functions.summarize.capability import _WORDS_PER_TOKEN
from localfn.prompts import load_prompts

__all__ = ["direct_messages", "ollama_chat", "route_request", "summarize_request"]

PARAGRAPH = (
    "Photosynthesis converts light energy into chemical energy stored in glucose. In the light-dependent "
    "reactions, chlorophyll in the thylakoid membranes absorbs photons, splits water and releases oxygen, "
    "producing ATP and NADPH. The Calvin cycle in the stroma then fixes carbon dioxide into sugars using "
    "that ATP and NADPH. Temperature, light intensity and carbon dioxide concentration limit the rate. "
)
BUDGET = 48


def context(n: int, paragraphs: int = 4) -> str:
    """About 1.5 KB of text (over BUDGET tokens), made unique by ``n`` so no cache can answer it."""
    return f"Document {n}. " + PARAGRAPH * paragraphs


def summarize_request(n: int, *, budget: int = BUDGET, paragraphs: int = 4) -> dict[str, Any]:
    return {"mode": "context", "context": context(n, paragraphs), "max_summary_tokens": budget}


def direct_messages(n: int, *, budget: int = BUDGET, paragraphs: int = 4) -> list[dict[str, str]]:
    """The system and user messages summarize sends the engine for ``summarize_request(n)``."""
    prompt = load_prompts("localfn.functions.summarize")["context"]
    words = max(8, int(budget * _WORDS_PER_TOKEN))
    system, user = prompt.render(text=context(n, paragraphs).strip(), words=words, focus="")
    return [{"role": system.role, "content": system.content}, {"role": user.role, "content": user.content}]


def ollama_chat(n: int, *, model: str, budget: int = BUDGET) -> dict[str, Any]:
    """The /api/chat body (streamed, as localfn's Ollama engine asks) for ``summarize_request(n)``."""
    return {
        "model": model,
        "messages": direct_messages(n, budget=budget),
        "stream": True,
        "options": {"temperature": 0.2, "num_predict": budget},
    }


def route_request(n: int) -> dict[str, Any]:
    """A route-query question the classifier finds simple, so the engine answers it locally."""
    return {"query": f"Question {n}: what is the capital of France?"}
