"""Daily windows in a time zone: open and close instants, midnight, 24:00 and DST days.

Covered: a window crossing midnight; `24:00` as the end; `days` meaning the start day; the
nights on which New York springs forward (7 hours) and falls back (9 hours); an instant given in
the window's own zone (same tzinfo, so compared by wall time unless converted); the edges
listed between two instants; malformed times.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tokenfleet.api import common
from tokenfleet.economics import windows

from . import plans

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
HOUR = dt.timedelta(hours=1)


def window(start: str, end: str, days: list[str] | None = None) -> common.TimeWindow:
    return common.TimeWindow.model_validate({"start": start, "end": end, "days": days})


@pytest.mark.parametrize(
    ("start", "end", "day", "opens", "closes"),
    [
        ("22:00", "06:00", "2025-01-06", "2025-01-06T22:00:00", "2025-01-07T06:00:00"),
        ("00:00", "24:00", "2025-01-06", "2025-01-06T00:00:00", "2025-01-07T00:00:00"),
        ("18:00", "24:00", "2025-01-06", "2025-01-06T18:00:00", "2025-01-07T00:00:00"),
        ("09:00", "17:30", "2025-01-06", "2025-01-06T09:00:00", "2025-01-06T17:30:00"),
    ],
)
def test_a_span_opens_on_its_day_and_closes_the_next_day_when_it_crosses_midnight(
    start: str, end: str, day: str, opens: str, closes: str
) -> None:
    got = windows.span(window(start, end), dt.UTC, dt.date.fromisoformat(day))
    assert got == (plans.utc(opens), plans.utc(closes))


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2025-03-08", 7), ("2025-11-01", 9), ("2025-06-01", 8)],
)
def test_a_night_window_is_an_hour_shorter_or_longer_when_the_clocks_change(
    day: str, hours: int
) -> None:
    opens, closes = windows.span(window("22:00", "06:00"), NEW_YORK, dt.date.fromisoformat(day))
    assert closes - opens == hours * HOUR


def test_an_instant_in_the_windows_own_zone_is_compared_as_an_instant() -> None:
    night = window("22:00", "06:00")
    # 06:30 EDT on the spring-forward morning; 06:30 EST (its wall time read an hour off) is not.
    at = dt.datetime(2025, 3, 9, 6, 30, tzinfo=NEW_YORK)
    assert not windows.is_open(night, NEW_YORK, at)
    assert windows.is_open(night, NEW_YORK, dt.datetime(2025, 3, 9, 5, 59, tzinfo=NEW_YORK))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2025-01-10T23:00:00", True),  # Friday night
        ("2025-01-11T05:00:00", True),  # Saturday morning, opened Friday
        ("2025-01-11T23:00:00", False),  # Saturday night: not a listed start day
        ("2025-01-13T05:00:00", False),  # Monday morning, would have opened Sunday
        ("2025-01-13T23:00:00", True),  # Monday night
    ],
)
def test_days_are_the_days_a_window_opens(at: str, expected: bool) -> None:
    weeknights = window("22:00", "06:00", ["Mon", "Tue", "Wed", "Thu", "Fri"])
    assert windows.is_open(weeknights, dt.UTC, plans.utc(at)) is expected


def test_occurrence_gives_the_open_and_close_of_the_span_holding_the_instant() -> None:
    night = window("22:00", "06:00")
    assert windows.occurrence(night, dt.UTC, plans.utc("2025-01-07T01:00:00")) == (
        plans.utc("2025-01-06T22:00:00"),
        plans.utc("2025-01-07T06:00:00"),
    )
    assert windows.occurrence(night, dt.UTC, plans.utc("2025-01-07T06:00:00")) is None


def test_edges_lists_opens_and_closes_after_the_first_instant_up_to_the_last() -> None:
    edges = windows.edges(
        window("22:00", "06:00"),
        dt.UTC,
        plans.utc("2025-01-06T06:00:00"),
        plans.utc("2025-01-07T22:00:00"),
    )
    assert list(edges) == [
        plans.utc("2025-01-06T22:00:00"),
        plans.utc("2025-01-07T06:00:00"),
        plans.utc("2025-01-07T22:00:00"),
    ]


@pytest.mark.parametrize("text", ["24:01", "12:60", "noon", "7"])
def test_a_malformed_time_of_day_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|00:00\.\.24:00"):
        windows.minutes(text)


@pytest.mark.parametrize(("start", "end"), [("06:00", "06:00"), ("24:00", "06:00")])
def test_an_empty_window_or_one_starting_at_24_00_is_refused(start: str, end: str) -> None:
    with pytest.raises(ValueError, match=r"empty|start must be"):
        windows.span(window(start, end), dt.UTC, dt.date(2025, 1, 6))


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        windows.is_open(window("22:00", "06:00"), dt.UTC, dt.datetime(2025, 1, 6, 23))
