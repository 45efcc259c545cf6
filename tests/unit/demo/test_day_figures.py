"""The demo reads each counter as of the counted day's first and last clock instants.

The operator books in steps, each up to an as-of instant it exports beside the counter; a
step can run late (a starved start, a pool step that finishes after the replay). The day's
figure interpolates each counter between the scrapes whose as-of instants bracket the day's
edges, so it covers the day, neither the warm-up before it nor the hours after it.
"""

from __future__ import annotations

import pytest

from tokenfleet.demo import summary

DAY = (10_000.0, 10_000.0 + 3 * 3600)
COST = summary.queries("ns", "dsv3", 8)["units_cost"]


def test_a_counter_is_interpolated_between_the_bookings_that_bracket_each_edge() -> None:
    # $100 a clock hour, booked every half hour; scrapes see the books a little late, and the
    # same booking twice.
    bookings = [(DAY[0] - 1800 + 1800 * i, 50.0 * i) for i in range(9)]
    values = [(float(n), v) for n, (_, v) in enumerate(bookings)]
    as_of = [(float(n), t) for n, (t, _) in enumerate(bookings)]
    readings = summary.booked(values, as_of)
    assert summary.value_at(readings, DAY[0]) == pytest.approx(50.0)
    assert summary.value_at(readings, DAY[0] + 900) == pytest.approx(75.0)
    assert summary.value_at(readings, DAY[1]) == pytest.approx(350.0)
    assert summary.value_at(readings, DAY[1] + 1801) is None


def _read(series: dict[str, list[tuple[float, float]]]) -> summary.Summary:
    def get(expr: str) -> list[tuple[float, float]]:
        return series.get(expr, [])

    return summary.read(get, "ns", "dsv3", 8, DAY, 10, 0.0, "USD")


def test_a_step_that_books_after_the_day_still_counts_only_the_day() -> None:
    # The last booking before the end reached an hour short of it; the next came an hour
    # after it (a slow step), holding two hours at $100 an hour.
    series = {
        COST.expr: [(1.0, 0.0), (2.0, 200.0), (3.0, 400.0)],
        COST.as_of: [(1.0, DAY[0]), (2.0, DAY[1] - 3600), (3.0, DAY[1] + 3600)],
    }
    got = _read(series)
    assert got.units_cost == pytest.approx(300.0)
    assert got.short == ()


def test_books_that_began_after_the_day_count_from_their_first_reading() -> None:
    # A starved operator booked nothing through the warm-up: its first reading (zero cost, as a
    # first step accrues nothing) came half an hour into the day.
    series = {
        COST.expr: [(1.0, 0.0), (2.0, 250.0)],
        COST.as_of: [(1.0, DAY[0] + 1800), (2.0, DAY[1])],
    }
    assert _read(series).units_cost == pytest.approx(250.0)


def test_books_that_never_reach_the_end_count_to_their_newest_reading_and_say_so() -> None:
    series = {
        COST.expr: [(1.0, 0.0), (2.0, 200.0)],
        COST.as_of: [(1.0, DAY[0]), (2.0, DAY[1] - 3600)],
    }
    got = _read(series)
    assert got.units_cost == pytest.approx(200.0)
    assert got.short == ("cost",)
    assert "the cost books stop short of the day's end" in summary.render(got)


def test_scrapes_are_paired_by_instant_and_an_as_of_that_goes_back_is_left_out() -> None:
    values = [(1.0, 10.0), (2.0, 20.0), (3.0, 30.0), (4.0, 40.0)]
    as_of = [(1.0, 100.0), (2.0, 200.0), (3.0, 150.0)]
    assert summary.booked(values, as_of) == [(100.0, 10.0), (200.0, 20.0)]
