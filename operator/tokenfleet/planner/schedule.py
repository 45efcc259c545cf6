"""Time-of-day minimums: which schedule entries are open at an instant, and the floor they set.

An entry is a daily window read in the schedule's time zone, `start` inclusive and `end`
exclusive; an `end` at or before `start` crosses midnight, and `24:00` closes at the next
midnight. `days` names the days on which the window *starts*, so a Friday 22:00–06:00 entry
still holds early on Saturday. Instants are compared in UTC, so a window is right across a
daylight-saving change. (The price windows in `economics` follow the same rules; the layers keep
the two packages apart, so this module carries its own few lines.)
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Mapping

from tokenfleet.api import common, inference_deployment

MINUTES_PER_DAY = 24 * 60


@functools.cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone `name`; ValueError naming it when the zone database lacks it."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as UTC") from exc


def _minutes(hhmm: str) -> int:
    hours, _, mins = hhmm.partition(":")
    return int(hours) * 60 + int(mins)


def _wall(day: dt.date, minute: int, tz: dt.tzinfo) -> dt.datetime:
    day += dt.timedelta(days=minute // MINUTES_PER_DAY)
    minute %= MINUTES_PER_DAY
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)


def is_open(entry: inference_deployment.ScheduleEntry, tz: dt.tzinfo, at: dt.datetime) -> bool:
    """Whether the aware instant `at` falls inside `entry`."""
    if at.tzinfo is None:
        raise ValueError(f"instant must be timezone-aware, got {at.isoformat()}")
    start, end = _minutes(entry.start), _minutes(entry.end)
    if end <= start:
        end += MINUTES_PER_DAY
    utc = at.astimezone(dt.UTC)
    today = at.astimezone(tz).date()
    # An occurrence lasts at most a day, so only one that opened today or yesterday can hold it.
    for day in (today - dt.timedelta(days=1), today):
        if entry.days and common.Weekday.of(day) not in entry.days:
            continue
        if _wall(day, start, tz).astimezone(dt.UTC) <= utc < _wall(day, end, tz).astimezone(dt.UTC):
            return True
    return False


def open_entries(
    schedule: inference_deployment.ScheduleSpec, at: dt.datetime
) -> list[inference_deployment.ScheduleEntry]:
    """The entries open at `at`, in the order they are written."""
    if not schedule.entries:
        return []
    tz = zone(schedule.time_zone)
    return [entry for entry in schedule.entries if is_open(entry, tz, at)]


def minimum_units(
    schedule: inference_deployment.ScheduleSpec, at: dt.datetime
) -> Mapping[str, int]:
    """Per role, the largest minimum of the entries open at `at` (roles none names are absent)."""
    floors: dict[str, int] = {}
    for entry in open_entries(schedule, at):
        for role, units in entry.min_units.items():
            floors[role] = max(floors.get(role, 0), units)
    return floors


def describe(entry: inference_deployment.ScheduleEntry) -> str:
    """`08:00-20:00 Mon,Tue` for reasons and conditions."""
    days = f" {','.join(day.value for day in entry.days)}" if entry.days else ""
    return f"{entry.start}-{entry.end}{days}"
