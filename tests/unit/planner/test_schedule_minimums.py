"""Time-of-day minimums: which entries are open, in which time zone, across midnight.

Covered: a window is open from start (inclusive) to end (exclusive); 24:00 closes at midnight;
a window that crosses midnight belongs to the day it starts on, so a Friday 22:00-06:00 entry
holds early on Saturday but not early on Friday; windows are read in the schedule's zone, also
across a daylight-saving change; overlapping entries give the largest minimum per role; the
planner starts scheduled units a lead time before the window opens.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfleet.api import inference_deployment
from tokenfleet.planner import decide, schedule
from tokenfleet.planner import state as st

from . import fleets

UTC = dt.UTC


def _spec(zone: str, *entries: dict[str, object]) -> inference_deployment.ScheduleSpec:
    return inference_deployment.ScheduleSpec.model_validate({"timeZone": zone, "entries": entries})


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (dt.datetime(2025, 1, 6, 7, 59, tzinfo=UTC), False),
        (dt.datetime(2025, 1, 6, 8, 0, tzinfo=UTC), True),
        (dt.datetime(2025, 1, 6, 19, 59, tzinfo=UTC), True),
        (dt.datetime(2025, 1, 6, 20, 0, tzinfo=UTC), False),
    ],
)
def test_a_window_opens_at_start_and_closes_at_end(at: dt.datetime, open_: bool) -> None:
    spec = _spec("UTC", {"start": "08:00", "end": "20:00", "minUnits": {"decode": 2}})
    assert (schedule.minimum_units(spec, at) == {"decode": 2}) is open_


def test_twenty_four_hundred_closes_at_midnight() -> None:
    spec = _spec("UTC", {"start": "12:00", "end": "24:00", "minUnits": {"decode": 2}})
    assert schedule.minimum_units(spec, dt.datetime(2025, 1, 6, 23, 59, tzinfo=UTC))
    assert not schedule.minimum_units(spec, dt.datetime(2025, 1, 7, 0, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (dt.datetime(2025, 1, 10, 3, 0, tzinfo=UTC), False),  # Friday 03:00: Thursday's night
        (dt.datetime(2025, 1, 10, 23, 0, tzinfo=UTC), True),  # Friday 23:00
        (dt.datetime(2025, 1, 11, 5, 59, tzinfo=UTC), True),  # Saturday 05:59, Friday's night
        (dt.datetime(2025, 1, 11, 6, 0, tzinfo=UTC), False),
        (dt.datetime(2025, 1, 11, 23, 0, tzinfo=UTC), False),  # Saturday's night not listed
    ],
)
def test_a_window_crossing_midnight_belongs_to_the_day_it_starts(
    at: dt.datetime, open_: bool
) -> None:
    spec = _spec(
        "UTC", {"start": "22:00", "end": "06:00", "days": ["Fri"], "minUnits": {"prefill": 1}}
    )
    assert bool(schedule.minimum_units(spec, at)) is open_


def test_windows_are_read_in_the_schedule_time_zone() -> None:
    # DeepSeek's daytime: 08:30-24:00 in Beijing is 00:30-16:00 UTC.
    spec = _spec("Asia/Shanghai", {"start": "08:30", "end": "24:00", "minUnits": {"decode": 4}})
    assert not schedule.minimum_units(spec, dt.datetime(2025, 1, 6, 0, 29, tzinfo=UTC))
    assert schedule.minimum_units(spec, dt.datetime(2025, 1, 6, 0, 30, tzinfo=UTC))
    assert schedule.minimum_units(spec, dt.datetime(2025, 1, 6, 15, 59, tzinfo=UTC))
    assert not schedule.minimum_units(spec, dt.datetime(2025, 1, 6, 16, 0, tzinfo=UTC))


def test_a_window_keeps_its_wall_clock_hours_across_daylight_saving() -> None:
    spec = _spec("America/New_York", {"start": "09:00", "end": "17:00", "minUnits": {"decode": 1}})
    # 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
    assert schedule.minimum_units(spec, dt.datetime(2025, 3, 7, 14, 0, tzinfo=UTC))
    assert not schedule.minimum_units(spec, dt.datetime(2025, 3, 7, 13, 30, tzinfo=UTC))
    assert schedule.minimum_units(spec, dt.datetime(2025, 3, 10, 13, 30, tzinfo=UTC))


def test_overlapping_entries_give_the_largest_minimum_per_role() -> None:
    spec = _spec(
        "UTC",
        {"start": "00:00", "end": "24:00", "minUnits": {"prefill": 2, "decode": 5}},
        {"start": "08:00", "end": "12:00", "minUnits": {"prefill": 7}},
    )
    at = dt.datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    assert schedule.minimum_units(spec, at) == {"prefill": 7, "decode": 5}


def test_scheduled_units_are_started_a_lead_time_before_the_window() -> None:
    cfg = fleets.planner_config(
        fleets.deployment(
            {"unified": fleets.role()},
            schedule={"entries": [{"start": "08:00", "end": "09:00", "minUnits": {"unified": 5}}]},
        )
    )
    early = fleets.START + dt.timedelta(hours=7, minutes=49)
    on_time = fleets.START + dt.timedelta(hours=7, minutes=50)  # 600 s lead before 08:00
    for at, units in ((early, 1), (on_time, 5)):
        observation = st.Observation(at=at, roles={"unified": fleets.seen(100, 1)})
        decision, _ = decide.plan(cfg, st.PlannerState(), observation)
        assert decision.units == {"unified": units}
