"""route-query's request, response and statistics."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "TIERS",
    "Feature",
    "HistoryMessage",
    "PathStats",
    "Probabilities",
    "RoutePath",
    "RouteQueryRequest",
    "RouteQueryResponse",
    "RouteStats",
    "Scope",
    "Tier",
    "TokenUsage",
    "Tokens",
]

Tier = Literal["simple", "moderate", "complex"]
TIERS: tuple[Tier, ...] = ("simple", "moderate", "complex")  # cheapest first; the decision rule relies on it
RoutePath = Literal["local", "hybrid", "cloud"]
Scope = Literal["installation", "pod"]


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class RouteQueryRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"query": "how do i reset my password"},
                {"query": "Summarise these notes for my exam", "context": ["…chunk 1…", "…chunk 2…"]},
                {"query": "prove sqrt(3) is irrational", "force_tier": "complex"},
            ]
        },
    )

    query: str = Field(description="The user's question or instruction.")
    context: str | list[str] | None = Field(
        default=None, description="Reference material for the answer: one string or a list of RAG chunks."
    )
    history: list[HistoryMessage] | None = Field(default=None, description="The conversation so far, oldest first.")
    force_tier: Tier | None = Field(default=None, description="Skip the classifier's decision (it still reports its probabilities).")

    @field_validator("query")
    @classmethod
    def _query_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the query is empty; send the question to answer")
        return value.strip()

    def context_chunks(self) -> list[str]:
        chunks = [self.context] if isinstance(self.context, str) else (self.context or [])
        return [chunk.strip() for chunk in chunks if chunk.strip()]


class Probabilities(BaseModel):
    """The classifier's probability that each tier is the one the query needs; they sum to 1."""

    simple: float
    moderate: float
    complex: float


class Feature(BaseModel):
    term: str = Field(description="A word or word pair of the query.")
    weight: float = Field(description="How far it pushed the decision towards the chosen tier (log-odds).")


class TokenUsage(BaseModel):
    prompt: int = 0
    completion: int = 0


class Tokens(BaseModel):
    local: TokenUsage = Field(description="Tokens on the local engine: answering, and compressing on the hybrid path.")
    cloud: TokenUsage = Field(description="Tokens on the cloud model.")


class RouteQueryResponse(BaseModel):
    tier: Tier = Field(description="Where the query should be answered: the decision, or force_tier.")
    probabilities: Probabilities
    features: list[Feature] = Field(description="The terms of the query that drove the decision most.")
    reason: str = Field(description="The decision rule as it applied, and any fallback.")
    answer: str
    path: RoutePath = Field(
        description="What answered: 'local' (local engine), 'hybrid' (summarize compressed the context and "
        "history locally, then the cloud model answered), 'cloud' (the cloud model read everything)."
    )
    degraded: bool = Field(description="A moderate or complex query answered locally because the cloud was away.")
    cached: bool = Field(description="A simple query answered from the cache of recent answers.")
    model: str
    backend: str = Field(description="Engine that answered: a local backend's name, or 'cloud'.")
    latency_ms: float
    tokens: Tokens = Field(description="Tokens this request spent (none for a cached answer).")
    estimated_cost_usd: float = Field(description="Those tokens at the configured local and cloud prices.")
    estimated_saving_usd: float = Field(
        description="What sending the whole query to the cloud model would have cost, minus estimated_cost_usd."
    )


class PathStats(BaseModel):
    count: int
    mean_latency_ms: float


class RouteStats(BaseModel):
    """Counts of every pod (the shared store's totals), or of this process since it started (as its /metrics)."""

    scope: Scope = Field(description="'installation': totals over every pod sharing LOCALFN_STATE_URL; 'pod': this process's own counts.")
    scope_reason: str | None = Field(None, description="Why the counts are this pod's own (no store set, or it failed).")
    queries: int
    tiers: dict[Tier, int]
    paths: dict[RoutePath, PathStats]
    degraded: int
    degraded_reasons: dict[str, int] = Field(description="'no-cloud', 'cloud-cooling-down' or the cloud error's slug.")
    cache_hits: int
    tokens: Tokens
    estimated_cost_usd: float
    estimated_cloud_only_cost_usd: float = Field(description="What the same queries would have cost on the cloud model.")
    estimated_saving_usd: float
