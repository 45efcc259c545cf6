"""What the planner remembers: recent samples, the daily profile, the fitted line.

Covered: samples older than the window are dropped; the profile closes a bucket when a sample
of a later one arrives, marks buckets without samples as unknown, keeps only the days the
forecast looks back, and ignores a sample for a bucket it has closed; the open bucket is not
read; the line fit reports slope and fit quality.
"""

from __future__ import annotations

import pytest

from tokenfleet.planner import history


def test_recent_samples_keep_only_the_window() -> None:
    samples: tuple[history.Sample, ...] = ()
    for t in range(0, 600, 60):
        samples = history.recent(samples, float(t), float(t), keep_seconds=300)
    assert [t for t, _ in samples] == [300.0, 360.0, 420.0, 480.0, 540.0]
    assert history.median_since(samples, 400) == 480.0


def test_profile_buckets_are_means_and_gaps_are_unknown() -> None:
    profile = history.Profile(bucket_seconds=300)
    for t, x in ((0, 10.0), (60, 20.0), (299, 30.0), (310, 40.0), (1000, 50.0)):
        profile = profile.add(float(t), x, keep_days=1)
    assert profile.mean(0) == pytest.approx(20.0)  # (10 + 20 + 30) / 3
    assert profile.mean(1) == pytest.approx(40.0)
    assert profile.mean(2) is None  # 600-900: no sample
    assert profile.mean(3) is None  # 900-1200 is still open
    late = profile.add(10.0, 1e9, keep_days=1)
    assert late == profile


def test_profile_keeps_only_the_days_looked_back() -> None:
    profile = history.Profile(bucket_seconds=3600)
    for hour in range(60):
        profile = profile.add(hour * 3600.0, float(hour), keep_days=1)
    # 24 buckets a day plus 2 of slack; the newest is hour 58 (59 is open).
    assert len(profile.means) == 26
    assert profile.mean(58) == 58.0 and profile.mean(32) is None and profile.mean(33) == 33.0
    assert profile.days == pytest.approx(26 / 24)


def test_a_line_fit_gives_slope_and_quality() -> None:
    straight = [(float(t), 100.0 + 2.0 * t) for t in range(10)]
    fitted = history.fit_line(straight, since=-1)
    assert fitted is not None
    line, n = fitted
    assert n == 10 and line.value == pytest.approx(118.0)
    assert line.slope == pytest.approx(2.0) and line.r2 == pytest.approx(1.0)
    flat = history.fit_line([(0.0, 5.0), (1.0, 5.0)], since=-1)
    assert flat is not None and flat[0].r2 == 0.0
    assert history.fit_line([(0.0, 1.0)], since=-1) is None
