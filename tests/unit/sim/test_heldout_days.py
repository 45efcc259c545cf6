"""The tokenfleet policy on days it was not tuned on, with the reference fleet (`heldout`).

Covered: on a day whose peak comes four hours early, a day with a lasting step, a day of hourly
steps and a launch-day ramp, the policy stays within 1.15x the oracle's node-hours with at most
0.5% of tokens late and at least 15% fewer node-hours than static; on days of clustered
bursts, where nothing online meets both targets, it still leaves far fewer tokens late than
reactive and stays far below static. The held-out shapes are generated, seeded, at DeepSeek's
scale (`tokenfleet.sim.shapes`); `make bench` replays every shape beside the sample traces.
"""

from __future__ import annotations

import pytest

from tokenfleet.sim import run, shapes

from . import heldout


@pytest.mark.parametrize("name", ["shifted-peak-3d", "step-2d", "hourly-2d", "ramp-2d"])
def test_the_targets_hold_on_days_the_planner_has_not_seen(name: str) -> None:
    trace = shapes.build(shapes.shape(name), seed=7)
    ours, static = run.simulate(trace, heldout.reference(), ["tokenfleet", "static"]).results
    assert ours.vs_oracle is not None and ours.vs_oracle <= 1.15
    assert ours.late_token_fraction <= 0.005
    assert ours.node_hours <= 0.85 * static.node_hours


def test_clustered_bursts_leave_far_fewer_tokens_late_than_reacting() -> None:
    trace = shapes.build(shapes.shape("bursty-3d"), seed=7)
    results = run.simulate(trace, heldout.reference(), ["tokenfleet", "static", "reactive"])
    ours, static, reactive = results.results
    assert ours.late_token_fraction < reactive.late_token_fraction / 1.5
    assert ours.node_hours <= 0.5 * static.node_hours
