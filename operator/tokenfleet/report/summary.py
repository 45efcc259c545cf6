"""The summary table of a report: what the period cost and earned, per token, and the capacity.

Both sources reduce their data to `Totals` (increases of the exporter's counters over the
period, and a few peaks), and the ratios are worked out here with the cost model
(`economics.unit_economics`), so a report from Prometheus and one from a simulation say the same
thing the same way.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from tokenfleet.economics import tokens, unit_economics
from tokenfleet.metrics import figures


@dataclasses.dataclass(frozen=True)
class Totals:
    """Increases over the period (money in `currency`) and peaks."""

    hours: float
    currency: str
    served: tokens.TokenCounts
    cost_by_role: dict[str, Decimal]
    pool_cost: Decimal
    idle_cost: Decimal
    revenue_realised: Decimal | None
    revenue_theoretical: Decimal | None
    gpu_hours: float
    peak_nodes: float | None
    scale_ups: int
    scale_downs: int

    @property
    def cost(self) -> Decimal:
        return sum(self.cost_by_role.values(), Decimal(0))


def _money(amount: Decimal | None, currency: str) -> str:
    return "-" if amount is None else f"{amount:,.2f} {currency}"


def _per_million(amount: Decimal | None, currency: str) -> str:
    return "-" if amount is None else f"{amount:,.4f} {currency}"


def _ratio(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _count(value: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:,.2f}{suffix}"
    return f"{value:,.0f}"


def rows(totals: Totals) -> tuple[tuple[str, str], ...]:
    """The summary as (what, how much) rows."""
    cur = totals.currency
    cost = totals.cost
    per_million = unit_economics.cost_per_million(
        cost, totals.served, figures.input_share(totals.cost_by_role)
    )
    served = totals.served
    margin_realised = (
        None
        if totals.revenue_realised is None
        else unit_economics.margin(totals.revenue_realised, cost)
    )
    margin_theoretical = (
        None
        if totals.revenue_theoretical is None
        else unit_economics.margin(totals.revenue_theoretical, cost)
    )
    idle_share = totals.idle_cost / totals.pool_cost if totals.pool_cost else None
    return (
        ("Period", f"{totals.hours:,.1f} h"),
        ("Cost of the deployments' nodes", _money(cost, cur)),
        ("Cost of the node pools", _money(totals.pool_cost, cur)),
        ("of which idle", f"{_money(totals.idle_cost, cur)} ({_ratio(idle_share)})"),
        ("Revenue, realised", _money(totals.revenue_realised, cur)),
        ("Revenue, theoretical (list prices)", _money(totals.revenue_theoretical, cur)),
        ("Margin, realised", _ratio(margin_realised)),
        ("Margin, theoretical", _ratio(margin_theoretical)),
        ("Input tokens (cache hits)", f"{_count(served.input)} ({_count(served.input_cache_hit)})"),
        ("Output tokens", _count(served.output)),
        ("Cost per million tokens, blended", _per_million(per_million.blended, cur)),
        ("Cost per million input tokens", _per_million(per_million.input, cur)),
        ("Cost per million output tokens", _per_million(per_million.output, cur)),
        ("GPU-hours", f"{totals.gpu_hours:,.0f}"),
        ("Peak nodes", "-" if totals.peak_nodes is None else f"{totals.peak_nodes:,.0f}"),
        ("Scale decisions up / down", f"{totals.scale_ups} / {totals.scale_downs}"),
    )
