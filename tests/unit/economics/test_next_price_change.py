"""When the prices in force next change: what the PricingPlan controller requeues itself for.

Covered: every edge of both DeepSeek schemes, from just before, at and just after it; the plan
written in Asia/Shanghai; effective dates as changes; a weekday-limited window over a weekend
and the horizon; a change of open windows at an unchanged price; plans that never change; and
that `segments` splits an interval exactly there.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet.economics import pricing

from . import plans

SECOND = dt.timedelta(seconds=1)


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Shanghai"])
@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2025-03-03T12:00:00", "2025-03-03T16:30:00"),
        ("2025-03-03T16:29:59", "2025-03-03T16:30:00"),
        ("2025-03-03T16:30:00", "2025-03-04T00:30:00"),  # across midnight UTC
        ("2025-03-04T00:29:59", "2025-03-04T00:30:00"),
        ("2025-03-04T00:30:00", "2025-03-04T16:30:00"),
        ("2025-02-26T10:00:00", "2025-02-26T16:30:00"),  # the first night
        ("2025-09-05T10:00:00", "2025-09-05T16:00:00"),  # V3.1 prices, and no more discount
    ],
)
def test_the_night_discount_changes_at_its_edges(time_zone: str, at: str, expected: str) -> None:
    plan = plans.night_discount(time_zone)
    assert pricing.next_change(plan, plans.utc(at)) == plans.utc(expected)


def test_after_the_last_price_change_nothing_changes_any_more() -> None:
    assert pricing.next_change(plans.night_discount(), plans.utc("2025-09-05T16:00:00")) is None


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-09-01T00:00:00", "2026-09-01T01:00:00"),
        ("2026-09-01T01:00:00", "2026-09-01T04:00:00"),
        ("2026-09-01T04:00:00", "2026-09-01T06:00:00"),
        ("2026-09-01T06:00:00", "2026-09-01T10:00:00"),
        ("2026-09-01T10:00:00", "2026-09-02T01:00:00"),
        ("2026-08-16T12:00:00", "2026-08-16T16:00:00"),  # the scheme's start
    ],
)
def test_peak_billing_changes_at_each_of_its_four_daily_edges(at: str, expected: str) -> None:
    assert pricing.next_change(plans.peak_off_peak(), plans.utc(at)) == plans.utc(expected)


def test_weekday_peaks_skip_the_weekend_and_the_horizon_bounds_the_search() -> None:
    plan = plans.peak_surcharge(["Mon", "Tue", "Wed", "Thu", "Fri"])
    friday_evening = plans.utc("2026-09-04T10:00:00")
    assert pricing.next_change(plan, friday_evening) == plans.utc("2026-09-07T01:00:00")
    assert pricing.next_change(plan, friday_evening, horizon=dt.timedelta(days=1)) is None


def test_a_window_opening_at_an_unchanged_price_is_still_a_change() -> None:
    plan = plans.plan(
        prices=plans.V3,
        windows=[
            {"name": "a", "start": "10:00", "end": "14:00", "multiplier": "0.5"},
            {"name": "b", "start": "12:00", "end": "16:00", "multiplier": "0.5"},
        ],
    )
    # the status names the open windows, so it must be refreshed when b opens
    assert pricing.next_change(plan, plans.utc("2025-01-06T11:00:00")) == plans.utc(
        "2025-01-06T12:00:00"
    )


def test_a_plan_without_windows_or_dates_never_changes() -> None:
    plan = plans.plan(prices=plans.V3, models=[{"model": "m", "prices": plans.R1}])
    assert pricing.next_change(plan, plans.utc("2025-01-06T00:00:00")) is None


def test_the_prices_just_before_a_change_are_those_at_the_asking_instant() -> None:
    plan, at = plans.peak_off_peak(), plans.utc("2026-09-01T02:30:00")
    change = pricing.next_change(plan, at)
    assert change is not None
    assert pricing.prices_at(plan, plans.PRO, change - SECOND) == pricing.prices_at(
        plan, plans.PRO, at
    )
    assert pricing.prices_at(plan, plans.PRO, change) != pricing.prices_at(plan, plans.PRO, at)


def test_segments_split_an_interval_at_the_changes_for_one_model() -> None:
    spans = list(
        pricing.segments(
            plans.night_discount(),
            plans.REASONER,
            plans.utc("2025-03-03T12:00:00"),
            plans.utc("2025-03-04T12:00:00"),
        )
    )
    assert [(start.hour, start.minute, end.hour, end.minute) for start, end, _ in spans] == [
        (12, 0, 16, 30),
        (16, 30, 0, 30),
        (0, 30, 12, 0),
    ]
    assert [force.window for _, _, force in spans] == [None, "night-r1", None]
