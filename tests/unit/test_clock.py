"""The process clock: fake clocks move only when told, scaled clocks agree across processes."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tokenfleet import clock

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)


def test_a_fake_clock_moves_only_forward_and_only_when_told() -> None:
    c = clock.FakeClock(START)
    assert c.now() == START
    c.advance(90)
    assert c.now() == START + dt.timedelta(seconds=90)
    with pytest.raises(ValueError, match="backwards"):
        c.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        c.set(START)


def test_two_scaled_clocks_with_one_anchor_agree() -> None:
    anchor = time.time() - 10
    a = clock.ScaledClock(START, speed=300, anchor=anchor)
    b = clock.ScaledClock(START, speed=300, anchor=anchor)
    elapsed = (a.now() - START).total_seconds()
    assert 2999 <= elapsed <= 3600
    assert abs((a.now() - b.now()).total_seconds()) < 60
    assert a.real_seconds(300) == 1


def test_clocks_refuse_naive_starts_and_bad_speeds() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.FakeClock(dt.datetime(2025, 1, 6))
    with pytest.raises(ValueError, match="positive"):
        clock.ScaledClock(START, speed=0)


def test_times_are_written_as_kubernetes_writes_them() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert clock.rfc3339(dt.datetime(2025, 1, 6, 8, 30, tzinfo=beijing)) == "2025-01-06T00:30:00Z"
    assert clock.rfc3339(dt.datetime(2025, 1, 6, 0, 30, 5, tzinfo=dt.UTC)) == "2025-01-06T00:30:05Z"
