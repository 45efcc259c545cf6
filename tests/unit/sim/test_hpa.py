"""The HPA peer, as upstream's replica calculator and default behaviours work, in whole units.

Covered: within the 10% tolerance nothing changes; the recommendation is ceil(ratio x ready);
units still starting count as 0% used on a scale-up, so a scale-up on its way is not asked for
again, and a scale-up they turn around is dropped; a scale-down waits out five minutes of
recommendations; a scale-up is limited to max(+4, +100%) per step; min and max units bound it;
with no ready unit to measure it holds.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from tokenfleet.planner import config
from tokenfleet.planner import state as planner_state
from tokenfleet.sim import fleet, hpa

from . import fleets

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)


def test_within_the_tolerance_nothing_changes() -> None:
    # 10 ready units of 100 tok/s at 0.5: 540 tok/s is 1.08x the target.
    assert hpa.recommend(540.0, 10, 0, 100.0, 0.5) == 10
    assert hpa.recommend(455.0, 10, 0, 100.0, 0.5) == 10  # 0.91x
    assert hpa.recommend(560.0, 10, 0, 100.0, 0.5) == 12  # 1.12x: ceil(11.2)
    assert hpa.recommend(400.0, 10, 0, 100.0, 0.5) == 8  # 0.8x


def test_starting_units_count_as_idle_on_a_scale_up() -> None:
    # 4 ready, 4 starting: the ready ones run at 2x; counting the starting ones at 0% the
    # role is at 1x: the scale-up is on its way, nothing more is asked.
    assert hpa.recommend(400.0, 4, 4, 100.0, 0.5) == 8
    # Demand grew on: 1.5x over all 8 asks for 12.
    assert hpa.recommend(600.0, 4, 4, 100.0, 0.5) == 12
    # Counted with them it would scale down: the direction turned, nothing changes.
    assert hpa.recommend(300.0, 4, 4, 100.0, 0.5) == 8


def test_a_scale_down_is_measured_on_ready_units_only() -> None:
    # 0.5x on the 4 ready units: ceil(0.5 x 4) = 2, the starting units given up.
    assert hpa.recommend(100.0, 4, 2, 100.0, 0.5) == 2


def test_without_a_ready_unit_there_is_nothing_to_measure() -> None:
    assert hpa.recommend(1000.0, 0, 3, 100.0, 0.5) is None


def _cfg(tmp_path: pathlib.Path) -> config.PlannerConfig:
    loaded = fleet.load(fleets.write_fleet(tmp_path / "f.yaml", fleets.docs()))
    return config.from_resources(loaded.deployment, loaded.pool_name, loaded.pool)


def _seen(demand: float | None, ready: int, starting: int = 0) -> planner_state.RoleObservation:
    return planner_state.RoleObservation(demand=demand, ready_units=ready, starting_units=starting)


def test_behaviours_stabilise_scale_down_and_limit_scale_up(tmp_path: pathlib.Path) -> None:
    cfg = _cfg(tmp_path)
    role = cfg.role("prefill")
    cap = role.unit_capacity
    policy = hpa.HPAPolicy(cfg, 0.5)
    decode = {"decode": _seen(None, 1)}

    def step(minute: int, demand: float, ready: int) -> int:
        at = START + dt.timedelta(minutes=minute)
        return policy.decide(minute, at, {"prefill": _seen(demand, ready), **decode})["prefill"]

    # Demand for 4 units at 50%; a minute later for 2: the five-minute window holds 4.
    assert step(0, 2.0 * cap, 4) == 4
    for minute in range(1, 5):
        assert step(minute, 1.0 * cap, 4) == 4
    # Five minutes after the last recommendation of 4, the scale-down goes through.
    assert step(5, 1.0 * cap, 4) == 2
    # A burst asking for 40 units from 2: at most max(2 + 4, 2 x 2) = 6 in one step.
    assert step(6, 20.0 * cap, 2) == 6
    assert step(7, 20.0 * cap, 6) == min(12, role.max_units)


def test_bounds_and_the_first_decision(tmp_path: pathlib.Path) -> None:
    cfg = _cfg(tmp_path)
    role = cfg.role("prefill")
    policy = hpa.HPAPolicy(cfg)  # each role's own target
    assert policy.name == "reactive"
    first = policy.decide(0, START, {"prefill": _seen(0.0, 0), "decode": _seen(0.0, 0)})
    assert first["prefill"] == role.min_units
    huge = policy.decide(1, START, {"prefill": _seen(1e9, role.max_units), "decode": _seen(0.0, 1)})
    assert huge["prefill"] == role.max_units
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        hpa.HPAPolicy(cfg, 1.5)
