"""Cost arithmetic: tokens times configured prices, and the saving against sending everything to the cloud.

Prices are USD per million tokens, separately for prompt (input) and completion (output)
tokens, as providers price them. The cloud-only baseline of an answer is the cloud price of
the tokens the answering call used, plus the tokens compression removed from its prompt
(the cloud would have read them): counted by the local tokenizer, so an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from localfn.engine.base import ChatResult
from localfn.settings import Settings

__all__ = ["Price", "Prices", "Spend", "Usage", "usd"]

_PER_MILLION = 1_000_000


def usd(amount: float) -> float:
    """An amount as reported: digits below a ten-billionth of a dollar are float noise."""
    return round(amount, 10)


@dataclass(frozen=True)
class Usage:
    prompt: int = 0
    completion: int = 0

    @classmethod
    def of(cls, result: ChatResult) -> Usage:
        return cls(result.prompt_tokens, result.completion_tokens)

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt + other.prompt, self.completion + other.completion)


@dataclass(frozen=True)
class Spend:
    """Tokens one answer used on each side, and what the cloud alone would have used for it."""

    local: Usage
    cloud: Usage
    cloud_only: Usage


@dataclass(frozen=True)
class Price:
    input_usd_per_mtok: float
    output_usd_per_mtok: float

    def of(self, usage: Usage) -> float:
        return (usage.prompt * self.input_usd_per_mtok + usage.completion * self.output_usd_per_mtok) / _PER_MILLION


@dataclass(frozen=True)
class Prices:
    local: Price
    cloud: Price

    @classmethod
    def from_settings(cls, settings: Settings) -> Prices:
        return cls(
            local=Price(settings.route_query.local_input_usd_per_mtok, settings.route_query.local_output_usd_per_mtok),
            cloud=Price(settings.cloud.input_usd_per_mtok, settings.cloud.output_usd_per_mtok),
        )

    def cost(self, spend: Spend) -> float:
        return self.local.of(spend.local) + self.cloud.of(spend.cloud)

    def cloud_only(self, spend: Spend) -> float:
        return self.cloud.of(spend.cloud_only)

    def saving(self, spend: Spend) -> float:
        """Negative when the local side is priced above what the cloud would have charged."""
        return self.cloud_only(spend) - self.cost(spend)
