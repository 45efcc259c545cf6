"""The prices in force for a model at an instant: how a plan's parts combine.

Covered: the lowest factor wins among open windows and every open window is named; windows
limited to models; model entries with effective dates (newest wins, defaults otherwise);
billable fractions; weekday-limited windows that cross midnight in Asia/Shanghai (`days` is the
day a window starts); the status view for every model; refusing naive instants and unknown zones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tokenfleet.api import pricing_plan
from tokenfleet.economics import pricing

from . import plans

LIST = {"inputCacheHit": "0.1", "inputCacheMiss": "0.4", "output": "2"}


def overlapping() -> pricing_plan.PricingPlanSpec:
    return plans.plan(
        prices=LIST,
        windows=[
            {"name": "evening", "start": "18:00", "end": "23:00", "multiplier": "0.8"},
            {"name": "night", "start": "22:00", "end": "06:00", "percentOff": 50},
            {"name": "late", "start": "22:30", "end": "23:30", "multiplier": "0.5"},
            {"name": "surge", "start": "12:00", "end": "19:00", "multiplier": "1.5"},
        ],
    )


@pytest.mark.parametrize(
    ("at", "factor", "window", "open_windows"),
    [
        ("2025-01-06T11:59:00", Decimal(1), None, ()),
        ("2025-01-06T12:00:00", Decimal("1.5"), "surge", ("surge",)),
        ("2025-01-06T18:30:00", Decimal("0.8"), "evening", ("evening", "surge")),
        ("2025-01-06T22:15:00", Decimal("0.5"), "night", ("evening", "night")),
        # night and late tie at 0.5: the first listed is named the winner
        ("2025-01-06T22:45:00", Decimal("0.5"), "night", ("evening", "night", "late")),
        ("2025-01-07T05:59:00", Decimal("0.5"), "night", ("night",)),
    ],
)
def test_the_lowest_factor_of_the_open_windows_wins_and_all_are_named(
    at: str, factor: Decimal, window: str | None, open_windows: tuple[str, ...]
) -> None:
    force = pricing.prices_at(overlapping(), "m", plans.utc(at))
    assert (force.factor, force.window, force.windows) == (factor, window, open_windows)
    assert force.prices == plans.prices(LIST).scaled(factor)
    assert force.list_prices == plans.prices(LIST)
    assert force.active_window == (",".join(open_windows) or "list")


def test_a_model_entry_in_effect_overrides_the_defaults_and_the_newest_wins() -> None:
    old, new = {"inputCacheHit": "1", "inputCacheMiss": "2", "output": "3"}, LIST
    plan = plans.plan(
        prices={"inputCacheHit": "9", "inputCacheMiss": "9", "output": "9"},
        billableFraction=0.5,
        models=[
            {"model": "m", "prices": old, "billableFraction": 0.2},
            {"model": "m", "prices": new, "effectiveFrom": "2025-06-01T00:00:00+02:00"},
            {"model": "m", "prices": old, "effectiveFrom": "2025-01-01T00:00:00Z"},
            {"model": "gone", "prices": old, "effectiveUntil": "2025-01-01T00:00:00Z"},
        ],
    )
    assert pricing.list_prices_at(plan, "m", plans.utc("2025-05-31T21:59:59")) == (
        plans.prices(old),
        Decimal("1"),
    )
    assert pricing.list_prices_at(plan, "m", plans.utc("2025-05-31T22:00:00")) == (
        plans.prices(new),
        Decimal("1"),
    )
    assert pricing.list_prices_at(plan, "m", plans.utc("2024-12-01T00:00:00")) == (
        plans.prices(old),
        Decimal("0.2"),
    )
    # past its effective period, a model falls back to the plan's prices and billable fraction
    assert pricing.list_prices_at(plan, "gone", plans.utc("2025-01-01T00:00:00")) == (
        plan.prices,
        Decimal("0.5"),
    )


def test_the_billable_fraction_comes_with_the_model_entry() -> None:
    plan = plans.plan(
        prices=LIST,
        billableFraction=0.25,
        models=[{"model": "api-only", "prices": LIST, "billableFraction": 1}],
    )
    at = plans.utc("2025-01-06T00:00:00")
    assert pricing.prices_at(plan, "api-only", at).billable_fraction == 1
    assert pricing.prices_at(plan, "web-and-app", at).billable_fraction == Decimal("0.25")


WEEKEND_NIGHTS = plans.plan(
    timeZone="Asia/Shanghai",
    prices=LIST,
    windows=[
        {
            "name": "weekend-night",
            "start": "22:00",
            "end": "02:00",
            "days": ["Fri", "Sat"],
            "multiplier": "0.5",
        }
    ],
)


@pytest.mark.parametrize(
    ("beijing_time", "is_open"),
    [
        ("2025-01-10T01:00:00", False),  # Friday early: the night began on Thursday
        ("2025-01-10T21:59:59", False),
        ("2025-01-10T22:00:00", True),  # Friday night
        ("2025-01-11T01:59:59", True),  # Saturday early: began on Friday
        ("2025-01-11T02:00:00", False),
        ("2025-01-11T23:00:00", True),  # Saturday night
        ("2025-01-12T01:00:00", True),  # Sunday early: began on Saturday
        ("2025-01-12T22:30:00", False),  # Sunday night is not listed
        ("2025-01-13T01:00:00", False),  # Monday early: began on Sunday
    ],
)
def test_days_name_the_day_a_window_starts_in_the_plans_time_zone(
    beijing_time: str, is_open: bool
) -> None:
    at = dt.datetime.fromisoformat(beijing_time).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    force = pricing.prices_at(WEEKEND_NIGHTS, "m", at.astimezone(dt.UTC))
    assert force.windows == (("weekend-night",) if is_open else ())


def test_prices_by_model_covers_the_default_and_every_named_model() -> None:
    plan = plans.night_discount()
    by_model = pricing.prices_by_model(plan, plans.utc("2025-03-03T20:00:00"))
    assert list(by_model) == ["*", plans.CHAT, plans.REASONER]
    assert by_model["*"].prices == plans.prices(plans.V3)
    assert by_model[plans.CHAT].active_window == "night-v3"
    assert by_model[plans.REASONER].factor == Decimal("0.25")


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2025-03-03T12:00:00", ()),
        ("2025-03-03T20:00:00", ("night-v3", "night-r1")),
        ("2025-09-05T20:00:00", ()),  # past the windows' effective period
    ],
)
def test_open_windows_names_every_window_open_for_any_model(
    at: str, expected: tuple[str, ...]
) -> None:
    assert pricing.open_windows(plans.night_discount(), plans.utc(at)) == expected


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pricing.prices_at(plans.night_discount(), plans.CHAT, dt.datetime(2025, 3, 3, 20))


def test_an_unknown_time_zone_is_a_plan_error_that_names_it() -> None:
    plan = plans.plan(
        timeZone="Mars/Olympus_Mons",
        prices=LIST,
        windows=[{"name": "w", "start": "01:00", "end": "02:00", "multiplier": "0.5"}],
    )
    with pytest.raises(pricing.PlanError, match="Mars/Olympus_Mons"):
        pricing.prices_at(plan, "m", plans.utc("2025-01-06T00:00:00"))


def test_an_effective_date_without_offset_is_a_plan_error() -> None:
    plan = plans.plan(prices=LIST, models=[{"model": "m", "prices": LIST,
                                            "effectiveFrom": "2025-01-01T00:00:00"}])  # fmt: skip
    with pytest.raises(pricing.PlanError, match="UTC offset"):
        pricing.prices_at(plan, "m", plans.utc("2025-01-06T00:00:00"))
