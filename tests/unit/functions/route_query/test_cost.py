"""route-query's cost arithmetic: tokens times prices, and the saving against the cloud alone."""

from __future__ import annotations

import pytest

from localfn.functions.route_query.cost import Price, Prices, Spend, Usage
from localfn.settings import Settings

PRICES = Prices(local=Price(1.0, 2.0), cloud=Price(10.0, 30.0))  # USD per million tokens


def test_a_price_is_per_million_tokens_with_separate_input_and_output_rates() -> None:
    assert Price(0.15, 0.60).of(Usage(prompt=1_000_000)) == pytest.approx(0.15)
    assert Price(0.15, 0.60).of(Usage(completion=1_000_000)) == pytest.approx(0.60)
    assert Price(10.0, 30.0).of(Usage(prompt=200, completion=50)) == pytest.approx((200 * 10 + 50 * 30) / 1e6)
    assert Price(0.0, 0.0).of(Usage(10**9, 10**9)) == 0.0


def test_a_local_answer_saves_what_the_cloud_would_have_charged_for_the_same_tokens() -> None:
    usage = Usage(prompt=120, completion=40)
    spend = Spend(local=usage, cloud=Usage(), cloud_only=usage)
    assert PRICES.cost(spend) == pytest.approx((120 * 1 + 40 * 2) / 1e6)
    assert PRICES.cloud_only(spend) == pytest.approx((120 * 10 + 40 * 30) / 1e6)
    assert PRICES.saving(spend) == pytest.approx((120 * 9 + 40 * 28) / 1e6)


def test_a_cloud_answer_saves_nothing() -> None:
    usage = Usage(prompt=500, completion=100)
    assert PRICES.saving(Spend(local=Usage(), cloud=usage, cloud_only=usage)) == 0.0


def test_a_hybrid_answer_saves_the_context_compression_removed_less_the_compression() -> None:
    # summarize read 2000 tokens and wrote 300; the cloud then read 400 (300 + query) and wrote 100.
    compression = Usage(prompt=2000, completion=300)
    spend = Spend(local=compression, cloud=Usage(400, 100), cloud_only=Usage(400 + 1700, 100))
    assert PRICES.cost(spend) == pytest.approx((2000 * 1 + 300 * 2 + 400 * 10 + 100 * 30) / 1e6)
    assert PRICES.saving(spend) == pytest.approx((1700 * 10 - 2000 * 1 - 300 * 2) / 1e6)


def test_a_local_side_priced_above_the_cloud_is_a_negative_saving() -> None:
    usage = Usage(prompt=100, completion=100)
    dear_local = Prices(local=Price(50.0, 50.0), cloud=Price(1.0, 1.0))
    assert dear_local.saving(Spend(local=usage, cloud=Usage(), cloud_only=usage)) < 0


def test_a_cached_answer_costs_nothing_and_saves_the_whole_cloud_price() -> None:
    spend = Spend(local=Usage(), cloud=Usage(), cloud_only=Usage(100, 20))
    assert PRICES.cost(spend) == 0.0
    assert PRICES.saving(spend) == pytest.approx((100 * 10 + 20 * 30) / 1e6)


def test_usage_adds_up_and_prices_come_from_settings() -> None:
    assert Usage(1, 2) + Usage(10, 20) == Usage(11, 22)
    settings = Settings(
        cloud={"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
        route_query={"local_input_usd_per_mtok": 0.1, "local_output_usd_per_mtok": 0.2},
    )
    assert Prices.from_settings(settings) == Prices(local=Price(0.1, 0.2), cloud=Price(3, 15))
