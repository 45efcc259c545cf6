"""Generated days: seeded, at DeepSeek's scale, each showing the feature it is named for.

Covers: a shape and a seed make the same trace every time, another seed another; every trace's
busiest minute carries DeepSeek's peak on one role or the other; at least 30 days in all; the
outage empties demand and its clients come back at once; the holiday is a weekday at weekend
level; the late peak comes an hour later each day; growth ends well above where it began.
"""

from __future__ import annotations

import numpy as np
import pytest

from tokenfleet.sim import shapes


def prefill(name: str, seed: int = 3) -> np.ndarray:
    trace = shapes.build(shapes.shape(name), seed)
    return np.asarray(trace.demand("prefill"))


def test_a_shape_and_a_seed_make_one_trace() -> None:
    one, again = prefill("bursty-3d"), prefill("bursty-3d")
    assert np.array_equal(one, again)
    assert not np.array_equal(one, prefill("bursty-3d", seed=4))


@pytest.mark.parametrize("shape", shapes.SHAPES, ids=lambda s: s.name)
def test_every_trace_peaks_at_deepseek_scale(shape: shapes.Shape) -> None:
    trace = shapes.build(shape, seed=1)
    assert len(trace) == shape.days * shapes.DAY
    top_in, top_out = trace.demand("prefill").max(), trace.demand("decode").max()
    assert top_in <= shapes.PEAK_INPUT * 1.0001 and top_out <= shapes.PEAK_OUTPUT * 1.0001
    assert max(top_in / shapes.PEAK_INPUT, top_out / shapes.PEAK_OUTPUT) == pytest.approx(1.0)


def test_there_are_at_least_thirty_generated_days() -> None:
    assert sum(s.days for s in shapes.SHAPES) >= 30


def test_the_outage_empties_demand_and_the_clients_come_back_at_once() -> None:
    rates = prefill("outage-2d")
    start = shapes.DAY + 11 * 60
    before, during, after = (
        rates[start - 30 : start],
        rates[start : start + 45],
        rates[start + 45 : start + 75],
    )
    assert during.mean() < 0.15 * before.mean()
    assert after.mean() > 1.3 * before.mean()


def test_the_holiday_is_a_weekday_at_weekend_level() -> None:
    days = prefill("holiday-7d").reshape(7, shapes.DAY).mean(axis=1)
    tuesday, wednesday, thursday, saturday = days[1], days[2], days[3], days[5]
    assert wednesday < 0.6 * tuesday and wednesday < 0.6 * thursday
    assert wednesday == pytest.approx(saturday, rel=0.15)


def test_the_late_peak_comes_an_hour_later_each_day() -> None:
    days = prefill("late-peak-7d").reshape(7, shapes.DAY)
    # Each day's hour of highest demand, smoothed over five hours against the noise.
    hourly = days.reshape(7, 24, 60).mean(axis=2)
    kernel = np.ones(5) / 5
    smooth = np.array([np.convolve(np.tile(h, 3), kernel, "same")[24:48] for h in hourly])
    peaks = smooth.argmax(axis=1)
    assert abs(peaks[0] - 12) <= 1 and abs(peaks[-1] - 18) <= 1, peaks
    assert np.all(np.diff(peaks) >= 0), peaks


def test_growth_ends_well_above_where_it_began() -> None:
    days = prefill("growth-14d").reshape(14, shapes.DAY).mean(axis=1)
    assert days[7] > 1.15 * days[0]  # Mondays of week one and two
    assert days[13] > 1.15 * days[6]  # and Sundays
