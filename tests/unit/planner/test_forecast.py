"""The forecast: seasonal ramps started a lead time ahead, steady ramps extrapolated, surprises
measured against what was expected a lead time earlier.

Covered: with yesterday's 08:00 ramp in memory the planner starts units at 07:50 that a
planner without history does not; the same weekday a week ago counts twice; one day of history
moves the forecast half way; a straight ramp is extrapolated over the lead time and a zigzag is
not; a surprise needs a forecast made a lead time ago and is capped; the seasonal view takes
the peak inside the lead time, so a dip within it does not release a unit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tokenfleet import clock
from tokenfleet.planner import decide, forecast, history
from tokenfleet.planner import state as st

from . import fleets

DAY = 86400


def _morning_ramp(minute_of_day: int) -> float:
    return 3200.0 if 8 * 60 <= minute_of_day < 10 * 60 else 1600.0


def test_yesterdays_ramp_is_met_a_lead_time_ahead() -> None:
    cfg = fleets.unified()
    fake = clock.FakeClock(fleets.START)
    state = st.PlannerState()
    decision = None
    # Day 1 and day 2 until 07:50, minute by minute.
    for minute in range(24 * 60 + 7 * 60 + 50 + 1):
        level = _morning_ramp(minute % (24 * 60))
        decision, state = decide.plan(
            cfg, state, st.Observation(at=fake.now(), roles={"unified": fleets.seen(level)})
        )
        fake.advance(60)
    assert decision is not None
    # At 07:50 demand is 1600: 1600/0.8 = 2000 -> 2 units. Yesterday demand doubled between
    # 07:45 and 08:00; capped at x2 and weighted by one day of two, growth is 1.5, so 2400 tok/s
    # are expected at 08:00 -> 3 units, started now so that they serve at 08:00.
    ours = decision.roles["unified"]
    assert ours.outlook is not None and ours.outlook.growth == pytest.approx(1.5)
    assert ours.units == 3
    assert "daily profile" in ours.reason
    fresh, _ = decide.plan(
        cfg, st.PlannerState(), st.Observation(at=fake.now(), roles={"unified": fleets.seen(1600)})
    )
    assert fresh.units == {"unified": 2}


def _profile_with(days_ago: dict[int, float], now: float) -> history.Profile:
    """A profile in which `days_ago` days before `now`, demand grew by the given ratio just
    after now's time of day (1000 tok/s before, ratio x 1000 from 5 minutes on)."""
    profile = history.Profile()
    for k in sorted(days_ago, reverse=True):
        then = now - k * DAY
        for offset in range(-1200, 1800, 60):
            level = 1000.0 if offset < 300 else 1000.0 * days_ago[k]
            profile = profile.add(then + offset, level, keep_days=8)
    return profile.add(now - 60, 1000.0, keep_days=8)


def test_the_same_weekday_last_week_counts_twice() -> None:
    now = fleets.START.timestamp() + 14 * DAY
    tuning = dataclasses.replace(fleets.TUNING, season_max_growth=3.0)
    profile = _profile_with({1: 1.0, 7: 1.6}, now)
    growth, days = forecast.seasonal_growth(profile, now, 600, 7, tuning)
    # Ratios [1.0, 1.6, 1.6]: the median is 1.6 (it would be 1.3 counting last week once).
    assert growth == pytest.approx(1.6) and days == 2


def test_one_day_of_history_moves_the_forecast_half_way() -> None:
    now = fleets.START.timestamp() + 3 * DAY
    profile = _profile_with({1: 1.4}, now)
    growth, days = forecast.seasonal_growth(profile, now, 600, 7, fleets.TUNING)
    assert growth == pytest.approx(1.2) and days == 1


def _fed(levels: list[float]) -> decide.Decision:
    cfg = fleets.unified()
    state = st.PlannerState()
    fake = clock.FakeClock(fleets.START)
    decision = None
    for level in levels:
        decision, state = decide.plan(
            cfg, state, st.Observation(at=fake.now(), roles={"unified": fleets.seen(level)})
        )
        fake.advance(60)
    assert decision is not None
    return decision


def test_a_steady_ramp_is_extrapolated_over_the_lead_time() -> None:
    # +10 tok/s a minute for 15 minutes: the fitted line reaches 1140 now and rises 100 more
    # over the 600 s lead time.
    decision = _fed([1000.0 + 10 * minute for minute in range(15)])
    outlook = decision.roles["unified"].outlook
    assert outlook is not None and outlook.ramp == pytest.approx(1240.0)


def test_a_zigzag_is_not_a_ramp() -> None:
    decision = _fed([1000.0 if minute % 2 else 1300.0 for minute in range(15)] + [1310.0])
    outlook = decision.roles["unified"].outlook
    assert outlook is not None and outlook.ramp is None


def test_no_margin_without_a_forecast_made_a_lead_time_ago() -> None:
    forecasts = ((100.0, 1000.0), (700.0, 1500.0))
    assert forecast.surprise_ratio(forecasts, 650.0, 600.0, 2000.0, 5.0) is None
    assert forecast.surprise_ratio(forecasts, 800.0, 600.0, 2000.0, 5.0) == pytest.approx(2.0)
    assert forecast.surprise_ratio(forecasts, 1400.0, 600.0, 30000.0, 5.0) == 5.0


def test_a_start_far_from_midnight_is_fine() -> None:
    at = dt.datetime(2025, 6, 1, 13, 37, 11, tzinfo=dt.UTC)
    decision, _ = decide.plan(
        fleets.unified(),
        st.PlannerState(),
        st.Observation(at=at, roles={"unified": fleets.seen(900)}),
    )
    assert decision.units == {"unified": 2}


def test_the_seasonal_forecast_sees_the_peak_inside_the_lead_time_not_its_end() -> None:
    now = fleets.START.timestamp() + 3 * DAY
    then = now - DAY
    profile = history.Profile()
    # Yesterday: 1000 tok/s, a peak of 1500 from 5 to 10 minutes after now's time of day, and
    # back to 1000 by the end of the 600 s lead time.
    for offset in range(-1200, 1800, 60):
        level = 1500.0 if 300 <= offset < 600 else 1000.0
        profile = profile.add(then + offset, level, keep_days=2)
    profile = profile.add(now - 60, 1000.0, keep_days=2)
    growth, days = forecast.seasonal_growth(profile, now, 600, 7, fleets.TUNING)
    # One day of history moves it half way: 1 + (1.5 - 1) / 2.
    assert growth == pytest.approx(1.25) and days == 1
