"""Cost per million tokens split between input and output, and the cost-profit margin.

Covered: the split by prefill's share of cost; every dollar on output at share 0 and on input at
share 1; None where no token of a kind was served and where nothing was spent; prefill's share
from node-hours; refusing a share outside 0..1.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokenfleet.economics import tokens, unit_economics

MILLION = 1_000_000
COUNTS = tokens.TokenCounts(
    input_cache_hit=1 * MILLION, input_cache_miss=3 * MILLION, output=MILLION
)


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (Decimal("0.4"), unit_economics.CostPerMillion(Decimal(10), Decimal(60), Decimal(20))),
        (Decimal(0), unit_economics.CostPerMillion(Decimal(0), Decimal(100), Decimal(20))),
        (Decimal(1), unit_economics.CostPerMillion(Decimal(25), Decimal(0), Decimal(20))),
    ],
)
def test_cost_is_split_between_input_and_output_by_prefills_share(
    share: Decimal, expected: unit_economics.CostPerMillion
) -> None:
    assert unit_economics.cost_per_million(Decimal(100), COUNTS, share) == expected


def test_a_kind_of_token_not_served_has_no_cost_per_million() -> None:
    got = unit_economics.cost_per_million(
        Decimal(50), tokens.TokenCounts(output=MILLION), Decimal("0.3")
    )
    assert got == unit_economics.CostPerMillion(input=None, output=Decimal(35), blended=Decimal(50))
    nothing = unit_economics.cost_per_million(Decimal(50), tokens.TokenCounts(), Decimal("0.3"))
    assert nothing == unit_economics.CostPerMillion(None, None, None)


@pytest.mark.parametrize("share", [Decimal("-0.1"), Decimal("1.01")])
def test_a_share_outside_zero_to_one_is_refused(share: Decimal) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        unit_economics.cost_per_million(Decimal(1), COUNTS, share)


@pytest.mark.parametrize(
    ("prefill", "decode", "expected"),
    [(1, 3, Decimal("0.25")), (0.5, 0.5, Decimal("0.5")), (0, 0, Decimal("0.5")), (4, 0, 1)],
)
def test_prefills_share_of_node_hours(prefill: float, decode: float, expected: Decimal) -> None:
    assert unit_economics.input_share(prefill, decode) == expected


@pytest.mark.parametrize(
    ("revenue", "cost", "expected"),
    [
        (Decimal(200), Decimal(100), Decimal(1)),
        (Decimal(100), Decimal(100), Decimal(0)),
        (Decimal(0), Decimal(100), Decimal(-1)),
        (Decimal(50), Decimal(0), None),
        (Decimal(0), Decimal(0), None),
    ],
)
def test_margin_is_profit_over_cost_and_undefined_without_cost(
    revenue: Decimal, cost: Decimal, expected: Decimal | None
) -> None:
    assert unit_economics.margin(revenue, cost) == expected
