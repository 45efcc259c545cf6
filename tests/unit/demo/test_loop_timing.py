"""The demo's account of how fast the live loop kept up: quantiles from the operator's
histograms over the counted span, and a plain verdict on the chosen speed."""

from __future__ import annotations

import math

from tokenfleet.demo import timing

INF = math.inf


def test_quantiles_come_from_the_counted_span_only() -> None:
    before = {0.01: 100.0, 0.1: 100.0, 1.0: 100.0, INF: 100.0}
    after = {0.01: 110.0, 0.1: 190.0, 1.0: 200.0, INF: 200.0}
    span = timing.difference(after, before)
    assert span == {0.01: 10.0, 0.1: 90.0, 1.0: 100.0, INF: 100.0}
    rows = timing.timings({"pool": span}, {"pool": {1.0: 100.0, 60.0: 100.0, INF: 100.0}}, ["pool"])
    (row,) = rows
    assert row.steps == 100
    assert row.p50_seconds == 0.01 + (0.1 - 0.01) * (50 - 10) / 80
    assert row.p99_seconds == 0.1 + (1.0 - 0.1) * (99 - 90) / 10
    assert row.p99_lag == 0.99


def test_the_verdict_says_when_the_planner_fell_behind_and_what_speed_would_do() -> None:
    def planner(lag: float) -> list[timing.LoopTiming]:
        return [timing.LoopTiming("autoscaling", 100, 0.05, 0.2, lag)]

    assert timing.verdict(planner(45.0), 30.0, 288).startswith("the planner kept up")
    slow = timing.verdict(planner(240.0), 30.0, 288)
    assert "too slow for --speed 288" in slow
    assert "--speed 144" in slow
    assert timing.verdict([], 30.0, 288) == "the planner made no step in the counted span"
