"""summarize's request and response."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ChatTurn", "SummarizeRequest", "SummarizeResponse"]


class ChatTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant", "tool"]
    content: str


class SummarizeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"mode": "context", "context": "Photosynthesis converts light ...", "max_summary_tokens": 100},
                {"mode": "conversation", "messages": [{"role": "user", "content": "..."}], "keep_last": 2},
            ]
        },
    )

    mode: Literal["context", "conversation"] = Field(
        description="'context': compress retrieved text; 'conversation': compress older turns of a chat."
    )
    context: str | list[str] | None = Field(
        default=None, description="The text to compress (context mode): one string or a list of RAG chunks."
    )
    messages: list[ChatTurn] | None = Field(default=None, description="The history to compress (conversation mode).")
    keep_last: int = Field(default=2, ge=0, le=100, description="Turns kept verbatim at the end (conversation mode).")
    max_summary_tokens: int = Field(default=200, ge=16, le=4096, description="Token budget of the summary.")
    focus: str | None = Field(default=None, max_length=2000, description="Optional question: keep what helps answer it (context mode).")

    @model_validator(mode="after")
    def _input_matches_mode(self) -> SummarizeRequest:
        if self.mode == "context":
            chunks = [self.context] if isinstance(self.context, str) else (self.context or [])
            if not any(chunk.strip() for chunk in chunks):
                raise ValueError("context mode needs a non-empty 'context' (a string or a list of strings)")
            if self.messages is not None:
                raise ValueError("'messages' belongs to conversation mode; send it with mode 'conversation'")
        else:
            if not self.messages:
                raise ValueError("conversation mode needs a non-empty 'messages' list")
            if self.context is not None:
                raise ValueError("'context' belongs to context mode; send it with mode 'context'")
        return self

    def context_text(self) -> str:
        chunks = [self.context] if isinstance(self.context, str) else (self.context or [])
        return "\n\n".join(chunk.strip() for chunk in chunks if chunk.strip())


class SummarizeResponse(BaseModel):
    mode: Literal["context", "conversation"]
    summary: str = Field(description="The summary; the input itself when it already fitted the budget.")
    messages: list[ChatTurn] | None = Field(
        default=None,
        description="Conversation mode: leading system turns, the summary as a system turn, then the last turns verbatim.",
    )
    tokens_before: int = Field(description="Tokens of the text that was summarised.")
    tokens_after: int = Field(description="Tokens of the summary; never above max_summary_tokens.")
    max_summary_tokens: int
    token_count: Literal["tokenizer", "estimate"] = Field(
        description="'tokenizer': counted by the engine's tokenizer; 'estimate': 1 token per 3.5 characters, "
        "for engines without a tokenize endpoint (Ollama), where the engine still caps generation at the budget."
    )
    compressed: bool = Field(description="False when the input already fitted and was returned unchanged.")
    passes: int = Field(description="Engine calls made: more than one when a long input is summarised in chunks.")
    model: str | None = Field(description="Model that wrote the summary (none when nothing was compressed).")
    backend: str | None = Field(description="Engine that served it.")
