"""The one source of time for the whole process.

Nothing in tokenfleet reads the time but through a `Clock`. The operator picks one at start-up:
the wall clock, or a `ScaledClock` that starts at a chosen instant and runs N times faster (how
`make demo` replays a day in minutes). Tests use `FakeClock` and advance it on purpose.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    """Tells the time; `real_seconds` converts clock seconds to real seconds to wait."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def real_seconds(self, clock_seconds: float) -> float:
        """How many real seconds pass while this clock advances by `clock_seconds`."""
        ...


def rfc3339(instant: dt.datetime) -> str:
    """`instant` as Kubernetes writes times (RFC 3339 in UTC with a Z): status, events, labels."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def speed(clock: Clock) -> float:
    """Clock seconds per real second; 1 for a clock that does not run in real time."""
    real = clock.real_seconds(1.0)
    return 1.0 / real if real > 0 else 1.0


def real_epoch(clock: Clock, at: dt.datetime) -> float | None:
    """The real (epoch) instant at which `clock` read `at`: where Prometheus, which keeps real
    time, stored what happened then. None for a clock that does not run in real time."""
    real_per_clock = clock.real_seconds(1.0)
    if real_per_clock <= 0:
        return None
    return time.time() - (clock.now() - at).total_seconds() * real_per_clock


def clock_instant(clock: Clock, epoch: float) -> dt.datetime | None:
    """What `clock` read at the real (epoch) instant `epoch`: the inverse of `real_epoch`."""
    real_per_clock = clock.real_seconds(1.0)
    if real_per_clock <= 0:
        return None
    return clock.now() - dt.timedelta(seconds=(time.time() - epoch) / real_per_clock)


class WallClock:
    """The real time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def real_seconds(self, clock_seconds: float) -> float:
        return clock_seconds


class ScaledClock:
    """Reads `start` at the real instant `anchor` and runs `speed` times faster than real time.

    The anchor is a real (epoch) time rather than a process-local monotonic origin, so separate
    processes given the same start, speed and anchor (the operator and the engine-metrics
    simulator of `make demo`) agree on the time.
    """

    def __init__(self, start: dt.datetime, speed: float, anchor: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._anchor = time.time() if anchor is None else anchor

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def anchor(self) -> float:
        return self._anchor

    def now(self) -> dt.datetime:
        elapsed = (time.time() - self._anchor) * self._speed
        return self._start + dt.timedelta(seconds=elapsed)

    def real_seconds(self, clock_seconds: float) -> float:
        return clock_seconds / self._speed


class FakeClock:
    """A clock that only moves when told to: for tests and virtual-time replay."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self._now += dt.timedelta(seconds=seconds)

    def set(self, instant: dt.datetime) -> None:
        if instant < self._now:
            raise ValueError("a clock does not run backwards")
        self._now = instant

    def real_seconds(self, clock_seconds: float) -> float:
        return 0.0
