"""Demand: trace rows are flat rates, integrals are exact across rows and periods, CSV loading."""

from __future__ import annotations

import pathlib

import pytest

from tokenfleet.enginesim import demand, fleet


def trace() -> demand.TraceDemand:
    # 600 input tokens in [0, 60), 1200 in [60, 120), and the last row lasts 60 s too.
    return demand.TraceDemand(
        [0, 60, 120],
        [
            demand.Tokens(600, 300, 60),
            demand.Tokens(1200, 600, 120),
            demand.Tokens(0, 0, 0),
        ],
    )


def test_a_row_is_a_flat_rate_until_the_next_timestamp() -> None:
    assert trace().rate_at(30) == demand.Tokens(10, 5, 1)
    assert trace().rate_at(60) == demand.Tokens(20, 10, 2)


def test_tokens_between_integrates_across_rows() -> None:
    got = trace().tokens_between(30, 90)
    assert got.input == pytest.approx(300 + 600)
    assert got.cached == pytest.approx(150 + 300)
    assert got.output == pytest.approx(30 + 60)


def test_the_trace_repeats_after_its_last_row() -> None:
    t = trace()
    assert t.period == 180
    assert t.rate_at(180 + 70) == t.rate_at(70)
    assert t.tokens_between(0, 3 * 180 + 60).input == pytest.approx(3 * 1800 + 600)


def test_an_empty_or_backwards_interval_has_no_tokens() -> None:
    assert trace().tokens_between(50, 50) == demand.Tokens()
    assert trace().tokens_between(90, 30) == demand.Tokens()


def test_constant_demand_is_rate_times_seconds() -> None:
    fixed = demand.ConstantDemand(demand.Tokens(100, 40, 20))
    assert fixed.tokens_between(10, 15) == demand.Tokens(500, 200, 100)


@pytest.mark.parametrize(
    ("timestamps", "message"),
    [([], "at least one row"), ([5], "starts at timestamp 0"), ([0, 60, 60], "increase")],
)
def test_malformed_traces_are_refused(timestamps: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        demand.TraceDemand(timestamps, [demand.Tokens()] * len(timestamps))


def test_a_trace_csv_loads_with_or_without_cached_tokens(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("timestamp,input_tokens,output_tokens\n0,6000,600\n60,12000,1200\n")
    loaded = demand.load_trace(path)
    assert loaded.rate_at(0) == demand.Tokens(100, 0, 10)
    assert loaded.tokens_between(0, 120).output == pytest.approx(1800)


def test_a_csv_without_the_required_columns_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("time,input\n0,1\n")
    with pytest.raises(ValueError, match="missing columns"):
        demand.load_trace(path)


def test_breaks_are_the_row_starts_strictly_inside_a_span_across_repeats() -> None:
    trace = demand.TraceDemand(
        [0, 60, 120], [demand.Tokens(1, 0, 1), demand.Tokens(2, 0, 2), demand.Tokens(3, 0, 3)]
    )
    # The trace lasts 180 s and repeats.
    assert trace.breaks_between(0, 60) == []
    assert trace.breaks_between(30, 200) == [60, 120, 180]
    assert trace.breaks_between(60, 61) == []
    assert trace.breaks_between(350, 430) == [360, 420]
    assert demand.ConstantDemand(demand.Tokens(1, 0, 1)).breaks_between(0, 1e6) == []


def test_spans_cut_at_breaks_and_at_most_the_step_long() -> None:
    assert fleet.spans(0, 25, [], 10) == [
        (0, pytest.approx(25 / 3)),
        (pytest.approx(25 / 3), pytest.approx(50 / 3)),
        (pytest.approx(50 / 3), 25),
    ]
    assert fleet.spans(0, 20, [5], 10) == [(0, 5), (5, 12.5), (12.5, 20)]
    assert fleet.spans(3, 3, [], 10) == []


def test_before_the_trace_starts_the_first_rows_rate_holds() -> None:
    trace = demand.TraceDemand([0.0, 60.0], [demand.Tokens(600, 60, 120), demand.Tokens(60, 0, 6)])
    assert trace.rate_at(-3600) == demand.Tokens(10, 1, 2)
    assert trace.tokens_between(-30, 30) == demand.Tokens(600, 60, 120)
    assert trace.tokens_between(-90, -30) == demand.Tokens(600, 60, 120)
    assert trace.breaks_between(-30, 90) == [0.0, 60.0]
