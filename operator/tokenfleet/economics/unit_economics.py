"""Cost per million tokens and margin: the numbers an inference business is run by.

With prefill and decode on separate nodes, input tokens cost what the prefill nodes cost and
output tokens what the decode nodes cost, so a fleet's cost is split between input and output by
the share of node-hours (or of cost) spent on prefill. DeepSeek's day: 42% prefill, so about
$0.060 per million input tokens and $0.30 per million output tokens, $0.112 blended.

The margin is DeepSeek's "cost-profit margin", (revenue - cost) / cost: 5.45 is its 545%.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tokenfleet.economics import cost as cost_model
from tokenfleet.economics import tokens

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class CostPerMillion:
    """Cost per million tokens; None where no token of that kind was served."""

    input: Decimal | None
    output: Decimal | None
    blended: Decimal | None
    """Cost per million tokens of any kind."""


def per_million(amount: Decimal, count: int) -> Decimal | None:
    """`amount` per million of `count` things; None when there are none."""
    return None if count == 0 else amount * MILLION / count


def cost_per_million(
    cost: Decimal, tokens: tokens.TokenCounts, input_share_of_cost: Decimal
) -> CostPerMillion:
    """Split `cost` between input and output tokens by `input_share_of_cost` (0..1), per million.

    With share 0 every dollar is charged to output: DeepSeek's "$0.52 per million output tokens".
    """
    if not 0 <= input_share_of_cost <= 1:
        raise ValueError(f"input share of cost must be within 0..1, got {input_share_of_cost}")
    input_cost = cost * input_share_of_cost
    return CostPerMillion(
        input=per_million(input_cost, tokens.input),
        output=per_million(cost - input_cost, tokens.output),
        blended=per_million(cost, tokens.total),
    )


def input_share(prefill: float | Decimal, decode: float | Decimal) -> Decimal:
    """Prefill's share of node-hours (or cost): the input share of cost under PD disaggregation.

    0.5 when both are zero, so an idle fleet splits its cost evenly instead of failing.
    """
    p, d = cost_model.exact(prefill), cost_model.exact(decode)
    if p < 0 or d < 0:
        raise ValueError(f"node-hours cannot be negative: prefill {prefill}, decode {decode}")
    return Decimal("0.5") if p + d == 0 else p / (p + d)


def margin(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """Cost-profit margin (revenue - cost) / cost; None when nothing was spent."""
    return None if cost == 0 else (revenue - cost) / cost
