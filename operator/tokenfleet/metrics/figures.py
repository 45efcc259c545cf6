"""Cost per million tokens, revenue per million and margin of a deployment over a span.

The arithmetic is the cost model's (`economics.unit_economics`); this module only decides what
goes in. Input tokens carry the prefill role's cost and output tokens the decode role's, as in
DeepSeek's split by node-hours. A unified role does both, and nothing it exports says how its
GPU time divides between them, so its cost is split evenly between input and output. Margins
are only given when cost and revenue are in the same currency.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from tokenfleet.api import inference_deployment
from tokenfleet.economics import revenue, tokens, unit_economics
from tokenfleet.metrics import window

HALF = Decimal("0.5")


@dataclasses.dataclass(frozen=True)
class Figures:
    """A deployment's economics over a span; None where there is nothing to divide by."""

    currency: str
    """Currency of cost (the pool's)."""
    revenue_currency: str | None
    """Currency of revenue (the plan's); None without a plan."""
    served: tokens.TokenCounts
    cost: Decimal
    earned: revenue.Revenue
    cost_per_million: unit_economics.CostPerMillion
    margin_realised: Decimal | None
    margin_theoretical: Decimal | None
    revenue_per_million_realised: Decimal | None
    revenue_per_million_theoretical: Decimal | None

    def to_status(self) -> inference_deployment.Economics:
        """The InferenceDeployment's `status.economics`."""

        def number(value: Decimal | None) -> float | None:
            # Four decimals: cents per million tokens and margin to 0.01%, as people read them.
            return None if value is None else round(float(value), 4)

        return inference_deployment.Economics(
            currency=self.currency,
            cost_per_million_input_tokens=number(self.cost_per_million.input),
            cost_per_million_output_tokens=number(self.cost_per_million.output),
            cost_per_million_tokens=number(self.cost_per_million.blended),
            margin=number(self.margin_realised),
        )


def input_share(cost_by_role: dict[str, Decimal]) -> Decimal:
    """Share of cost borne by input tokens: prefill's cost plus half of a unified role's."""
    unified = cost_by_role.get("unified", Decimal(0)) * HALF
    prefill = cost_by_role.get("prefill", Decimal(0)) + unified
    decode = cost_by_role.get("decode", Decimal(0)) + unified
    return unit_economics.input_share(prefill, decode)


def figures(totals: window.Totals, currency: str, revenue_currency: str | None) -> Figures:
    """The figures of `totals`: cost in `currency`, revenue in `revenue_currency`."""
    cost = totals.cost
    earned = totals.earned
    comparable = revenue_currency == currency
    count = totals.served.total
    return Figures(
        currency=currency,
        revenue_currency=revenue_currency,
        served=totals.served,
        cost=cost,
        earned=earned,
        cost_per_million=unit_economics.cost_per_million(
            cost, totals.served, input_share(totals.cost_by_role)
        ),
        margin_realised=unit_economics.margin(earned.realised, cost) if comparable else None,
        margin_theoretical=unit_economics.margin(earned.theoretical, cost) if comparable else None,
        revenue_per_million_realised=(
            unit_economics.per_million(earned.realised, count) if revenue_currency else None
        ),
        revenue_per_million_theoretical=(
            unit_economics.per_million(earned.theoretical, count) if revenue_currency else None
        ),
    )
