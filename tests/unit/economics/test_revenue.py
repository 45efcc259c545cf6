"""Revenue: theoretical (every token at list price) against realised (billed, at prices in force).

Covered: each token class at its own price; the billable fraction and the window discount apply
to realised revenue only; a model's own prices; revenue over an interval that straddles a
window edge is split by time; a day of R1 tokens under the night discount realises 75%.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokenfleet.economics import revenue, tokens

from . import plans

MILLION = 1_000_000


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (tokens.TokenCounts(input_cache_hit=MILLION), Decimal("0.14")),
        (tokens.TokenCounts(input_cache_miss=MILLION), Decimal("0.55")),
        (tokens.TokenCounts(output=MILLION), Decimal("2.19")),
        (tokens.TokenCounts(1, 1, 1), Decimal("0.00000288")),
        (tokens.TokenCounts(), Decimal(0)),
    ],
)
def test_each_token_class_is_charged_its_own_price_per_million(
    counts: tokens.TokenCounts, expected: Decimal
) -> None:
    assert revenue.charge(plans.prices(plans.R1), counts) == expected


def test_realised_revenue_counts_only_billed_tokens_at_the_discounted_price() -> None:
    plan = plans.plan(
        prices=plans.V3,
        models=[{"model": plans.REASONER, "prices": plans.R1, "billableFraction": 0.1}],
        windows=[
            {"name": "night", "start": "16:30", "end": "00:30", "percentOff": 75},
        ],
    )
    counts = tokens.TokenCounts(output=1_000 * MILLION)
    day = revenue.revenue(plan, plans.REASONER, counts, plans.utc("2025-03-03T12:00:00"))
    night = revenue.revenue(plan, plans.REASONER, counts, plans.utc("2025-03-03T20:00:00"))
    assert day == revenue.Revenue(theoretical=Decimal(2190), realised=Decimal(219))
    assert night == revenue.Revenue(theoretical=Decimal(2190), realised=Decimal("54.75"))
    other = revenue.revenue(plan, plans.CHAT, counts, plans.utc("2025-03-03T12:00:00"))
    assert other == revenue.Revenue(theoretical=Decimal(1100), realised=Decimal(1100))


def test_revenue_over_an_interval_across_a_window_edge_is_split_by_time() -> None:
    counts = tokens.TokenCounts(input_cache_miss=600 * MILLION, output=300 * MILLION)
    earned = revenue.revenue_between(
        plans.night_discount(),
        plans.REASONER,
        counts,
        plans.utc("2025-03-03T16:00:00"),
        plans.utc("2025-03-03T17:00:00"),
    )
    theoretical = revenue.charge(plans.prices(plans.R1), counts)  # 330 + 657
    assert earned.theoretical == theoretical == Decimal(987)
    # half an hour at list price, half an hour at 25% of it
    assert earned.realised == theoretical * (Decimal("0.5") + Decimal("0.125"))


def test_a_day_of_r1_tokens_under_the_night_discount_realises_three_quarters() -> None:
    # DeepSeek's statistics day, 12:00 to 12:00 Beijing time: 8 of its 24 hours at 25% of list.
    day = tokens.TokenCounts(342 * 10**9, 266 * 10**9, 168 * 10**9)
    earned = revenue.revenue_between(
        plans.night_discount(),
        plans.REASONER,
        day,
        plans.utc("2025-02-27T04:00:00"),
        plans.utc("2025-02-28T04:00:00"),
    )
    assert earned.theoretical == Decimal(562_100)
    assert earned.realised == Decimal(562_100) * Decimal("0.75")


def test_an_empty_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after"):
        revenue.revenue_between(
            plans.night_discount(),
            plans.CHAT,
            tokens.TokenCounts(output=1),
            plans.utc("2025-03-03T16:00:00"),
            plans.utc("2025-03-03T16:00:00"),
        )


def test_revenues_add_up_by_kind() -> None:
    total = revenue.Revenue(Decimal(3), Decimal(1)) + revenue.Revenue(Decimal(4), Decimal(2))
    assert total == revenue.Revenue(theoretical=Decimal(7), realised=Decimal(3))
