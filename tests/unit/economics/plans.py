"""DeepSeek's two published price schemes written as PricingPlan specs, and instant helpers.

Numbers from REFERENCE.md §2: list prices per million tokens (cache hit / miss / output), the
2025 night discount (16:30–00:30 UTC, V3 at 50% and R1 at 25% of list, until 2025-09-05 16:00
UTC, when both models moved to V3.1 prices) and the 2026 peak/off-peak billing (peak 01:00–04:00
and 06:00–10:00 UTC from 2026-08-16 16:00 UTC, off-peak at half of peak).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tokenfleet.api import pricing_plan

V3 = {"inputCacheHit": "0.07", "inputCacheMiss": "0.27", "output": "1.10"}
R1 = {"inputCacheHit": "0.14", "inputCacheMiss": "0.55", "output": "2.19"}
V3_1 = {"inputCacheHit": "0.07", "inputCacheMiss": "0.56", "output": "1.68"}
V4_PRO = {"inputCacheHit": "0.003625", "inputCacheMiss": "0.435", "output": "0.87"}
V4_PRO_PEAK = {"inputCacheHit": "0.044", "inputCacheMiss": "1.32", "output": "3.96"}
V4_PRO_OFF_PEAK = {"inputCacheHit": "0.022", "inputCacheMiss": "0.66", "output": "1.98"}

CHAT, REASONER, PRO = "deepseek-chat", "deepseek-reasoner", "deepseek-v4-pro"
DISCOUNT_FROM = "2025-02-26T16:30:00Z"
V3_1_FROM = "2025-09-05T16:00:00Z"
PEAK_FROM = "2026-08-16T16:00:00Z"


def utc(text: str) -> dt.datetime:
    """A fixed instant written without offset, read as UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def prices(wire: dict[str, str]) -> pricing_plan.TokenPrices:
    return pricing_plan.TokenPrices.model_validate(wire)


def plan(**wire: Any) -> pricing_plan.PricingPlanSpec:
    """A PricingPlan spec from its camelCase wire form, as a user would apply it."""
    return pricing_plan.PricingPlanSpec.model_validate(wire)


def night_discount(time_zone: str = "UTC") -> pricing_plan.PricingPlanSpec:
    """2025: V3 and R1 list prices, both 16:30–00:30 UTC at a discount, V3.1 prices from Sept 5.

    In Asia/Shanghai the same window reads 00:30–08:30 and no longer crosses midnight.
    """
    start, end = {"UTC": ("16:30", "00:30"), "Asia/Shanghai": ("00:30", "08:30")}[time_zone]
    night = {
        "start": start,
        "end": end,
        "effectiveFrom": DISCOUNT_FROM,
        "effectiveUntil": V3_1_FROM,
    }
    return plan(
        timeZone=time_zone,
        prices=V3,
        models=[
            {"model": CHAT, "prices": V3, "effectiveUntil": V3_1_FROM},
            {"model": REASONER, "prices": R1, "effectiveUntil": V3_1_FROM},
            {"model": CHAT, "prices": V3_1, "effectiveFrom": V3_1_FROM},
            {"model": REASONER, "prices": V3_1, "effectiveFrom": V3_1_FROM},
        ],
        windows=[
            {"name": "night-v3", "models": [CHAT], "multiplier": "0.5", **night},
            {"name": "night-r1", "models": [REASONER], "percentOff": 75, **night},
        ],
    )


def peak_off_peak() -> pricing_plan.PricingPlanSpec:
    """2026: list prices are peak prices; two off-peak windows between the peaks pay half."""
    off_peak = {"name": "off-peak", "multiplier": "0.5", "effectiveFrom": PEAK_FROM}
    return plan(
        prices=V4_PRO,
        models=[
            {"model": PRO, "prices": V4_PRO, "effectiveUntil": PEAK_FROM},
            {"model": PRO, "prices": V4_PRO_PEAK, "effectiveFrom": PEAK_FROM},
        ],
        windows=[
            {"start": "10:00", "end": "01:00", **off_peak},
            {"start": "04:00", "end": "06:00", **off_peak},
        ],
    )


def peak_surcharge(days: list[str] | None = None) -> pricing_plan.PricingPlanSpec:
    """The same 2026 scheme the other way round: off-peak list prices, peak windows pay double.

    `days` limits the peak windows to those days (third parties say weekdays only).
    """
    peak = {"name": "peak", "multiplier": "2", "days": days}
    return plan(
        prices=V4_PRO_OFF_PEAK,
        windows=[
            {"start": "01:00", "end": "04:00", **peak},
            {"start": "06:00", "end": "10:00", **peak},
        ],
    )
