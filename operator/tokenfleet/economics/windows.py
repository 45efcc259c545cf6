"""Daily time windows read in a time zone: when a window is open, and where it opens and closes.

A window is a span of wall-clock time, `start` inclusive and `end` exclusive, in an IANA time
zone. An `end` at or before `start` crosses midnight and closes the next day; `24:00` closes at
the next midnight. `days` names the days on which the window *starts*, so a Friday 22:00–02:00
window is open early on Saturday and not early on Monday. Instants are compared in UTC: two
aware datetimes that share a tzinfo compare by wall time, which is wrong across DST changes.
On a day a zone skips or repeats an hour, a wall time in the gap or the overlap is read with
fold=0 (the offset in force before the change), as `zoneinfo` does.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator, Sequence
from typing import Protocol

from tokenfleet.api import common

MINUTES_PER_DAY = 24 * 60


class Window(Protocol):
    """What a daily window needs; `common.TimeWindow` and `pricing_plan.PriceWindow` have it."""

    @property
    def start(self) -> str: ...

    @property
    def end(self) -> str: ...

    @property
    def days(self) -> Sequence[common.Weekday] | None: ...


def require_aware(at: dt.datetime) -> dt.datetime:
    """`at` in UTC; a naive datetime is refused because its zone would be a guess."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(dt.UTC)


@functools.cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone `name`, or ValueError naming it when the zone database lacks it."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as UTC or Asia/Shanghai"
        ) from exc


def minutes(hhmm: str) -> int:
    """Minutes after midnight of an `HH:MM` time of day; `24:00` is 1440."""
    hours, _, mins = hhmm.partition(":")
    try:
        value = int(hours) * 60 + int(mins)
    except ValueError:
        raise ValueError(f"time of day must be HH:MM, got {hhmm!r}") from None
    if not 0 <= value <= MINUTES_PER_DAY or not 0 <= int(mins) < 60:
        raise ValueError(f"time of day must be 00:00..24:00, got {hhmm!r}")
    return value


def _wall(day: dt.date, minute: int, tz: dt.tzinfo) -> dt.datetime:
    """The UTC instant of wall time `minute` after midnight starting `day`, in `tz`."""
    day = day + dt.timedelta(days=minute // MINUTES_PER_DAY)
    minute %= MINUTES_PER_DAY
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(dt.UTC)


def span(window: Window, tz: dt.tzinfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which the occurrence starting on local `day` opens and closes.

    Ignores `days`: see `starts_on`. Equal start and end are refused, as at admission.
    """
    start, end = minutes(window.start), minutes(window.end)
    if start >= MINUTES_PER_DAY:
        raise ValueError(f"window start must be 00:00..23:59, got {window.start!r}")
    if end == start:
        raise ValueError(
            f"window {window.start}-{window.end} is empty: use 00:00 to 24:00 for a day"
        )
    if end < start:
        end += MINUTES_PER_DAY
    return _wall(day, start, tz), _wall(day, end, tz)


def starts_on(window: Window, day: dt.date) -> bool:
    """Whether the window opens on local `day` (every day when `days` is unset)."""
    return not window.days or common.Weekday.of(day) in window.days


def occurrence(
    window: Window, tz: dt.tzinfo, at: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """The (open, close) in UTC of the occurrence that contains `at`, or None when closed."""
    at = require_aware(at)
    today = at.astimezone(tz).date()
    # An occurrence lasts under two days, so only one opened today or yesterday can hold `at`.
    for day in (today - dt.timedelta(days=1), today):
        if not starts_on(window, day):
            continue
        opens, closes = span(window, tz, day)
        if opens <= at < closes:
            return opens, closes
    return None


def is_open(window: Window, tz: dt.tzinfo, at: dt.datetime) -> bool:
    """Whether `at` falls inside the window."""
    return occurrence(window, tz, at) is not None


def edges(
    window: Window, tz: dt.tzinfo, after: dt.datetime, until: dt.datetime
) -> Iterator[dt.datetime]:
    """Every instant in (`after`, `until`] at which the window opens or closes, in order."""
    after, until = require_aware(after), require_aware(until)
    day = after.astimezone(tz).date() - dt.timedelta(days=1)
    last = until.astimezone(tz).date()
    found: set[dt.datetime] = set()
    while day <= last:
        if starts_on(window, day):
            found.update(t for t in span(window, tz, day) if after < t <= until)
        day += dt.timedelta(days=1)
    yield from sorted(found)
