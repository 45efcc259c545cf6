"""What served tokens earn: theoretical (every token at list price) and realised.

DeepSeek's $562,027 a day is theoretical: every token at R1's list prices. DeepSeek itself says
actual revenue is far lower, because web and app use is free, V3 is priced below R1 and the night
discount applies. Realised revenue models exactly those three: a billable fraction per model, the
model's own list prices, and the price window in force. Both are reported so that a margin is
never mistaken for the other kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from tokenfleet.api import pricing_plan
from tokenfleet.economics import pricing, tokens

MILLION = Decimal(1_000_000)
MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Revenue:
    """Money earned by some tokens, in the plan's currency."""

    theoretical: Decimal = Decimal(0)
    """Every token at the model's list price, billed or not, outside any window."""
    realised: Decimal = Decimal(0)
    """Billed tokens (billable fraction) at the prices in force."""

    def __add__(self, other: Revenue) -> Revenue:
        if not isinstance(other, Revenue):
            return NotImplemented
        return Revenue(self.theoretical + other.theoretical, self.realised + other.realised)


def charge(prices: pricing_plan.TokenPrices, counts: tokens.TokenCounts) -> Decimal:
    """`counts` at `prices` (per million tokens of each class)."""
    return (
        counts.input_cache_hit * prices.input_cache_hit
        + counts.input_cache_miss * prices.input_cache_miss
        + counts.output * prices.output
    ) / MILLION


def revenue(
    plan: pricing_plan.PricingPlanSpec, model: str, tokens: tokens.TokenCounts, at: dt.datetime
) -> Revenue:
    """What `tokens` of `model`, all served at the aware instant `at`, earn under `plan`."""
    force = pricing.prices_at(plan, model, at)
    return Revenue(
        theoretical=charge(force.list_prices, tokens),
        realised=charge(force.prices, tokens) * force.billable_fraction,
    )


def revenue_between(
    plan: pricing_plan.PricingPlanSpec,
    model: str,
    counts: tokens.TokenCounts,
    start: dt.datetime,
    end: dt.datetime,
) -> Revenue:
    """What `counts`, served evenly over [`start`, `end`), earn when prices change inside it.

    A simulator row or a scrape interval can straddle a window edge; each span of constant
    prices gets its share of the tokens by duration (as money, so no token is rounded away).
    """
    if end <= start:
        raise ValueError(f"interval must end after it starts: {start} .. {end}")
    # Weigh each span's money by its length in microseconds (exact integers) and divide once,
    # so a constant price over the whole interval gives back exactly `revenue(...)`.
    theoretical, realised = Decimal(0), Decimal(0)
    for opened, closed, force in pricing.segments(plan, model, start, end):
        length = (closed - opened) // MICROSECOND
        theoretical += charge(force.list_prices, counts) * length
        realised += charge(force.prices, counts) * force.billable_fraction * length
    whole = (end - start) // MICROSECOND
    return Revenue(theoretical=theoretical / whole, realised=realised / whole)
