"""DeepSeek's published inference day (2025-02-27/28), recomputed from its inputs.

REFERENCE.md §1.4–1.5: 226.75 nodes on average of 8 H800 at $2 a GPU-hour cost $87,072; 608B
input tokens (342B cache hits) and 168B output tokens at R1's list prices earn a theoretical
$562,027; the cost-profit margin is 545%. Also the node-hour split (42% prefill) into cost per
million input and output tokens, the step curve of §1.3 priced interval by interval, and the
cost of holding the 278-node peak all day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tokenfleet.api import gpu_node_pool
from tokenfleet.economics import cost, revenue, tokens, unit_economics

from . import plans

BILLION = 10**9
H800 = gpu_node_pool.GPUCost(on_demand_per_gpu_hour=Decimal(2))
DAY = tokens.TokenCounts.of(input=608 * BILLION, cached_input=342 * BILLION, output=168 * BILLION)
STATISTICS_START = plans.utc("2025-02-27T04:00:00")  # 12:00 Beijing time

# Nodes in service through the day from 12:00 Beijing time: (hours, nodes), read off the chart.
STEP_CURVE = [
    (12, 278), (1.25, 218), (0.75, 188), (0.75, 158), (0.25, 128), (0.5, 98), (3, 68),
    (0.5, 98), (0.5, 128), (0.5, 188), (0.5, 218), (3.5, 278),
]  # fmt: skip


def day_cost() -> Decimal:
    return cost.pool_cost(H800, 8, 0, 226.75, 24 * 3600)


def day_revenue() -> revenue.Revenue:
    # Theoretical revenue is at list price whatever the hour: R1's prices, no discount.
    r1_list = plans.plan(prices=plans.R1)
    return revenue.revenue(r1_list, "deepseek-reasoner", DAY, STATISTICS_START)


def test_the_day_costs_87072_dollars() -> None:
    assert day_cost() == Decimal(87_072)


def test_the_step_curve_priced_interval_by_interval_costs_the_same() -> None:
    assert sum(hours for hours, _ in STEP_CURVE) == 24
    total = sum(
        (cost.pool_cost(H800, 8, 0, nodes, hours * 3600) for hours, nodes in STEP_CURVE),
        Decimal(0),
    )
    assert total == Decimal(87_072)


def test_the_theoretical_revenue_is_562027_dollars_give_or_take_rounded_counts() -> None:
    earned = day_revenue()
    # 342B x $0.14 + 266B x $0.55 + 168B x $2.19 = $47,880 + $146,300 + $367,920 = $562,100.
    # DeepSeek counted exact tokens and published them rounded to the billion: half a billion
    # output tokens alone move revenue by $1,095, so $73 above the published $562,027 is within
    # the rounding of the counts, not a different price.
    assert earned.theoretical == Decimal(562_100)
    assert abs(earned.theoretical - Decimal(562_027)) < 100
    assert earned.realised == earned.theoretical  # a plan without windows or free use


def test_the_cost_profit_margin_is_545_percent() -> None:
    published = unit_economics.margin(Decimal(562_027), day_cost())
    recomputed = unit_economics.margin(day_revenue().theoretical, day_cost())
    assert published is not None and recomputed is not None
    assert round(published, 2) == Decimal("5.45")
    assert recomputed == pytest.approx(Decimal("5.4555"), abs=Decimal("0.0001"))


def test_cost_per_million_tokens_split_by_prefill_node_hours() -> None:
    # 7.04M input tok/s over 73.7k per prefill node and 1.94M output tok/s over 14.8k per decode
    # node: 95.5 prefill and 131.4 decode nodes, 42% of the node-hours on prefill.
    prefill = 608 * BILLION / 86_400 / 73_700
    decode = 168 * BILLION / 86_400 / 14_800
    share = unit_economics.input_share(prefill, decode)
    assert round(share, 2) == Decimal("0.42")
    per_million = unit_economics.cost_per_million(day_cost(), DAY, share)
    assert per_million.input is not None and round(per_million.input, 3) == Decimal("0.060")
    assert per_million.output is not None and round(per_million.output, 2) == Decimal("0.30")
    assert per_million.blended is not None and round(per_million.blended, 3) == Decimal("0.112")


def test_every_dollar_on_output_is_52_cents_per_million_output_tokens() -> None:
    per_million = unit_economics.cost_per_million(day_cost(), DAY, Decimal(0))
    assert per_million.output is not None and round(per_million.output, 2) == Decimal("0.52")


def test_holding_the_peak_all_day_would_cost_18_4_percent_more_than_the_step_curve() -> None:
    peak = cost.pool_cost(H800, 8, 0, 278, 24 * 3600)
    assert peak == Decimal(106_752)
    assert round(1 - day_cost() / peak, 3) == Decimal("0.184")


def test_the_statistics_day_starts_at_noon_in_beijing() -> None:
    beijing = STATISTICS_START.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (beijing.date(), beijing.hour) == (dt.date(2025, 2, 27), 12)
