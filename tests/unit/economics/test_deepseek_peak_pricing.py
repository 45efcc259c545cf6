"""DeepSeek's 2026 peak/off-peak billing as a PricingPlan: peak 01:00–04:00 and 06:00–10:00 UTC.

Covered: prices on both sides of the four edges, including the off-peak window that crosses
midnight; the start of the scheme on 2026-08-16 16:00 UTC; the same scheme written as peak
surcharge windows over off-peak list prices; and a weekday-limited variant.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet.economics import pricing

from . import plans

PEAK, OFF_PEAK = plans.V4_PRO_PEAK, plans.V4_PRO_OFF_PEAK

EDGES = [
    ("2026-09-01T00:59:59", OFF_PEAK),  # the off-peak window that opened 10:00 yesterday
    ("2026-09-01T01:00:00", PEAK),
    ("2026-09-01T03:59:59", PEAK),
    ("2026-09-01T04:00:00", OFF_PEAK),
    ("2026-09-01T05:59:59", OFF_PEAK),
    ("2026-09-01T06:00:00", PEAK),
    ("2026-09-01T09:59:59", PEAK),
    ("2026-09-01T10:00:00", OFF_PEAK),
    ("2026-09-01T23:59:59", OFF_PEAK),
    ("2026-09-02T00:00:00", OFF_PEAK),
]


@pytest.mark.parametrize(("at", "expected"), EDGES)
def test_peak_and_off_peak_prices_on_both_sides_of_every_edge(
    at: str, expected: dict[str, str]
) -> None:
    force = pricing.prices_at(plans.peak_off_peak(), plans.PRO, plans.utc(at))
    assert force.prices == plans.prices(expected)
    assert force.active_window == ("off-peak" if expected is OFF_PEAK else pricing.LIST)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-08-16T15:59:59", plans.V4_PRO),  # flat V4 prices before the scheme
        ("2026-08-16T16:00:00", OFF_PEAK),  # starts inside an off-peak window
        ("2026-08-17T01:00:00", PEAK),
    ],
)
def test_the_scheme_starts_on_august_16th_at_16_utc(at: str, expected: dict[str, str]) -> None:
    force = pricing.prices_at(plans.peak_off_peak(), plans.PRO, plans.utc(at))
    assert force.prices == plans.prices(expected)


def test_off_peak_discounts_and_peak_surcharges_give_the_same_prices_all_week() -> None:
    discounts, surcharges = plans.peak_off_peak(), plans.peak_surcharge()
    at = plans.utc("2026-08-31T00:00:00")
    while at < plans.utc("2026-09-07T00:00:00"):
        assert (
            pricing.prices_at(discounts, plans.PRO, at).prices
            == pricing.prices_at(surcharges, plans.PRO, at).prices
        ), at
        at += dt.timedelta(minutes=30)


WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-09-04T02:00:00", PEAK),  # Friday
        ("2026-09-05T02:00:00", OFF_PEAK),  # Saturday
        ("2026-09-06T07:00:00", OFF_PEAK),  # Sunday
        ("2026-09-07T00:59:59", OFF_PEAK),  # Monday, before the first peak
        ("2026-09-07T01:00:00", PEAK),
    ],
)
def test_peak_windows_limited_to_weekdays_leave_the_weekend_off_peak(
    at: str, expected: dict[str, str]
) -> None:
    force = pricing.prices_at(plans.peak_surcharge(WEEKDAYS), plans.PRO, plans.utc(at))
    assert force.prices == plans.prices(expected)
