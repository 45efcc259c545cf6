"""DeepSeek's 2025 night discount as a PricingPlan: 16:30–00:30 UTC, V3 at 50%, R1 at 25%.

Covered: prices on both sides of both edges (the window crosses midnight in UTC), the same
answers from the plan written in Asia/Shanghai (00:30–08:30, not crossing midnight), per-model
windows, the window's effective period and the V3.1 price change that ended it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tokenfleet.economics import pricing

from . import plans

V3_HALF = {"inputCacheHit": "0.035", "inputCacheMiss": "0.135", "output": "0.55"}
# A strict 25% of R1's list: the official table rounds 0.1375 and 0.5475 to V3's discount.
R1_QUARTER = {"inputCacheHit": "0.035", "inputCacheMiss": "0.1375", "output": "0.5475"}

# (instant UTC, model, expected prices, expected open windows)
NIGHT_EDGES = [
    ("2025-03-03T16:29:59", plans.CHAT, plans.V3, ()),
    ("2025-03-03T16:30:00", plans.CHAT, V3_HALF, ("night-v3",)),
    ("2025-03-03T23:59:59", plans.CHAT, V3_HALF, ("night-v3",)),
    ("2025-03-04T00:00:00", plans.CHAT, V3_HALF, ("night-v3",)),
    ("2025-03-04T00:29:59", plans.CHAT, V3_HALF, ("night-v3",)),
    ("2025-03-04T00:30:00", plans.CHAT, plans.V3, ()),
    ("2025-03-03T16:29:59", plans.REASONER, plans.R1, ()),
    ("2025-03-03T16:30:00", plans.REASONER, R1_QUARTER, ("night-r1",)),
    ("2025-03-04T00:29:59", plans.REASONER, R1_QUARTER, ("night-r1",)),
    ("2025-03-04T00:30:00", plans.REASONER, plans.R1, ()),
    # A model the plan does not name pays the default prices and no model-limited window.
    ("2025-03-03T20:00:00", "some-other-model", plans.V3, ()),
]  # fmt: skip


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Shanghai"])
@pytest.mark.parametrize(("at", "model", "expected", "open_windows"), NIGHT_EDGES)
def test_prices_on_both_sides_of_every_edge_in_either_time_zone(
    time_zone: str, at: str, model: str, expected: dict[str, str], open_windows: tuple[str, ...]
) -> None:
    force = pricing.prices_at(plans.night_discount(time_zone), model, plans.utc(at))
    assert force.prices == plans.prices(expected)
    assert force.windows == open_windows


def test_the_plan_reads_the_same_in_utc_and_in_beijing_time_all_week() -> None:
    in_utc, in_beijing = plans.night_discount("UTC"), plans.night_discount("Asia/Shanghai")
    at = plans.utc("2025-03-03T00:00:00")
    while at < plans.utc("2025-03-10T00:00:00"):
        for model in (plans.CHAT, plans.REASONER):
            assert pricing.prices_at(in_utc, model, at) == pricing.prices_at(in_beijing, model, at)
        at += dt.timedelta(minutes=15)


def test_an_instant_in_another_zone_is_the_same_instant() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2025, 3, 4, 8, 29, tzinfo=beijing)  # 00:29 UTC: still discounted
    force = pricing.prices_at(plans.night_discount(), plans.CHAT, at)
    assert force.factor == Decimal("0.5")
    assert force.window == "night-v3"


@pytest.mark.parametrize(
    ("at", "chat_factor", "reasoner_factor"),
    [
        ("2025-02-25T20:00:00", 1, 1),  # before the discount was introduced
        ("2025-02-26T16:29:59", 1, 1),
        ("2025-02-26T16:30:00", Decimal("0.5"), Decimal("0.25")),  # its first night
        ("2025-09-05T15:59:59", 1, 1),  # standard hours of the last day
        ("2025-09-04T23:00:00", Decimal("0.5"), Decimal("0.25")),  # its last full night
    ],
)
def test_the_discount_applies_only_in_its_effective_period(
    at: str, chat_factor: Decimal, reasoner_factor: Decimal
) -> None:
    plan = plans.night_discount()
    assert pricing.prices_at(plan, plans.CHAT, plans.utc(at)).factor == chat_factor
    assert pricing.prices_at(plan, plans.REASONER, plans.utc(at)).factor == reasoner_factor


@pytest.mark.parametrize("model", [plans.CHAT, plans.REASONER])
def test_from_september_5th_both_models_pay_v3_1_prices_day_and_night(model: str) -> None:
    plan = plans.night_discount()
    for at in ("2025-09-05T16:00:00", "2025-09-05T17:00:00", "2025-09-06T00:00:00"):
        force = pricing.prices_at(plan, model, plans.utc(at))
        assert force.list_prices == plans.prices(plans.V3_1)
        assert force.prices == plans.prices(plans.V3_1)
        assert force.windows == ()
    before = pricing.prices_at(plan, model, plans.utc("2025-09-05T15:59:59"))
    assert before.list_prices != plans.prices(plans.V3_1)
