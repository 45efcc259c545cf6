"""The planner against the HPA's whole curve: late tokens compared at equal node-hours.

Covered: the HPA's late tokens are interpolated between the two targets that bracket the
planner's node-hours; outside its curve the nearest end stands in and the comparison says it
is a bound; a lower target spends more and is late less on the same trace; goodput per GPU is
on-time tokens per second over the mean GPUs paid for.
"""

from __future__ import annotations

import dataclasses
import pathlib
from decimal import Decimal

import numpy as np
import pytest

from tokenfleet.commands import bench
from tokenfleet.sim import fleet, frontier, report, run

from . import fleets


def result(node_hours: float, late: float, policy: str = "p") -> report.Result:
    return report.Result(
        policy=policy,
        trace="t",
        hours=10.0,
        node_hours=node_hours,
        mean_nodes=node_hours / 10.0,
        peak_nodes=0,
        late_tokens=late,
        late_token_fraction=late / 1e6,
        input_tokens=800_000,
        cached_input_tokens=0,
        output_tokens=200_000,
        cost=Decimal(0),
        currency="USD",
        earned=None,
        roles={},
    )


CURVE = [result(100.0, 9_000.0), result(150.0, 3_000.0), result(200.0, 1_000.0)]


def test_between_two_targets_the_late_tokens_are_interpolated() -> None:
    assert frontier.late_at(CURVE, 125.0) == (6_000.0, frontier.Edge.INSIDE)
    assert frontier.late_at(CURVE, 190.0) == (pytest.approx(1_400.0), frontier.Edge.INSIDE)
    assert frontier.late_at(CURVE, 150.0) == (3_000.0, frontier.Edge.INSIDE)


def test_outside_the_curve_its_nearest_end_is_a_bound() -> None:
    assert frontier.late_at(CURVE, 80.0) == (9_000.0, frontier.Edge.CHEAPER)
    assert frontier.late_at(CURVE, 260.0) == (1_000.0, frontier.Edge.DEARER)


def test_the_advantage_is_hpa_late_over_ours_and_none_without_our_late_tokens() -> None:
    ours = result(125.0, 1_500.0, "tokenfleet")
    late, edge = frontier.late_at(CURVE, ours.node_hours)
    compared = frontier.Comparison("t", ours, tuple(CURVE), late, edge)
    assert compared.advantage == pytest.approx(4.0)
    perfect = dataclasses.replace(compared, ours=result(125.0, 0.0, "tokenfleet"))
    assert perfect.advantage is None
    text = frontier.render(compared, gpus_per_node=8)
    assert "HPA has 4.0x tokenfleet's late tokens" in text
    bounded = dataclasses.replace(compared, edge=frontier.Edge.CHEAPER)
    assert "HPA has at least 4.0x" in frontier.render(bounded, gpus_per_node=8)


def test_goodput_per_gpu_counts_on_time_tokens_per_second_per_gpu_paid() -> None:
    # 1,000,000 tokens, 1,000 late, over 10 h on 10 nodes of 8 GPUs on average.
    assert frontier.goodput_per_gpu(result(100.0, 1_000.0), 8) == pytest.approx(
        999_000 / 36_000 / 80
    )


def test_a_lower_target_spends_more_and_is_late_less(tmp_path: pathlib.Path) -> None:
    loaded = fleet.load(fleets.write_fleet(tmp_path / "f.yaml", fleets.docs()))
    # A day's ramp up and down with a sharp step: an HPA is always a lead time late.
    minutes = np.arange(12 * 60)
    prefill = 1000.0 + 2000.0 * np.sin(np.pi * minutes / len(minutes)) ** 2
    prefill[300:360] *= 1.6
    trace = fleets.per_minute(prefill.tolist(), (prefill / 10).tolist())
    outcome = run.simulate(trace, loaded, ["tokenfleet"])
    ours = outcome.results[0]
    compared = frontier.compare(trace, loaded, ours, start=run.DEFAULT_START)
    spend = [r.node_hours for r in compared.curve]
    late = [r.late_tokens for r in compared.curve]
    assert [r.policy for r in compared.curve] == [f"hpa@{t:.2f}" for t in frontier.TARGETS]
    assert spend == sorted(spend) and spend[0] < spend[-1]
    assert late[0] > late[-1]
    assert compared.curve[0].vs_oracle == pytest.approx(
        compared.curve[0].node_hours / (ours.oracle_node_hours or 1.0)
    )
    assert compared.curve[0].hours == 12


def test_the_generated_verdict_counts_wins_ties_and_the_median() -> None:
    def compared(name: str, ours_late: float, hpa_late: float) -> frontier.Comparison:
        ours = dataclasses.replace(result(100.0, ours_late, "tokenfleet"), trace=name)
        return frontier.Comparison(name, ours, tuple(CURVE), hpa_late, frontier.Edge.INSIDE)

    comparisons = [
        compared("a", 100.0, 400.0),  # 4x: met
        compared("b", 100.0, 150.0),  # 1.5x
        compared("c", 100.0, 100.0),  # 1x
        compared("d", 0.0, 50.0),  # none late against some: met
        compared("e", 0.0, 0.0),  # neither late
        compared("sample", 100.0, 1000.0),  # not a generated trace
    ]
    line = bench.held_out({"a", "b", "c", "d", "e"}, comparisons, seed=7)
    assert line == (
        "generated shapes (seed 7): 2 of 5 at >= 3x fewer late tokens than HPA at equal "
        "node-hours; median 1.5x, 1 where neither is late"
    )
